import { Backoff, type BackoffOptions } from '../../backoff';
import type { ConnectionState, TransportName } from '../types';
import type { Cursor, Transport, TransportSink } from './transport';

/**
 * What the ladder reports to: a transport's sink without `failed`, which the ladder itself
 * handles, and with each state naming the transport it comes from (the UI shows it).
 */
export type LadderSink = Omit<TransportSink, 'failed' | 'state'> & {
  state(state: ConnectionState, transport: TransportName): void;
};

/** One started transport: the running rung or a probe of a higher one. */
interface Run {
  index: number;
  stop: () => void;
}

/**
 * Runs the first transport and climbs down on failure (Pusher -> SSE -> polling), all reading the
 * one cursor. A transport that failed with `retry: true` is tried again after a backoff delay
 * (Pusher that was unreachable, the stream refused because of an 11th tab, say, every 30 s); one
 * that failed for good is not.
 *
 * A retry is a background probe: the rung below keeps running (so the tab is never without a live
 * transport while the retry connects or fails), the probe's messages go to the same store (which
 * keeps them by id) but its states are not shown, and only once the probe reports `live` is it
 * promoted: the rung below is stopped and the UI shows the probe's `live`. Of the rungs above the
 * running one that may be retried, the highest is probed; one timer serves them all, so a later
 * fall-back (the stream refused while Pusher waits for its retry) never loses an earlier retry.
 * Callbacks from a transport that was stopped are dropped, so a late event can never flip the
 * state back.
 *
 * @returns the function that stops the running transport, any probe and any pending retry.
 */
export function startLadder(
  rungs: readonly Transport[],
  cursor: Cursor,
  sink: LadderSink,
  options: { retry?: BackoffOptions } = {},
): () => void {
  const backoff = new Backoff(options.retry ?? { minMs: 30_000, maxMs: 30_000 });
  let stopped = false;
  let active: Run | undefined;
  let probe: Run | undefined;
  /** Rungs that failed with `retry: true` and have not been promoted since. */
  const retryable = new Set<number>();
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  /** The highest rung above the running one that may be retried. */
  const bestRetryable = (): number | undefined => {
    const below = active?.index ?? rungs.length;
    const candidates = [...retryable].filter((index) => index < below);
    return candidates.length > 0 ? Math.min(...candidates) : undefined;
  };

  const scheduleRetry = (): void => {
    if (stopped || probe || retryTimer !== undefined || bestRetryable() === undefined) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      const index = bestRetryable();
      if (stopped || probe || index === undefined) return;
      launch(index, 'probe');
    }, backoff.next());
  };

  const promote = (run: Run): void => {
    const lower = active;
    probe = undefined;
    active = run;
    lower?.stop();
    for (const index of retryable) if (index >= run.index) retryable.delete(index);
    backoff.reset();
    sink.state('live', rungs[run.index]!.name);
    scheduleRetry();
  };

  const fail = (run: Run, failure: { retry: boolean }): void => {
    if (failure.retry) retryable.add(run.index);
    else retryable.delete(run.index);
    if (run === probe) {
      probe = undefined;
      run.stop();
    } else {
      active = undefined;
      run.stop();
      const next = run.index + 1;
      if (next < rungs.length) launch(next, 'active');
    }
    scheduleRetry();
  };

  /** Starts rung `index` as the running rung or as a probe (it registers itself as either). */
  const launch = (index: number, role: 'active' | 'probe'): void => {
    const transport = rungs[index]!;
    const run: Run = { index, stop: () => {} };
    const current = () => !stopped && (run === active || run === probe);
    let starting = true;
    let failedWhileStarting: { retry: boolean } | undefined;
    const rungSink: TransportSink = {
      messages: (messages, opts) => current() && sink.messages(messages, opts),
      read: (event) => current() && sink.read(event),
      activity: (activity) => current() && sink.activity?.(activity),
      state: (state) => {
        if (stopped) return;
        if (run === probe) {
          if (state === 'live') promote(run);
          return;
        }
        if (run !== active) return;
        // Live on the best rung there is: the next failure starts the backoff from its minimum.
        if (state === 'live' && bestRetryable() === undefined) backoff.reset();
        sink.state(state, transport.name);
      },
      countChanged: () => current() && sink.countChanged(),
      error: (err) => current() && sink.error(err),
      failed: (failure) => {
        if (!current()) return;
        if (starting) failedWhileStarting ??= failure;
        else fail(run, failure);
      },
    };
    // Registered before starting, so that what the transport reports while starting is heard.
    if (role === 'active') active = run;
    else probe = run;
    run.stop = transport.start(cursor, rungSink);
    starting = false;
    if (failedWhileStarting && current()) fail(run, failedWhileStarting);
  };

  if (rungs.length > 0) launch(0, 'active');
  return () => {
    stopped = true;
    clearTimeout(retryTimer);
    const running = [active, probe];
    active = undefined;
    probe = undefined;
    for (const run of running) run?.stop();
  };
}
