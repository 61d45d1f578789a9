// POST /api/users { email, password, name? } - sign up (403 when ALLOW_SIGNUP=false)
import { getEnv } from '@/lib/config/env';
import { AppError } from '@/lib/errors/app-error';
import { withRoute } from '@/lib/http/route';
import { NewUserInput, SignUpResponse } from '@/lib/schemas/users';
import { createUser } from '@/lib/services/user.service';

export const POST = withRoute(
  { auth: 'none', limit: 'signup', body: NewUserInput, status: 201, response: SignUpResponse },
  async ({ body }) => {
    if (!getEnv().ALLOW_SIGNUP) throw new AppError('forbidden', 'Sign-up is disabled on this server');
    return { user: await createUser(body) };
  },
);
