import { z } from 'zod';
import { Id, Instant, JsonRecord, TimeZone } from './common';

/**
 * Scheduling-agent tasks: the chat request the user sends, and the task as the API shows it.
 * The browser's task types (components/chat/use-tasks.ts) are inferred from `TaskView`, and the
 * task routes are typed against it.
 */

export const TASK_STATUSES = ['QUEUED', 'PROCESSING', 'WAITING_FOR_USER', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const MAX_REQUEST_LENGTH = 2_000;

// ---- HTTP requests ---------------------------------------------------------------------------

/** `POST /api/scheduling-agent/tasks` */
export const SubmitTaskBody = z.object(
  {
    request: z
      .string({ message: 'is required' })
      .max(MAX_REQUEST_LENGTH, `must be at most ${MAX_REQUEST_LENGTH} characters`)
      .refine((s) => s.trim().length > 0, 'must not be empty'),
    timezone: TimeZone.optional(),
    /** Answer this waiting task; without it the newest waiting task (if any) gets the answer. */
    taskId: Id.optional(),
  },
  { message: 'must be a JSON object' },
);
export type SubmitTaskBody = z.output<typeof SubmitTaskBody>;

/** `GET /api/scheduling-agent/tasks/{id}` */
export const TaskParams = z.object({ id: Id });

// ---- HTTP responses --------------------------------------------------------------------------

export const SubmitTaskResponse = z.object({ taskId: z.string(), status: z.literal('QUEUED') });

/** One thing the user said: a task's request or one of its answers. */
export const UserMessage = z
  .object({
    text: z.string(),
    /** When the server received it (the request: the task's createdAt). */
    sentAt: Instant,
  })
  .meta({ id: 'UserMessage' });
export type UserMessage = z.infer<typeof UserMessage>;

/** The task as the API shows it: no internals, `error` only as the user-facing text. */
export const TaskView = z
  .object({
    id: z.string(),
    status: z.enum(TASK_STATUSES),
    channel: z.string(),
    request: z.string(),
    /** The user's answers to the agent's questions, in order. */
    answers: z.array(z.string()),
    /**
     * What the user said in this task, in order, with when: the request, then each answer. The
     * chat interleaves these with the agent's messages by time.
     */
    userMessages: z.array(UserMessage),
    timeZone: z.string(),
    /** While WAITING_FOR_USER, what the agent asked for (details, request, alternatives, cancel-choice). */
    waitingFor: z.string().nullable(),
    result: JsonRecord.nullable(),
    error: z.string().nullable(),
    attempts: z.number().int().min(0),
    createdAt: Instant,
    updatedAt: Instant,
  })
  .meta({ id: 'Task' });
export type TaskView = z.infer<typeof TaskView>;

export const TaskListResponse = z.object({ tasks: z.array(TaskView) });
export type TaskListResponse = z.infer<typeof TaskListResponse>;
