// GET /api/chat-messages/unread-count - how many unread messages the caller has, in all and per priority (for badges)
//
// The documented contract. The app's Node entry (src/server/direct-routes.ts) serves GET of this
// path itself, before Next.js, with this same handler (src/lib/http/chat-read-endpoints.ts).
export { getUnreadCount as GET } from '@/lib/http/chat-read-endpoints';
