import { sql } from 'drizzle-orm';
import { converse, type AgentMessage, type ConversationTurn, type Respond } from '@/lib/agent/scheduling-conversation';
import type { Database } from '@/lib/db/client';
import { users } from '@/lib/db/schema';
import * as taskRepository from '@/lib/repositories/scheduling-task.repository';
import type { AgentState } from '@/scheduling/agent-state';
import type { WorkingHours } from '@/scheduling/availability';

// The scheduling conversation driven directly (no queue, worker or chat) on a real database:
// the user, the clock and the recording `respond` the agent suites share.

export const TZ = 'America/New_York';
export const ALL_DAY: WorkingHours = { days: [0, 1, 2, 3, 4, 5, 6], start: '00:00', end: '23:59' };
/** Tuesday 2030-03-05, 09:00 in New York (EST, before the March DST change). */
export const NOW = new Date('2030-03-05T14:00:00Z');

/** A `respond` that records every message; `firstData` plays the message a re-run finds already sent. */
export function fakeRespond(firstData?: (message: AgentMessage) => Record<string, unknown> | undefined) {
  const said: AgentMessage[] = [];
  const respond: Respond = async (message) => {
    said.push(message);
    return { firstData: message.volatile ? firstData?.(message) : undefined };
  };
  return { said, respond, steps: () => said.map((m) => `${m.type}:${m.step}`) };
}

/** Empties the agent's tables and adds the one user, Ana in New York; resolves to her id. */
export async function freshAgentUser(database: Database): Promise<string> {
  await database.db.execute(
    sql`TRUNCATE scheduling_agent_tasks, calendar_events, calendar_connections, calendar_feeds, user_sessions, users`,
  );
  const [user] = await database.db.insert(users).values({ email: 'ana@example.com', passwordHash: 'x', timeZone: TZ }).returning();
  return user!.id;
}

/** A new task of `userId` for `request` (in New York at NOW, all day free), and its turn 0 conversed. */
export async function startConversation(
  userId: string,
  request: string,
  respond: Respond = fakeRespond().respond,
  overrides: Partial<ConversationTurn> = {},
) {
  const task = await taskRepository.insertTask({ userId, request, timeZone: TZ });
  const turn: ConversationTurn = { taskId: task.id, userId, turn: 0, timeZone: TZ, now: NOW, workingHours: ALL_DAY, ...overrides };
  return { turn, outcome: await converse(turn, request, {}, respond) };
}

/** The next turn of `turn`'s task: the user answers `text` to what the agent asked (`state`). */
export function replyTo(turn: ConversationTurn, text: string, state: AgentState, respond: Respond) {
  return converse({ ...turn, turn: turn.turn + 1 }, text, state, respond);
}
