import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { processGlobal } from '@/lib/runtime/process-global';

/**
 * What an operator watches, as Prometheus metrics (prom-client), with a tiny API for the code
 * that does the work: `metrics.messageStored()`, `metrics.published('sse')`,
 * `metrics.streamOpened()`, `metrics.fanoutDelay(ms)`... Served by ./server.ts on METRICS_PORT
 * (127.0.0.1 by default) and, with METRICS_TOKEN, on GET /api/metrics. Labels hold only fixed
 * names (transport, bucket, queue, component): never a user, a key or message content.
 *
 * One registry per process, kept on globalThis: Next.js loads this module once per route
 * bundle, and every copy must count into the same metrics.
 */

export type Transport = 'pusher' | 'sse';

/** Gauges read when scraped (queue depth and age: a query, so never on a request's path). */
export interface QueueStats {
  queue: string;
  /** Jobs waiting to be worked (created or retry). */
  waiting: number;
  /** Age in seconds of the oldest waiting job (0 when none waits). */
  oldestAgeSeconds: number;
}

interface MetricSet {
  registry: Registry;
  stored: Counter;
  published: Counter<'transport'>;
  publishFailures: Counter<'transport'>;
  openStreams: Gauge;
  fanoutDelay: Histogram;
  queueDepth: Gauge<'queue'>;
  queueOldest: Gauge<'queue'>;
  rateLimitRefusals: Counter<'bucket'>;
  queueProbe?: () => Promise<QueueStats[]>;
}

const slot = processGlobal<MetricSet>('metrics');

function create(): MetricSet {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const set: MetricSet = {
    registry,
    stored: new Counter({
      name: 'chat_messages_stored_total',
      help: 'Chat messages stored (sendChatMessage, new rows only).',
      registers: [registry],
    }),
    published: new Counter({
      name: 'chat_messages_published_total',
      help: 'Chat messages handed to a transport: pusher (trigger accepted), sse (written to an open stream).',
      labelNames: ['transport'],
      registers: [registry],
    }),
    publishFailures: new Counter({
      name: 'chat_publish_failures_total',
      help: 'Publishes that failed: pusher (a trigger), sse (the fan-out announcement); the message stays stored either way.',
      labelNames: ['transport'],
      registers: [registry],
    }),
    openStreams: new Gauge({
      name: 'chat_sse_streams_open',
      help: 'Server-Sent-Events streams open on this instance.',
      registers: [registry],
    }),
    fanoutDelay: new Histogram({
      name: 'chat_fanout_delay_seconds',
      help: "From a message's commit (its createdAt) to its write on a live stream.",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'chat_queue_depth',
      help: 'Jobs waiting on a queue (read when scraped).',
      labelNames: ['queue'],
      registers: [registry],
      async collect() {
        await collectQueues();
      },
    }),
    queueOldest: new Gauge({
      name: 'chat_queue_oldest_job_age_seconds',
      help: 'Age of the oldest waiting job of a queue (read when scraped).',
      labelNames: ['queue'],
      registers: [registry],
    }),
    rateLimitRefusals: new Counter({
      name: 'chat_rate_limit_refusals_total',
      help: 'Requests refused because a budget was spent (429 or a refused sign-in), by budget.',
      labelNames: ['bucket'],
      registers: [registry],
    }),
  };
  return set;
}

const get = (): MetricSet => slot.getOrCreate(create);

async function collectQueues(): Promise<void> {
  const set = get();
  if (!set.queueProbe) return;
  try {
    for (const { queue, waiting, oldestAgeSeconds } of await set.queueProbe()) {
      set.queueDepth.set({ queue }, waiting);
      set.queueOldest.set({ queue }, oldestAgeSeconds);
    }
  } catch {
    // A scrape while the database is down shows the last values; /api/health reports the outage.
  }
}

export const metrics = {
  messageStored(): void {
    get().stored.inc();
  },
  published(transport: Transport): void {
    get().published.inc({ transport });
  },
  publishFailed(transport: Transport): void {
    get().publishFailures.inc({ transport });
  },
  streamOpened(): void {
    get().openStreams.inc();
  },
  streamClosed(): void {
    get().openStreams.dec();
  },
  /** Milliseconds from a message's commit to its write on a stream. */
  fanoutDelay(ms: number): void {
    get().fanoutDelay.observe(Math.max(0, ms) / 1000);
  },
  rateLimitRefused(bucket: string): void {
    get().rateLimitRefusals.inc({ bucket });
  },
  /** Where queue depth and age come from (set by the process that serves metrics). */
  setQueueProbe(probe: () => Promise<QueueStats[]>): void {
    get().queueProbe = probe;
  },
  /** The exposition text and its content type, for a scrape. */
  async scrape(): Promise<{ body: string; contentType: string }> {
    const { registry } = get();
    return { body: await registry.metrics(), contentType: registry.contentType };
  },
};
