// GET /api/chat-messages?limit=1..100&minPriority=high - the signed-in user's unread messages, oldest first
// POST /api/chat-messages { messageIds } - mark messages read (the guide's file list puts it here too)
//
// The documented contract. The app's Node entry (src/server/direct-routes.ts) serves GET of this
// path itself, before Next.js, with this same handler (src/lib/http/chat-read-endpoints.ts).
export { getUnreadList as GET } from '@/lib/http/chat-read-endpoints';
export { POST } from './mark-read/route';
