// /api/auth/* - NextAuth v4 (csrf, callback/credentials, session, signout)
import NextAuth from 'next-auth';
import { getAuthOptions } from '@/lib/nextauth/options';
import { toErrorResponse } from '@/lib/http/errors';
import { assertStorableRequest } from '@/lib/http/request-text';

type Handler = (req: Request, ctx: { params: Promise<{ nextauth: string[] }> }) => Promise<Response>;

// Options are built per request so the secret is read after the environment is validated.
const handler: Handler = async (req, ctx) => {
  try {
    // The API's input rules hold here too: NUL, unpaired surrogates or bytes that are not UTF-8
    // in a sign-in form are a JSON 400 naming the field, before NextAuth or the database sees them.
    await assertStorableRequest(req);
  } catch (err) {
    return toErrorResponse(err, { method: req.method, path: new URL(req.url).pathname });
  }
  return (NextAuth(getAuthOptions()) as unknown as Handler)(req, ctx);
};

export { handler as GET, handler as POST };
