// npm run chat:send -- --user <userId> --type confirmation --content "..." [--task <id>] [--data '<json>'] [--org <id>] [--priority high] [--attach ./file]...
// The guide's "Manual Test": sends one message through the service and prints its result.
import fs from 'node:fs/promises';
import path from 'node:path';
import { MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, type AttachmentInput } from '@/lib/schemas/attachments';
import * as chatResponseService from '@/lib/services/chat-response.service';
import { required, runCli } from './cli';

/** Content types by extension; anything else is sent as application/octet-stream. */
const TYPES: Record<string, string> = {
  '.ics': 'text/calendar',
  '.txt': 'text/plain',
  '.csv': 'text/csv',
  '.json': 'application/json',
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.html': 'text/html',
  '.zip': 'application/zip',
};

/** Each `--attach` file, checked for size before it is read (the service checks the rest, naming the field). */
async function readAttachments(files: string[]): Promise<AttachmentInput[]> {
  if (files.length > MAX_ATTACHMENTS) throw new Error(`--attach: at most ${MAX_ATTACHMENTS} files`);
  const out: AttachmentInput[] = [];
  for (const file of files) {
    const stat = await fs.stat(file).catch(() => null);
    if (!stat?.isFile()) throw new Error(`--attach ${file}: no such file`);
    if (stat.size > MAX_ATTACHMENT_BYTES) throw new Error(`--attach ${file}: must be at most ${MAX_ATTACHMENT_BYTES} bytes (5 MB)`);
    const contentType = TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    out.push({ filename: path.basename(file), contentType, content: await fs.readFile(file) });
  }
  return out;
}

await runCli(
  {
    user: { type: 'string' },
    type: { type: 'string' },
    content: { type: 'string' },
    task: { type: 'string' },
    data: { type: 'string' },
    org: { type: 'string' },
    'idempotency-key': { type: 'string' },
    attach: { type: 'string', multiple: true },
    priority: { type: 'string' },
  },
  async (values) => {
    let data: Record<string, unknown> | undefined;
    if (typeof values.data === 'string') {
      try {
        data = JSON.parse(values.data) as Record<string, unknown>;
      } catch {
        throw new Error('--data must be valid JSON');
      }
    }
    const attachments = await readAttachments((values.attach as string[] | undefined) ?? []);
    const result = await chatResponseService.sendChatMessage(
      {
        type: required(values, 'type'),
        userId: required(values, 'user'),
        content: required(values, 'content'),
        taskId: values.task as string | undefined,
        data,
        idempotencyKey: values['idempotency-key'] as string | undefined,
        priority: values.priority as string | undefined,
        timestamp: new Date().toISOString(),
        ...(attachments.length > 0 && { attachments }),
      },
      values.org as string | undefined,
    );
    return { ok: result.success, output: result };
  },
);
