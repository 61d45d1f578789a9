import { ChatApp } from '@/components/chat/chat-app';
import { browserPusherSettings } from '@/lib/config/client-env';
import { getEnv } from '@/lib/config/env';
import { requirePageSession } from '@/lib/nextauth/page-session';
import * as userService from '@/lib/services/user.service';

export const dynamic = 'force-dynamic';

export default async function Home() {
  const user = await requirePageSession();
  // The zone the agent writes in, so the chat's times and the agent's agree.
  const timeZone = (await userService.getSchedulingPreferences(user.id))?.timeZone ?? null;
  // The browser's Pusher settings as the server reads them now (NEXT_PUBLIC_PUSHER_*, validated at
  // start), so changing them takes a restart, not a rebuild.
  const pusher = browserPusherSettings(getEnv());
  return <ChatApp userId={user.id} email={user.email} timeZone={timeZone} pusher={pusher} />;
}
