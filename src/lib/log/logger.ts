import pino, { type Logger } from 'pino';
import { getEnv } from '@/lib/config/env';

const globalForLogger = globalThis as unknown as { __chatLogger?: Logger };

/** The process-wide JSON logger (pino). One instance even when Next loads this module twice. */
export function getLogger(): Logger {
  // stderr keeps stdout free for the CLIs' JSON results; servers' supervisors collect both.
  globalForLogger.__chatLogger ??= pino(
    { level: getEnv().LOG_LEVEL, base: { service: 'chat-response' } },
    pino.destination(2),
  );
  return globalForLogger.__chatLogger;
}
