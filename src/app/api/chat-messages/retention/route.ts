// GET /api/chat-messages/retention - how long each message type is kept (CHAT_RETENTION), for the signed-in user
import { withSession } from '@/lib/http/route';
import { RetentionResponse } from '@/lib/schemas/retention';
import * as retentionService from '@/lib/services/retention.service';

export const GET = withSession({ limit: 'read', response: RetentionResponse }, async () => retentionService.getRetentionRules());
