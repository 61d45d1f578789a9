import type pg from 'pg';

/**
 * A request budget counted in this process and reconciled with PostgreSQL in batches, so a
 * request costs no database round trip while the budget stays shared by every instance.
 *
 * Each instance keeps, per key, the total the database last reported (every instance's hits),
 * the hits it admitted since (unconfirmed: pending or in a sync in flight) and the window's end.
 * A hit is admitted while `reported + unconfirmed < points`. Pending hits go to the database in
 * one statement for all keys every `syncMs`, or at once when a key holds half of `syncHits`
 * unconfirmed; a key never holds more than `syncHits` unconfirmed hits (the next waits for the
 * sync's answer).
 *
 * Over-admission bound: with K instances, at most K x syncHits - 1 hits beyond `points` are
 * admitted in one window. Proof sketch: let t be the commit of the first sync that takes the
 * stored total to `points` or more; that sync carried at most syncHits hits onto a total below
 * `points`. After t every instance admits at most its syncHits unconfirmed hits before a sync
 * answers with the total at or past `points`, and from then refuses. One instance alone never
 * over-admits (it sees all its own hits). If the database cannot be reached, each instance
 * keeps counting locally (the cap is lifted, so requests never wait on a dead database): the
 * budget is then per instance until the database answers again.
 *
 * Rows are rate-limiter-flexible's (`rate_limits`: key `<bucket>:<subject>`, points, expire in
 * epoch ms), so the strict budgets, account deletion's erase and these share one table.
 */

export interface BudgetRow {
  points: number;
  expire: number;
}

/** One key's hits to add: `subject` is the user the key belongs to. */
export interface BudgetEntry {
  key: string;
  subject: string;
  hits: number;
  expire: number;
}

/**
 * Where budgets are reconciled: adds each key's hits (a new window if its window ended) and
 * returns the totals. A key missing from the answer was dropped (its user no longer exists).
 */
export interface BudgetStore {
  add(entries: BudgetEntry[], now: number): Promise<Map<string, BudgetRow>>;
}

interface KeyState {
  subject: string;
  reported: number;
  pending: number;
  inFlight: number;
  expire: number;
  /** Resolves when the sync carrying this key's in-flight hits has answered (or failed). */
  synced?: Promise<void>;
}

export interface LocalFirstOptions {
  store: BudgetStore;
  points: number;
  durationMs: number;
  syncHits: number;
  syncMs: number;
  onSyncError?: (err: unknown) => void;
}

export type Verdict = { ok: true } | { ok: false; msBeforeNext: number };

/** Keys per statement: bounds one statement's size; more keys make more statements. */
const MAX_KEYS_PER_STATEMENT = 1_000;

export class LocalFirstLimiter {
  private readonly states = new Map<string, KeyState>();
  private timer?: NodeJS.Timeout;
  private storeDown = false;

  constructor(private readonly options: LocalFirstOptions) {}

  /** Takes one hit of `subject`'s budget, stored under `key`. */
  async consume(key: string, subject: string = key): Promise<Verdict> {
    const { points, syncHits, durationMs } = this.options;
    for (;;) {
      const now = Date.now();
      let state = this.states.get(key);
      if (!state) {
        // Unknown here: a new window until the database says otherwise.
        state = { subject, reported: 0, pending: 0, inFlight: 0, expire: now + durationMs };
        this.states.set(key, state);
      } else if (now >= state.expire) {
        // The window ended: its unsent hits no longer count anywhere.
        state.reported = 0;
        state.pending = 0;
        state.expire = now + durationMs;
      }
      const unconfirmed = state.pending + state.inFlight;
      if (state.reported + unconfirmed >= points) return { ok: false, msBeforeNext: Math.max(0, state.expire - now) };
      if (unconfirmed >= syncHits && !this.storeDown) {
        // At the cap: wait for this key's sync to answer, then decide again.
        await (state.synced ?? this.syncNow());
        continue;
      }
      state.pending++;
      if (state.inFlight === 0 && state.pending * 2 >= syncHits) void this.syncNow();
      else this.schedule();
      return { ok: true };
    }
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.syncNow();
    }, this.options.syncMs);
    this.timer.unref();
  }

  /** Sends every key's pending hits; resolves when the database has answered (or failed). */
  syncNow(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = Date.now();
    const batch: Array<BudgetEntry & { state: KeyState }> = [];
    for (const [key, state] of this.states) {
      // One sync in flight per key, so answers never arrive out of order; the next sync takes the rest.
      if (state.pending > 0 && state.inFlight === 0) {
        batch.push({ key, subject: state.subject, hits: state.pending, expire: state.expire, state });
      } else if (state.inFlight === 0 && now >= state.expire) {
        this.states.delete(key);
      }
    }
    if (batch.length === 0) return Promise.resolve();
    // One lock order for every instance: two syncs over the same keys never deadlock.
    batch.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const done = (async () => {
      for (const entry of batch) {
        entry.state.inFlight += entry.hits;
        entry.state.pending -= entry.hits;
      }
      for (let i = 0; i < batch.length; i += MAX_KEYS_PER_STATEMENT) {
        const part = batch.slice(i, i + MAX_KEYS_PER_STATEMENT);
        try {
          const rows = await this.options.store.add(
            part.map(({ key, subject, hits, expire }) => ({ key, subject, hits, expire })),
            now,
          );
          this.storeDown = false;
          for (const { key, hits, state } of part) {
            state.inFlight -= hits;
            const row = rows.get(key);
            if (!row) continue;
            // The database's total already holds these hits; later local hits stay pending.
            state.reported = row.points;
            state.expire = row.expire;
          }
        } catch (err) {
          this.storeDown = true;
          this.options.onSyncError?.(err);
          // Nothing was added (one statement): the hits go back to pending, counted locally meanwhile.
          for (const { hits, state } of part) {
            state.inFlight -= hits;
            state.pending += hits;
          }
          this.schedule();
        }
      }
    })();
    for (const { state } of batch) state.synced = done;
    void done.finally(() => {
      for (const { state } of batch) {
        if (state.synced === done) state.synced = undefined;
        // Hits that arrived while this sync was in flight.
        if (state.pending > 0) this.schedule();
      }
    });
    return done;
  }

  /** Sends what is pending (waiting for syncs in flight), then stops the timer (shutdown, tests). */
  async close(): Promise<void> {
    for (;;) {
      await Promise.all([...this.states.values()].map((state) => state.synced));
      await this.syncNow();
      const unsent = [...this.states.values()].some((state) => state.pending > 0 || state.inFlight > 0);
      if (!unsent || this.storeDown) break;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * The budgets in PostgreSQL's `rate_limits`, with rate-limiter-flexible's window rule (an ended
 * window starts again). Each subject is a user id: the hits of a user who no longer exists are
 * dropped, and `FOR KEY SHARE` on the user's row orders a sync against the account deletion
 * (which locks the row FOR UPDATE before deleting the user's budgets), so a sync can never
 * bring back a budget row naming a deleted user. Rows are locked in key order: two syncs
 * never deadlock.
 */
export function postgresBudgetStore(pool: Pick<pg.Pool, 'query'>): BudgetStore {
  return {
    async add(entries, now) {
      const result = await pool.query<{ key: string; points: number; expire: string | null }>({
        name: 'rate_limits_add',
        text: `INSERT INTO rate_limits AS r (key, points, expire)
               SELECT x.key, x.hits, x.expire
                 FROM unnest($1::varchar[], $2::text[], $3::int[], $4::bigint[]) AS x(key, subject, hits, expire)
                 JOIN users u ON u.id = x.subject
                ORDER BY x.key
                  FOR KEY SHARE OF u
               ON CONFLICT (key) DO UPDATE SET
                 points = CASE WHEN r.expire <= $5 THEN EXCLUDED.points ELSE r.points + EXCLUDED.points END,
                 expire = CASE WHEN r.expire <= $5 THEN EXCLUDED.expire ELSE r.expire END
               RETURNING key, points, expire`,
        values: [entries.map((e) => e.key), entries.map((e) => e.subject), entries.map((e) => e.hits), entries.map((e) => e.expire), now],
      });
      const rows = new Map<string, BudgetRow>();
      for (const row of result.rows) rows.set(row.key, { points: row.points, expire: row.expire === null ? Infinity : Number(row.expire) });
      return rows;
    },
  };
}
