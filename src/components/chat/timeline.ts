import { choicesOf, type MessageChoice } from '@/lib/schemas/chat-messages';
import type { TaskView } from '@/lib/schemas/tasks';
import type { ClientChatMessage } from '@/lib/realtime/client/types';

/**
 * The conversation as the chat shows it: the user's words (a task's request and answers, from
 * the task list) and the agent's messages, in one time order, cut into runs of the same task (the
 * light grouping). Pure, so the ordering rules are unit-tested without a browser.
 */

export interface UserEntry {
  kind: 'user';
  key: string;
  taskId: string;
  text: string;
  /** The label of the offered choice this reply picked ("Thu, Nov 26, 3:30 PM" for "option 1"). */
  label: string | null;
  at: string;
}

export interface AgentEntry {
  kind: 'agent';
  key: string;
  taskId: string | null;
  message: ClientChatMessage;
  at: string;
  /** The buttons of an offer (data.choices); [] for any other message. */
  choices: MessageChoice[];
  /** Whether its buttons still answer the task: the newest offer of a task that waits, with no reply after it. */
  open: boolean;
  /** The offered value the user replied with (by button or typing it), when they did. */
  chosen: string | null;
}

export type Entry = UserEntry | AgentEntry;

/** Consecutive entries of one task (or of no task). */
export interface Run {
  key: string;
  taskId: string | null;
  entries: Entry[];
}

const time = (iso: string) => Date.parse(iso);

export function buildTimeline(messages: ClientChatMessage[], tasks: TaskView[]): Entry[] {
  const entries: Entry[] = [];
  for (const task of tasks) {
    task.userMessages.forEach((m, i) =>
      entries.push({ kind: 'user', key: `${task.id}:${i}`, taskId: task.id, text: m.text, label: null, at: m.sentAt }),
    );
  }
  for (const message of messages) {
    entries.push({
      kind: 'agent',
      key: message.id,
      taskId: message.taskId,
      message,
      at: message.createdAt,
      choices: choicesOf(message.data),
      open: false,
      chosen: null,
    });
  }
  // By time; at the same millisecond the user's words first (the agent answers them), then the
  // agent's in their send order.
  entries.sort((a, b) => {
    const byTime = time(a.at) - time(b.at);
    if (byTime !== 0) return byTime;
    if (a.kind !== b.kind) return a.kind === 'user' ? -1 : 1;
    return a.kind === 'agent' && b.kind === 'agent' ? a.message.position - b.message.position : 0;
  });
  markOffers(entries, new Map(tasks.map((t) => [t.id, t])));
  return entries;
}

/** Sets `open` and `chosen` on every offer from what follows it in its task. */
function markOffers(entries: Entry[], tasks: Map<string, TaskView>): void {
  const newestOffer = new Map<string, AgentEntry>();
  entries.forEach((entry, i) => {
    if (entry.kind !== 'agent' || entry.choices.length === 0 || !entry.taskId) return;
    newestOffer.set(entry.taskId, entry);
    const reply = entries.slice(i + 1).find((e): e is UserEntry => e.kind === 'user' && e.taskId === entry.taskId);
    if (reply) {
      const said = normalise(reply.text);
      const picked = entry.choices.find((c) => normalise(c.value) === said || normalise(c.label) === said);
      entry.chosen = picked?.value ?? chosenByOutcome(entry, entries.slice(entries.indexOf(reply) + 1));
      reply.label = picked?.label ?? null;
    }
  });
  for (const [taskId, offer] of newestOffer) {
    const task = tasks.get(taskId);
    const replied = entries.some((e) => e.kind === 'user' && e.taskId === taskId && time(e.at) >= time(offer.at));
    offer.open = task?.status === 'WAITING_FOR_USER' && !replied;
  }
}

const normalise = (s: string) => s.trim().toLowerCase();

/**
 * A typed answer ("the second one", "3:30") is read by the agent, not here: the choice it took is
 * the offered slot or meeting its next message acted on (a booking's `startsAt`, a cancellation's
 * or move's `eventId`). The choices are listed in the order of `data.alternatives` / `data.candidates`.
 */
function chosenByOutcome(offer: AgentEntry, after: Entry[]): string | null {
  const outcome = after.find(
    (e): e is AgentEntry => e.kind === 'agent' && e.taskId === offer.taskId && ['CONFIRMATION', 'CANCELLATION'].includes(e.message.type),
  );
  if (!outcome) return null;
  const done = outcome.message.data;
  const offered = offer.message.data.alternatives ?? offer.message.data.candidates;
  if (!Array.isArray(offered)) return null;
  const index = offered.findIndex((item: unknown) => {
    if (typeof item !== 'object' || item === null) return false;
    const { start, eventId } = item as { start?: unknown; eventId?: unknown };
    return eventId !== undefined ? eventId === done.eventId : start !== undefined && start === done.startsAt;
  });
  return offer.choices[index]?.value ?? null;
}

/** Cuts the timeline into runs of the same task, keyed by their first entry (stable as entries arrive). */
export function toRuns(entries: Entry[]): Run[] {
  const runs: Run[] = [];
  for (const entry of entries) {
    const last = runs.at(-1);
    if (last && last.taskId === entry.taskId) last.entries.push(entry);
    else runs.push({ key: entry.key, taskId: entry.taskId, entries: [entry] });
  }
  return runs;
}
