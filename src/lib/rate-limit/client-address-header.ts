/**
 * The header through which our Node entry (src/server/client-address.ts) tells the app the
 * client's address. Next.js route handlers never see the socket, so without it every anonymous
 * client shared one budget, and one client could spend it for everyone. A value sent by the
 * client itself is always overwritten. A leaf module, so the entry and lib/ share it without
 * lib/ importing the entry.
 */
export const CLIENT_ADDRESS_HEADER = 'x-chat-client-address';
