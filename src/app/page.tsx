import { ChatApp } from '@/components/chat/chat-app';
import { requirePageSession } from '@/lib/nextauth/page-session';

export const dynamic = 'force-dynamic';

export default async function Home() {
  const user = await requirePageSession();
  return <ChatApp userId={user.id} email={user.email} />;
}
