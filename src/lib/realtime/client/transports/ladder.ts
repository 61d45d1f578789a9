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

/**
 * Runs the first transport and climbs down on failure (Pusher -> SSE -> polling), all reading the
 * one cursor. A transport that failed with `retry: true` is tried again after a backoff delay
 * (the stream refused because of an 11th tab, say, is retried from polling every 30 s); one that
 * failed for good is not. At most one transport runs at a time, and callbacks from a transport
 * that was stopped are dropped, so a late event can never flip the state back.
 *
 * @returns the function that stops the running transport and any pending retry.
 */
export function startLadder(
  rungs: readonly Transport[],
  cursor: Cursor,
  sink: LadderSink,
  options: { retry?: BackoffOptions } = {},
): () => void {
  const backoff = new Backoff(options.retry ?? { minMs: 30_000, maxMs: 30_000 });
  let stopped = false;
  let generation = 0;
  let stopCurrent: () => void = () => {};
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const run = (index: number): void => {
    clearTimeout(retryTimer);
    stopCurrent();
    stopCurrent = () => {};
    const transport = rungs[index];
    if (stopped || !transport) return;
    const current = ++generation;
    const isCurrent = () => current === generation && !stopped;
    let starting = true;
    let failedWhileStarting: { retry: boolean } | undefined;
    const rungSink: TransportSink = {
      messages: (messages, opts) => isCurrent() && sink.messages(messages, opts),
      read: (event) => isCurrent() && sink.read(event),
      activity: (activity) => isCurrent() && sink.activity?.(activity),
      state: (state) => {
        if (!isCurrent()) return;
        if (state === 'live') backoff.reset();
        sink.state(state, transport.name);
      },
      countChanged: () => isCurrent() && sink.countChanged(),
      error: (err) => isCurrent() && sink.error(err),
      failed: (failure) => {
        if (!isCurrent()) return;
        generation++;
        if (starting) failedWhileStarting = failure;
        else fallBack(index, failure);
      },
    };
    const stop = transport.start(cursor, rungSink);
    starting = false;
    if (current === generation) {
      stopCurrent = stop;
      return;
    }
    stop();
    if (failedWhileStarting) fallBack(index, failedWhileStarting);
  };

  const fallBack = (index: number, failure: { retry: boolean }): void => {
    if (index + 1 < rungs.length) {
      run(index + 1);
    } else {
      stopCurrent();
      stopCurrent = () => {};
    }
    if (failure.retry && !stopped) retryTimer = setTimeout(() => run(index), backoff.next());
  };

  run(0);
  return () => {
    stopped = true;
    clearTimeout(retryTimer);
    stopCurrent();
    stopCurrent = () => {};
  };
}
