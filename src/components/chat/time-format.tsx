import { formatLocal } from '@/scheduling/availability';

/**
 * Every time the chat shows, in the user's zone and in the agent's own format
 * ("Thu, Nov 26, 2:00 PM", formatLocal), so what the agent writes and what the UI prints match.
 */
export function formatChatTime(iso: string, timeZone: string): string {
  return formatLocal(new Date(iso), timeZone);
}

export function TimeStamp({ iso, timeZone }: { iso: string; timeZone: string }) {
  return (
    <time dateTime={iso} data-testid="message-time">
      {formatChatTime(iso, timeZone)}
    </time>
  );
}
