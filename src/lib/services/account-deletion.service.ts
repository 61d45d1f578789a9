import * as attachmentService from '@/lib/services/attachment.service';
import { sessionsEnded } from '@/lib/auth/session-store';
import { getDb } from '@/lib/db/client';
import { AppError } from '@/lib/errors/app-error';
import { deleteRateLimitsOfUser } from '@/lib/rate-limit/erase';
import * as connectionRepository from '@/lib/repositories/calendar-connection.repository';
import * as feedRepository from '@/lib/repositories/calendar-feed.repository';
import * as chatMessageRepository from '@/lib/repositories/chat-message.repository';
import * as taskRepository from '@/lib/repositories/scheduling-task.repository';
import * as sessionRepository from '@/lib/repositories/user-session.repository';
import * as calendarBooking from '@/lib/services/calendar-booking.service';
import * as userService from '@/lib/services/user.service';

/**
 * Account deletion: the user and everything that is theirs, in one transaction. Each table's
 * owner deletes its own rows; this is the one place that calls them all, so a new table of user
 * data needs one more line here (test/http/sessions.http.test.ts counts every table with a
 * "userId" column and fails on a row left behind).
 */

/** What an account deletion removed, per table. */
export interface DeletedAccount {
  id: string;
  email: string;
  rows: {
    chat_messages: number;
    chat_user_cursors: number;
    scheduling_agent_tasks: number;
    calendar_events: number;
    calendar_connections: number;
    calendar_feeds: number;
    rate_limits: number;
    user_sessions: number;
    users: number;
  };
}

/**
 * Deletes the user and all their rows, and ends their sessions (every instance stops accepting
 * them within SESSION_CHECK_TTL_MS). Jobs still queued for their tasks find no task and end
 * without doing anything. Undefined when there is no such user.
 */
export async function deleteAccount(userId: string): Promise<DeletedAccount | undefined> {
  const db = await getDb();
  let files: attachmentService.StoredFile[] = [];
  const deleted = await db.transaction(async (tx): Promise<DeletedAccount | undefined> => {
    // The row lock makes concurrent deletions of one account wait for each other.
    const user = await userService.lockUser(tx, userId);
    if (!user) return undefined;
    files = await attachmentService.deleteAttachmentRowsOfUser(tx, userId);
    const chat = await chatMessageRepository.deleteAllOfUser(tx, userId);
    const tasks = await taskRepository.deleteTasksOfUser(tx, userId);
    const events = await calendarBooking.deleteEventsOfUser(tx, userId);
    const connections = Number(await connectionRepository.deleteConnection(userId, tx));
    const feeds = Number(await feedRepository.deleteFeed(userId, tx));
    const limits = await deleteRateLimitsOfUser(tx, { userId, email: user.email });
    const sessions = await sessionRepository.deleteSessionsOfUser(tx, { userId });
    const users = await userService.deleteUserRow(tx, userId);
    return {
      id: user.id,
      email: user.email,
      rows: {
        chat_messages: chat.chatMessages,
        chat_user_cursors: chat.chatUserCursors,
        scheduling_agent_tasks: tasks,
        calendar_events: events,
        calendar_connections: connections,
        calendar_feeds: feeds,
        rate_limits: limits,
        user_sessions: sessions,
        users,
      },
    };
  });
  if (deleted) {
    await sessionsEnded(userId);
    // The bytes go once the rows are gone for good (S3 is outside the transaction).
    await attachmentService.deleteStoredFiles(files);
  }
  return deleted;
}

/**
 * `DELETE /api/users/me`: the signed-in user deletes their own account, confirming with their password.
 * @throws AppError `forbidden` for a wrong password; `not_found` when the account is already gone.
 */
export async function deleteOwnAccount({ userId, password }: { userId: string; password: string }): Promise<DeletedAccount> {
  await userService.confirmPassword(userId, password);
  const deleted = await deleteAccount(userId);
  if (!deleted) throw new AppError('not_found', 'No such user');
  return deleted;
}

/**
 * `npm run user:delete -- --email E`: an operator deletes an account by its email.
 * @throws AppError `not_found` when no user has that email.
 */
export async function deleteAccountByEmail(email: string): Promise<DeletedAccount> {
  const user = await userService.findUserByEmail(email);
  const deleted = user ? await deleteAccount(user.id) : undefined;
  if (!deleted) throw new AppError('not_found', `No user with email ${email.trim().toLowerCase()}`);
  return deleted;
}
