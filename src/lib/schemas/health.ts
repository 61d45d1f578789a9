import { z } from 'zod';

/** GET /api/health: readiness by default; `?probe=live` answers from the process alone. */
export const HealthQuery = z.object({
  probe: z.enum(['live', 'ready'], { message: "must be 'live' or 'ready'" }).optional(),
});

export const HEALTH_COMPONENTS = ['database', 'queue', 'fanout'] as const;
export type HealthComponent = (typeof HEALTH_COMPONENTS)[number];

const CheckStatus = z.enum(['ok', 'fail']);

/**
 * Status per component and nothing else: no versions, hosts, error texts or timings, which
 * would tell a stranger more than whether to send traffic here.
 */
export const HealthResponse = z.object({
  status: CheckStatus,
  checks: z.partialRecord(z.enum(HEALTH_COMPONENTS), CheckStatus).optional(),
});
export type HealthResponse = z.infer<typeof HealthResponse>;
