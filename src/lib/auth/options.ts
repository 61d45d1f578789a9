import type { NextAuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import { verifyCredentials } from '@/lib/services/user.service';
import { clientAddress, consumeSignInAttempt } from '@/lib/rate-limit';
import { SIGN_IN_TOO_MANY_ATTEMPTS } from '@/lib/schemas/users';
import { getAuthSecret } from './secret';

/** NextAuth v4: email + password (Credentials provider `credentials`), JWT sessions carrying the user id. */
export function getAuthOptions(): NextAuthOptions {
  return {
    secret: getAuthSecret(),
    session: { strategy: 'jwt', maxAge: 30 * 24 * 60 * 60 },
    pages: { signIn: '/login' },
    providers: [
      CredentialsProvider({
        id: 'credentials',
        name: 'Email and password',
        credentials: {
          email: { label: 'Email', type: 'email' },
          password: { label: 'Password', type: 'password' },
        },
        async authorize(credentials, req) {
          const email = typeof credentials?.email === 'string' ? credentials.email.trim().toLowerCase() : '';
          // Budgets per address and per (account, address), before any hashing. NextAuth puts a
          // thrown error's message in the redirect as `error=`, so the form can tell it apart.
          if (!(await consumeSignInAttempt(email, clientAddress(req?.headers)))) throw new Error(SIGN_IN_TOO_MANY_ATTEMPTS);
          const user = await verifyCredentials({ email: credentials?.email, password: credentials?.password });
          return user ? { id: user.id, email: user.email, name: user.name } : null;
        },
      }),
    ],
    callbacks: {
      jwt({ token, user }) {
        if (user) token.sub = user.id;
        return token;
      },
      session({ session, token }) {
        if (session.user && token.sub) session.user.id = token.sub;
        return session;
      },
    },
  };
}
