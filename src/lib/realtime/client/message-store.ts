import type { ClientChatMessage, ReadEvent } from './types';

/**
 * The client's one copy of the conversation, whatever transport delivered it: messages by id
 * (a message seen twice is kept once), kept in position order, and the cursor (the highest
 * position seen) that every transport resumes from.
 */
export class MessageStore {
  private readonly byId = new Map<string, ClientChatMessage>();
  private sorted: ClientChatMessage[] = [];
  cursor = 0;

  /**
   * Adds messages; returns true when anything changed. Only gap-free sources (history pages,
   * the SSE stream) advance the cursor: a Pusher event may arrive after an earlier message that
   * Pusher never delivered, and moving the cursor past that one would lose it.
   */
  add(messages: ClientChatMessage[], options: { advanceCursor: boolean } = { advanceCursor: true }): boolean {
    let changed = false;
    for (const message of messages) {
      if (options.advanceCursor) this.cursor = Math.max(this.cursor, message.position);
      const known = this.byId.get(message.id);
      // A copy changes a known message only by marking it read: read never goes back to unread.
      if (known && (known.read || !message.read)) continue;
      this.byId.set(message.id, known ? { ...known, read: true } : message);
      changed = true;
    }
    if (changed) this.sorted = [...this.byId.values()].sort((a, b) => a.position - b.position);
    return changed;
  }

  /** Applies a read change from this or another tab; returns true when anything changed. */
  markRead(event: ReadEvent): boolean {
    let changed = false;
    for (const message of this.byId.values()) {
      const hit = 'ids' in event ? event.ids.includes(message.id) : message.position <= event.upTo;
      if (hit && !message.read) {
        this.byId.set(message.id, { ...message, read: true });
        changed = true;
      }
    }
    if (changed) this.sorted = [...this.byId.values()].sort((a, b) => a.position - b.position);
    return changed;
  }

  get messages(): ClientChatMessage[] {
    return this.sorted;
  }
}
