import { getDb } from '@/lib/db/client';
import type { ChatMessageRow } from '@/lib/db/schema';
import * as chatMessageRepository from '@/lib/repositories/chat-message.repository';
import { processGlobal } from '@/lib/runtime/process-global';

/**
 * The pages an SSE stream replays from: bounded by bytes as well as by count, so a stream holds
 * about REPLAY_PAGE_BYTES of messages at a time however big they are; and the peaks the streams
 * reached, for tests and diagnostics.
 */

/** Bytes of messages (content + data as JSON) one replay page holds, plus at most one message. */
const REPLAY_PAGE_BYTES = 128 * 1024;
/** Rows the first replay query measures; later pages adapt between the two bounds below. */
export const REPLAY_FIRST_ROWS = 100;
const REPLAY_MIN_ROWS = 8;
const REPLAY_MAX_ROWS = 500;

export interface ReplayPage {
  messages: ChatMessageRow[];
  hasMore: boolean;
  bytes?: number;
}

/** Peaks since the last reset, for tests and diagnostics. */
export interface ChatStreamStats {
  /** The most bytes one stream held buffered for its client. */
  peakQueuedBytes: number;
  /** The biggest replay page read (content + data bytes, as the database measures them). */
  peakPageBytes: number;
  /** Replay pages read. */
  replayPages: number;
}

const statsGlobal = processGlobal<ChatStreamStats>('chat-stream.stats');

/** The live counters (process-wide, like the hub: every bundle's streams count in one place). */
export const streamStats = (): ChatStreamStats => statsGlobal.getOrCreate(() => ({ peakQueuedBytes: 0, peakPageBytes: 0, replayPages: 0 }));

/** One replay page after `afterPosition`: at most `rows` messages and about REPLAY_PAGE_BYTES. */
export async function readReplayPage(userId: string, afterPosition: number, rows: number): Promise<ReplayPage> {
  const page = await chatMessageRepository.selectPageAfter(await getDb(), {
    userId,
    afterPosition,
    limit: rows,
    maxBytes: REPLAY_PAGE_BYTES,
  });
  const stats = streamStats();
  stats.replayPages++;
  stats.peakPageBytes = Math.max(stats.peakPageBytes, page.bytes ?? 0);
  return page;
}

/**
 * Rows to measure for the next page: more after a page cut by count, fewer after one cut by
 * size, so big messages are not measured hundreds at a time only to send a few.
 */
export function nextPageRows(page: ReplayPage, rows: number): number {
  if (!page.hasMore) return rows;
  if (page.messages.length >= rows) return Math.min(REPLAY_MAX_ROWS, rows * 2);
  return Math.max(REPLAY_MIN_ROWS, page.messages.length * 2);
}
