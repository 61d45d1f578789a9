// POST /api/users/me/password { currentPassword, newPassword } - change the password; ends the user's other sessions
import { getRequestSession } from '@/lib/auth/session';
import { getEnv } from '@/lib/config/env';
import { AppError } from '@/lib/errors/app-error';
import { withSession } from '@/lib/http/route';
import { consumeRateLimit } from '@/lib/rate-limit';
import { ChangePasswordBody, ChangePasswordResponse } from '@/lib/schemas/users';
import { changePassword } from '@/lib/services/user.service';

export const POST = withSession(
  { limit: 'account', body: ChangePasswordBody, response: ChangePasswordResponse },
  async ({ req, userId, body }) => {
    // A stolen cookie must not become a password-guessing oracle: the sign-in budget, per user.
    await consumeRateLimit('password-check', userId, getEnv().AUTH_RATE_LIMIT_POINTS);
    // The session this request came with stays signed in (the wrapper has checked it; the lookup is cached).
    const session = await getRequestSession(req);
    if (!session || session.userId !== userId) throw new AppError('unauthorized', 'Sign in first: no valid session');
    const { endedSessions } = await changePassword({ userId, keepSessionId: session.sessionId, ...body });
    return { ok: true as const, endedSessions };
  },
);
