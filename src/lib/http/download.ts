import type { AttachmentDownload } from '@/lib/services/attachment.service';
import { attachmentDisposition, downloadContentType } from '@/lib/storage/s3-store';

/**
 * A file as a download: `Content-Disposition: attachment` with its filename, `nosniff`, never
 * cached by shared caches, active types (HTML, SVG, ...) as application/octet-stream. S3 files: a redirect to the presigned URL
 * (which carries the same disposition and type as response overrides).
 */
export function downloadResponse(download: AttachmentDownload): Response {
  const common = { 'Cache-Control': 'private, no-store', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' };
  if (download.kind === 'redirect') return new Response(null, { status: 302, headers: { ...common, Location: download.url } });
  return new Response(new Uint8Array(download.body), {
    status: 200,
    headers: {
      ...common,
      'Content-Type': downloadContentType(download.contentType),
      'Content-Length': String(download.body.byteLength),
      'Content-Disposition': attachmentDisposition(download.filename),
    },
  });
}
