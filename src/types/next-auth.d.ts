import type { DefaultSession } from 'next-auth';

declare module 'next-auth' {
  interface Session {
    user: { id: string } & DefaultSession['user'];
  }
}

declare module 'next-auth/jwt' {
  interface JWT {
    /** The server-side session (`user_sessions.id`); the token counts only while that row exists. */
    sid?: string;
  }
}
