import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  type ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { AttachmentStore } from './types';

/** Attachment keys live under this prefix, so the sweep never touches anything else in the bucket. */
export const S3_PREFIX = 'attachments/';

export interface S3StoreOptions {
  bucket: string;
  endpoint?: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle: boolean;
  presignSeconds: number;
}

/** RFC 6266 `attachment; filename="..."; filename*=UTF-8''...` (ASCII fallback, exact name for modern clients). */
export function attachmentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/**
 * Types a browser would render or run if it ever ignored `Content-Disposition: attachment`;
 * served as application/octet-stream instead (the filename keeps its extension).
 */
const ACTIVE_TYPE = /html|xml|javascript|ecmascript|svg|x-shockwave|pdf/;

/** The Content-Type a download is served with: the stored one, unless a browser could run or render it. */
export function downloadContentType(contentType: string): string {
  return ACTIVE_TYPE.test(contentType.split(';')[0]!.trim()) ? 'application/octet-stream' : contentType;
}

/** An S3-compatible bucket (AWS, MinIO, s3rver...) through @aws-sdk/client-s3. */
export function createS3Store(options: S3StoreOptions): AttachmentStore {
  const client = new S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle,
    ...(options.accessKeyId && options.secretAccessKey
      ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } }
      : {}),
  });
  const Bucket = options.bucket;
  const objectKey = (key: string) => `${S3_PREFIX}${key}`;

  async function deleteObjectKeys(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000);
      await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true } }));
    }
  }

  return {
    kind: 's3',
    async put(key, body, contentType) {
      await client.send(new PutObjectCommand({ Bucket, Key: objectKey(key), Body: body, ContentType: contentType }));
    },
    async get(key) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket, Key: objectKey(key) }));
        if (!out.Body) return null;
        return Buffer.from(await out.Body.transformToByteArray());
      } catch (err) {
        if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return null;
        throw err;
      }
    },
    presignDownload(key, { filename, contentType }) {
      const command = new GetObjectCommand({
        Bucket,
        Key: objectKey(key),
        ResponseContentDisposition: attachmentDisposition(filename),
        ResponseContentType: downloadContentType(contentType),
      });
      return getSignedUrl(client, command, { expiresIn: options.presignSeconds });
    },
    async delete(keys) {
      await deleteObjectKeys(keys.map(objectKey));
    },
    async deleteOrphans(before, limit, isReferenced) {
      let deleted = 0;
      let token: string | undefined;
      do {
        const page: ListObjectsV2CommandOutput = await client.send(
          new ListObjectsV2Command({ Bucket, Prefix: S3_PREFIX, ContinuationToken: token, MaxKeys: 1000 }),
        );
        const old = (page.Contents ?? [])
          .filter((o) => o.Key && o.LastModified && o.LastModified < before)
          .map((o) => o.Key!.slice(S3_PREFIX.length));
        const referenced = await isReferenced(old);
        const orphans = old.filter((k) => !referenced.has(k)).slice(0, limit - deleted);
        await deleteObjectKeys(orphans.map(objectKey));
        deleted += orphans.length;
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token && deleted < limit);
      return deleted;
    },
  };
}
