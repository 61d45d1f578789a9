import pino, { type Logger } from 'pino';
import { getEnv } from '@/lib/config/env';
import { processGlobal } from '@/lib/runtime/process-global';
import { serializeError } from './redact';

const processLogger = processGlobal<Logger>('logger');

/**
 * Keys whose values never reach a log line, at the top level and one level down (pino's `redact`
 * paths): credentials, session tokens, secrets, and what users write (message content, task
 * requests and answers), which is theirs, not the operator's.
 */
export const REDACTED_KEYS = [
  'password',
  'passwordHash',
  'hash',
  'secret',
  'token',
  'sessionToken',
  'cookie',
  'authorization',
  'NEXTAUTH_SECRET',
  'PUSHER_SECRET',
  'content',
  'request',
  'answer',
  'answers',
  'data',
  'params',
];

/** The process-wide JSON logger (pino). One instance even when Next loads this module twice. */
export function getLogger(): Logger {
  // stderr keeps stdout free for the CLIs' JSON results; servers' supervisors collect both.
  return processLogger.getOrCreate(() =>
    pino(
      {
        level: getEnv().LOG_LEVEL,
        base: { service: 'chat-response' },
        redact: { paths: [...REDACTED_KEYS, ...REDACTED_KEYS.map((key) => `*.${key}`)], censor: '[redacted]' },
        // Errors as name, code and message only: a failed query's parameters (hashes, message
        // text) live in its message, stack and `params`, and PostgreSQL's `detail`/`where` quote values.
        serializers: { err: serializeError, error: serializeError },
      },
      pino.destination(2),
    ),
  );
}
