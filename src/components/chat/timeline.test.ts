import { describe, expect, it } from 'vitest';
import type { ClientChatMessage } from '@/lib/realtime/client/types';
import type { TaskView } from '@/lib/schemas/tasks';
import { buildTimeline, toRuns, type AgentEntry } from './timeline';

const at = (second: number) => new Date(Date.UTC(2026, 10, 25, 9, 0, second)).toISOString();
let position = 0;

function agent(taskId: string | null, second: number, content: string, data: Record<string, unknown> = {}): ClientChatMessage {
  position += 1;
  return {
    id: `m${position}`,
    type: 'INFO',
    taskId,
    content,
    data,
    attachments: [],
    createdAt: at(second),
    read: false,
    position,
    priority: 'NORMAL',
  };
}

function task(id: string, status: TaskView['status'], said: [string, number][]): TaskView {
  return {
    id,
    status,
    channel: 'chat',
    request: said[0]![0],
    answers: said.slice(1).map(([text]) => text),
    userMessages: said.map(([text, second]) => ({ text, sentAt: at(second) })),
    timeZone: 'Europe/Berlin',
    waitingFor: null,
    result: null,
    error: null,
    attempts: 1,
    createdAt: at(said[0]![1]),
    updatedAt: at(said.at(-1)![1]),
  };
}

const YES_NO = {
  choices: [
    { label: 'Yes', value: 'yes' },
    { label: 'No', value: 'no' },
  ],
};
const describeEntry = (e: ReturnType<typeof buildTimeline>[number]) =>
  e.kind === 'user' ? `you: ${e.text}` : `agent: ${e.message.content}`;

describe('the chat timeline', () => {
  it("interleaves the user's request and answers with the agent's messages by time", () => {
    const messages = [agent('t1', 2, 'Which day?'), agent('t1', 6, 'Booked'), agent(null, 4, 'Maintenance tonight')];
    const tasks = [
      task('t1', 'COMPLETED', [
        ['book lunch', 1],
        ['friday', 5],
      ]),
    ];
    expect(buildTimeline(messages, tasks).map(describeEntry)).toEqual([
      'you: book lunch',
      'agent: Which day?',
      'agent: Maintenance tonight',
      'you: friday',
      'agent: Booked',
    ]);
  });

  it("puts the user's words before the agent's at the same millisecond, and the agent's by position", () => {
    const messages = [agent('t1', 1, 'Processing'), agent('t1', 1, 'Checking')];
    const entries = buildTimeline(messages, [task('t1', 'PROCESSING', [['book lunch', 1]])]);
    expect(entries.map(describeEntry)).toEqual(['you: book lunch', 'agent: Processing', 'agent: Checking']);
  });

  it('cuts the timeline into runs of one task, so two tasks that interleave make several runs', () => {
    const messages = [agent('a', 2, 'A1'), agent('b', 3, 'B1'), agent('a', 5, 'A2')];
    const tasks = [task('a', 'COMPLETED', [['first', 1]]), task('b', 'COMPLETED', [['second', 3]])];
    const runs = toRuns(buildTimeline(messages, tasks));
    expect(runs.map((r) => [r.taskId, r.entries.length])).toEqual([
      ['a', 2],
      ['b', 2],
      ['a', 1],
    ]);
  });

  it('keeps the buttons of the newest offer of a waiting task open until the user replies', () => {
    const offer = agent('t1', 2, 'Book the series?', YES_NO);
    const waiting = buildTimeline([offer], [task('t1', 'WAITING_FOR_USER', [['standup every monday', 1]])]);
    const entry = waiting.find((e): e is AgentEntry => e.kind === 'agent')!;
    expect(entry.choices.map((c) => c.label)).toEqual(['Yes', 'No']);
    expect(entry.open).toBe(true);
    expect(entry.chosen).toBeNull();
  });

  it('closes an answered offer and marks the choice the user typed or clicked', () => {
    const offer = agent('t1', 2, 'Book the series?', YES_NO);
    const answered = buildTimeline(
      [offer],
      [
        task('t1', 'QUEUED', [
          ['standup every monday', 1],
          ['Yes', 3],
        ]),
      ],
    );
    const entry = answered.find((e): e is AgentEntry => e.kind === 'agent')!;
    expect(entry.open).toBe(false);
    expect(entry.chosen).toBe('yes');
    const reply = answered.at(-1)!;
    expect(reply.kind === 'user' && reply.label).toBe('Yes');
  });

  it('marks the choice a typed answer took, from the slot or meeting the agent then acted on', () => {
    const slots = [
      { start: at(100), end: at(130) },
      { start: at(200), end: at(230) },
    ];
    const choices = [
      { label: 'first', value: 'option 1' },
      { label: 'second', value: 'option 2' },
    ];
    const offer = agent('t1', 2, 'Free times: ...', { alternatives: slots, choices });
    const booked = { ...agent('t1', 4, 'Meeting scheduled'), type: 'CONFIRMATION' as const, data: { startsAt: at(200) } };
    const entries = buildTimeline(
      [offer, booked],
      [
        task('t1', 'COMPLETED', [
          ['lunch', 1],
          ['the second one', 3],
        ]),
      ],
    );
    expect(entries.find((e): e is AgentEntry => e.kind === 'agent' && e.choices.length > 0)!.chosen).toBe('option 2');

    const candidates = [
      { eventId: 'e1', start: at(100), end: at(130), title: 'A' },
      { eventId: 'e2', start: at(200), end: at(230), title: 'B' },
    ];
    const which = agent('t2', 12, 'Which one?', { candidates, choices });
    const cancelled = { ...agent('t2', 14, 'Meeting cancelled'), type: 'CANCELLATION' as const, data: { eventId: 'e1' } };
    const cancelEntries = buildTimeline(
      [which, cancelled],
      [
        task('t2', 'COMPLETED', [
          ['cancel my meeting', 11],
          ['the 9am one', 13],
        ]),
      ],
    );
    expect(cancelEntries.find((e): e is AgentEntry => e.kind === 'agent' && e.choices.length > 0)!.chosen).toBe('option 1');
  });

  it('closes an older offer when the agent asked again, and ignores choices that do not parse', () => {
    const first = agent('t1', 2, 'Which time?', { choices: [{ label: '3 PM', value: 'option 1' }] });
    const again = agent('t1', 4, 'Which one?', { choices: [{ label: '3 PM', value: 'option 1' }] });
    const junk = agent('t1', 5, 'Odd data', { choices: [{ label: '' }] });
    const entries = buildTimeline(
      [first, again, junk],
      [
        task('t1', 'WAITING_FOR_USER', [
          ['lunch', 1],
          ['hmm', 3],
        ]),
      ],
    );
    const agents = entries.filter((e): e is AgentEntry => e.kind === 'agent');
    expect(agents.map((e) => [e.open, e.choices.length])).toEqual([
      [false, 1],
      [true, 1],
      [false, 0],
    ]);
  });
});
