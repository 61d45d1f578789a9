import { getServerSession } from 'next-auth';
import { redirect } from 'next/navigation';
import { getAuthOptions } from './options';

/** For server components: the signed-in user, or a redirect to /login. */
export async function requirePageSession(): Promise<{ id: string; email: string; name: string | null }> {
  const session = await getServerSession(getAuthOptions());
  if (!session?.user?.id) redirect('/login');
  return { id: session.user.id, email: session.user.email ?? '', name: session.user.name ?? null };
}
