import { rootCauseMessage } from '@/lib/errors/app-error';
import { getLogger } from '@/lib/log/logger';

/**
 * Whether the session a stream was opened with still holds, asked without any cache (the opener
 * supplies it: realtime does not know how sessions are stored). Asked when the fan-out says some
 * of the user's sessions ended, and every `everyMs` as a safety net for a lost announcement.
 */
export interface SessionCheck {
  stillValid: () => Promise<boolean>;
  everyMs: number;
}

/**
 * Watches one stream's session: `request` re-checks it (the fan-out's `sessions-ended`), `start`
 * also re-checks it every `everyMs`; when the session no longer holds, `onEnded` runs once. A
 * check that fails (database down) keeps the stream: the next request or tick asks again.
 * Requests while a check runs are merged into one more check after it, so a revocation committed
 * meanwhile is still seen.
 */
export class SessionWatch {
  private timer?: NodeJS.Timeout;
  private checking = false;
  private again = false;
  private stopped = false;

  constructor(
    private readonly check: SessionCheck,
    private readonly userId: string,
    private readonly onEnded: () => void,
  ) {}

  start(): void {
    if (this.stopped || this.timer) return;
    this.timer = setInterval(() => this.request(), this.check.everyMs);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  request(): void {
    if (this.stopped) return;
    if (this.checking) {
      this.again = true;
      return;
    }
    this.checking = true;
    void this.run().finally(() => (this.checking = false));
  }

  private async run(): Promise<void> {
    do {
      this.again = false;
      let valid = true;
      try {
        valid = await this.check.stillValid();
      } catch (err) {
        getLogger().warn({ err: rootCauseMessage(err), userId: this.userId }, 'stream session re-check failed; keeping the stream');
      }
      if (this.stopped) return;
      if (!valid) {
        this.stop();
        this.onEnded();
        return;
      }
    } while (this.again);
  }
}
