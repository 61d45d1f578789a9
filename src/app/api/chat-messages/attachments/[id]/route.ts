// GET /api/chat-messages/attachments/{id} - one of the caller's attachments as a download (S3: a redirect to a presigned URL); 404 otherwise
import { AppError } from '@/lib/errors/app-error';
import { withSession } from '@/lib/http/route';
import { downloadResponse } from '@/lib/http/download';
import { AttachmentIdParams } from '@/lib/schemas/attachments';
import * as attachmentService from '@/lib/services/attachment.service';

export const GET = withSession({ limit: 'read', params: AttachmentIdParams }, async ({ userId, params }) => {
  const download = await attachmentService.getAttachmentDownload({ id: params.id, userId });
  // Another user's attachment is answered exactly like a missing one, so ids cannot be probed.
  if (!download) throw new AppError('not_found', 'No such attachment');
  return downloadResponse(download);
});
