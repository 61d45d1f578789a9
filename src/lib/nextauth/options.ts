// NextAuth's wiring: the Credentials provider over the user service, budgets and server-side
// sessions. Above src/lib/auth and src/lib/services (it uses both), so neither imports it.
import type { NextAuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import { verifyCredentials } from '@/lib/services/user.service';
import { clientAddress, consumeSignInAttempt } from '@/lib/rate-limit';
import { SIGN_IN_TOO_MANY_ATTEMPTS } from '@/lib/schemas/users';
import { getAuthSecret } from '@/lib/auth/secret';
import { endSession, isSessionActive, keepSessionAlive, SESSION_MAX_AGE_SECONDS, startSession } from '@/lib/auth/session-store';

/** NextAuth v4: email + password (Credentials provider `credentials`), JWT sessions carrying the user id. */
export function getAuthOptions(): NextAuthOptions {
  return {
    secret: getAuthSecret(),
    session: { strategy: 'jwt', maxAge: SESSION_MAX_AGE_SECONDS },
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
      async jwt({ token, user }) {
        if (user) {
          // A sign-in: the token names a new server-side session, which sign-out etc. can end.
          token.sub = user.id;
          token.sid = await startSession(user.id);
          return token;
        }
        // NextAuth v4 answers a throw here with no session and a cleared cookie (routes/session.js),
        // so /api/auth/session and getServerSession hand out nothing for an ended session.
        if (!token.sid || !token.sub || !(await isSessionActive(token.sid, token.sub))) throw new Error('The session has ended');
        await keepSessionAlive(token.sid);
        return token;
      },
      session({ session, token }) {
        if (session.user && token.sub) session.user.id = token.sub;
        return session;
      },
    },
    events: {
      // POST /api/auth/signout: the session ends on the server, not only in this browser.
      async signOut({ token }) {
        if (typeof token?.sid === 'string') await endSession(token.sid);
      },
    },
  };
}
