// DELETE /api/users/me { password } - delete the signed-in user's account and all of its data
import { getEnv } from '@/lib/config/env';
import { withSession } from '@/lib/http/route';
import { consumeRateLimit } from '@/lib/rate-limit';
import { DeleteAccountBody, DeleteAccountResponse } from '@/lib/schemas/users';
import { deleteOwnAccount } from '@/lib/services/account-deletion.service';

export const DELETE = withSession(
  { limit: 'account', body: DeleteAccountBody, response: DeleteAccountResponse },
  async ({ userId, body }) => {
    // A stolen cookie must not become a password-guessing oracle: the sign-in budget, per user.
    await consumeRateLimit('password-check', userId, getEnv().AUTH_RATE_LIMIT_POINTS);
    await deleteOwnAccount({ userId, password: body.password });
    return { deleted: true as const };
  },
);
