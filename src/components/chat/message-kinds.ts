import type { ClientChatMessage } from '@/lib/realtime/client/types';

/**
 * How each of the six message types looks: a glyph in a coloured disc (plain characters every
 * system font has, unlike emoji), a visible label, and a colour class.
 */
export const MESSAGE_KINDS: Record<ClientChatMessage['type'], { icon: string; label: string; className: string }> = {
  SCHEDULING_UPDATE: { icon: '↻', label: 'Update', className: 'update' },
  CONFIRMATION: { icon: '✓', label: 'Confirmed', className: 'confirmation' },
  CLARIFICATION: { icon: '?', label: 'Question', className: 'clarification' },
  CANCELLATION: { icon: '✕', label: 'Cancelled', className: 'cancellation' },
  ERROR: { icon: '!', label: 'Error', className: 'error' },
  INFO: { icon: 'i', label: 'Info', className: 'info' },
};
