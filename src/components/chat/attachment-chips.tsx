import type { AttachmentView } from '@/lib/schemas/attachments';
import styles from './attachments.module.css';

/** A size as people read it: 512 B, 1.2 KB, 3.4 MB. */
function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** A message's files as download chips (the server answers with Content-Disposition: attachment). */
export function AttachmentChips({ attachments }: { attachments: AttachmentView[] }) {
  if (attachments.length === 0) return null;
  return (
    // Links in a group, not list items: chips sit inside message items that are list items themselves.
    <div className={styles.chips} role="group" aria-label="Attachments" data-testid="attachments">
      {attachments.map((a) => (
        <a key={a.id} className={styles.chip} href={a.url} download={a.filename} data-testid="attachment-chip" data-attachment-id={a.id}>
          <span aria-hidden="true">{a.contentType.startsWith('text/calendar') ? '📅' : '📎'}</span>
          <span className={styles.name}>{a.filename}</span>
          <span className={styles.size}>{formatSize(a.size)}</span>
        </a>
      ))}
    </div>
  );
}
