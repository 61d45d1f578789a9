import { getEnv } from '@/lib/config/env';
import { getDb } from '@/lib/db/client';
import * as attachmentRepository from '@/lib/repositories/attachment.repository';
import { processGlobal } from '@/lib/runtime/process-global';
import { createS3Store } from './s3-store';
import type { AttachmentStore } from './types';

export type { AttachmentStore } from './types';

const dbStore: AttachmentStore = {
  kind: 'db',
  async put(key, body) {
    await attachmentRepository.putBlob(await getDb(), key, body);
  },
  async get(key) {
    return attachmentRepository.getBlob(await getDb(), key);
  },
  async delete(keys) {
    await attachmentRepository.deleteBlobs(await getDb(), keys);
  },
  async deleteOrphans(before, limit) {
    return attachmentRepository.deleteOrphanBlobs(await getDb(), before, limit);
  },
};

const s3Slot = processGlobal<{ bucket: string; store: AttachmentStore }>('attachments.s3');

/** The store new attachments go to: S3 when S3_BUCKET is set, the database otherwise. */
export function getAttachmentStore(): AttachmentStore {
  const env = getEnv();
  if (!env.S3_BUCKET) return dbStore;
  return storeNamed('s3');
}

/** The store an attachment was written to (`store` column), whatever the current configuration. */
export function storeNamed(kind: string): AttachmentStore {
  if (kind === 'db') return dbStore;
  const env = getEnv();
  if (!env.S3_BUCKET) throw new Error('this attachment is in S3 but S3_BUCKET is not set');
  const current = s3Slot.get();
  if (current && current.bucket === env.S3_BUCKET) return current.store;
  const store = createS3Store({
    bucket: env.S3_BUCKET,
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    accessKeyId: env.S3_ACCESS_KEY_ID,
    secretAccessKey: env.S3_SECRET_ACCESS_KEY,
    forcePathStyle: env.S3_FORCE_PATH_STYLE ?? Boolean(env.S3_ENDPOINT),
    presignSeconds: env.S3_PRESIGN_SECONDS,
  });
  s3Slot.set({ bucket: env.S3_BUCKET, store });
  return store;
}

/** Forgets the S3 client (tests that change S3_* between cases). */
export function resetAttachmentStores(): void {
  s3Slot.set(undefined);
}
