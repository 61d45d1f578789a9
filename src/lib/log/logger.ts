import pino, { type Logger } from 'pino';
import { getEnv } from '@/lib/config/env';
import { processGlobal } from '@/lib/runtime/process-global';

const processLogger = processGlobal<Logger>('logger');

/** The process-wide JSON logger (pino). One instance even when Next loads this module twice. */
export function getLogger(): Logger {
  // stderr keeps stdout free for the CLIs' JSON results; servers' supervisors collect both.
  return processLogger.getOrCreate(() => pino({ level: getEnv().LOG_LEVEL, base: { service: 'chat-response' } }, pino.destination(2)));
}
