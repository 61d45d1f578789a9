// GET /api/chat-messages/history?after=<position>&limit=1..200 - messages read or not, with positions:
// after a cursor (catch-up for polling and Pusher reconnects), or without one the latest page.
//
// The documented contract. The app's Node entry (src/server/direct-routes.ts) serves GET of this
// path itself, before Next.js, with this same handler (src/lib/http/chat-read-endpoints.ts).
export { getHistory as GET } from '@/lib/http/chat-read-endpoints';
