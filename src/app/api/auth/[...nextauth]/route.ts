// /api/auth/* - NextAuth v4 (csrf, callback/credentials, session, signout)
import NextAuth from 'next-auth';
import { getAuthOptions } from '@/lib/auth/options';

type Handler = (req: Request, ctx: { params: Promise<{ nextauth: string[] }> }) => Promise<Response>;

// Options are built per request so the secret is read after the environment is validated.
const handler: Handler = (req, ctx) => (NextAuth(getAuthOptions()) as unknown as Handler)(req, ctx);

export { handler as GET, handler as POST };
