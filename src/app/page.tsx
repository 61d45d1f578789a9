import { SignOutButton } from '@/components/sign-out-button';
import { requirePageSession } from '@/lib/auth/session';

export const dynamic = 'force-dynamic';

export default async function Home() {
  const user = await requirePageSession();
  return (
    <main style={{ maxWidth: 640, margin: '3rem auto', padding: '0 1rem' }}>
      <h1>Chat Response Service</h1>
      <p>Signed in as {user.email}.</p>
      <SignOutButton />
    </main>
  );
}
