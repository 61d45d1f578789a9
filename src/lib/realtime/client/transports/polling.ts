import type { FetchAfter } from '../api';
import { catchUp, type Transport } from './transport';

/** Polling: the history after the cursor every `intervalMs` (5 s), and the count after each. Never fails. */
export function pollingTransport(deps: { fetchAfter: FetchAfter; intervalMs?: number }): Transport {
  const intervalMs = deps.intervalMs ?? 5_000;
  return {
    name: 'polling',
    start(cursor, sink) {
      sink.state('polling');
      const tick = () =>
        void catchUp(deps.fetchAfter, cursor, sink).then(
          () => sink.countChanged(),
          (err: unknown) => sink.error(err),
        );
      tick();
      const interval = setInterval(tick, intervalMs);
      return () => clearInterval(interval);
    },
  };
}
