import { rootCauseMessage } from '@/lib/errors/app-error';
import { getLogger } from '@/lib/log/logger';
import { processGlobal } from '@/lib/runtime/process-global';
import { sweepOrphanAttachments } from '@/lib/services/attachment.service';

/** How often a worker deletes attachment bytes no message names (sends that never committed, deleted messages). */
export const SWEEP_INTERVAL_MS = 15 * 60 * 1000;

const sweepTimer = processGlobal<NodeJS.Timeout>('attachments.sweep');

/**
 * Runs the orphan sweep every SWEEP_INTERVAL_MS in this process (started with the worker). Several
 * workers sweeping at once is harmless: each delete is idempotent and only touches bytes no row
 * names past the grace period. Never throws.
 */
export function startAttachmentSweep(): void {
  if (sweepTimer.get()) return;
  const run = () =>
    sweepOrphanAttachments().then(
      ({ deleted }) => {
        if (deleted > 0) getLogger().info({ deleted }, 'deleted orphaned attachment files');
      },
      (err: unknown) => getLogger().warn({ err: rootCauseMessage(err) }, 'attachment sweep failed; it runs again later'),
    );
  const timer = setInterval(() => void run(), SWEEP_INTERVAL_MS);
  timer.unref();
  sweepTimer.set(timer);
}

export function stopAttachmentSweep(): void {
  clearInterval(sweepTimer.get());
  sweepTimer.set(undefined);
}
