import { ChatApp } from '@/components/chat/chat-app';
import { requirePageSession } from '@/lib/nextauth/page-session';
import * as userService from '@/lib/services/user.service';

export const dynamic = 'force-dynamic';

export default async function Home() {
  const user = await requirePageSession();
  // The zone the agent writes in, so the chat's times and the agent's agree.
  const timeZone = (await userService.getSchedulingPreferences(user.id))?.timeZone ?? null;
  return <ChatApp userId={user.id} email={user.email} timeZone={timeZone} />;
}
