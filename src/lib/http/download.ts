import type { AttachmentDownload } from '@/lib/services/attachment.service';
import { attachmentDisposition } from '@/lib/storage/s3-store';

/**
 * Types a browser would render or run if it ever ignored `Content-Disposition: attachment`;
 * served as application/octet-stream instead (the filename keeps its extension).
 */
const ACTIVE_TYPE = /html|xml|javascript|ecmascript|svg|x-shockwave|pdf/;

/**
 * A file as a download: `Content-Disposition: attachment` with its filename, `nosniff`, a CSP
 * that runs nothing, never cached by shared caches. S3 files: a redirect to the presigned URL
 * (which carries the same disposition and type as response overrides).
 */
export function downloadResponse(download: AttachmentDownload): Response {
  const common = { 'Cache-Control': 'private, no-store', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' };
  if (download.kind === 'redirect') return new Response(null, { status: 302, headers: { ...common, Location: download.url } });
  const essence = download.contentType.split(';')[0]!.trim();
  return new Response(new Uint8Array(download.body), {
    status: 200,
    headers: {
      ...common,
      'Content-Type': ACTIVE_TYPE.test(essence) ? 'application/octet-stream' : download.contentType,
      'Content-Length': String(download.body.byteLength),
      'Content-Disposition': attachmentDisposition(download.filename),
      'Content-Security-Policy': "default-src 'none'; sandbox",
    },
  });
}
