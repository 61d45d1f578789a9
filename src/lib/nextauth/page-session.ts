import { getServerSession } from 'next-auth';
import { redirect } from 'next/navigation';
import { getAuthOptions } from './options';

/**
 * For server components: the signed-in user, or a redirect to /login. `getServerSession` runs the
 * `jwt` callback (options.ts), which refuses a session that has ended, so this honours sign-out,
 * password changes and account deletion like the API does.
 */
export async function requirePageSession(): Promise<{ id: string; email: string; name: string | null }> {
  const session = await getServerSession(getAuthOptions());
  if (!session?.user?.id) redirect('/login');
  return { id: session.user.id, email: session.user.email ?? '', name: session.user.name ?? null };
}
