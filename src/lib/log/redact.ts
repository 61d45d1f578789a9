/**
 * Errors as they may appear in logs. Drizzle wraps a driver error as `DrizzleQueryError` whose
 * message is "Failed query: <sql>\nparams: <values>" and which carries `query` and `params`; the
 * values are users' passwords' hashes, message content, task requests. PostgreSQL errors carry
 * `detail` and `where`, which quote rows and JSON text. So an error is logged as its type, code
 * and message (a query error's without its parameters), its stack frames without the message
 * line, and the same for its causes.
 */

export interface LoggedError {
  type: string;
  message: string;
  code?: string;
  stack?: string;
  cause?: LoggedError;
}

const MAX_CAUSES = 4;

/** `text` without the "\nparams: ..." tail Drizzle appends to a failed query's message. */
export function withoutQueryParams(text: string): string {
  const at = text.indexOf('\nparams:');
  return at < 0 ? text : text.slice(0, at);
}

function frames(stack: unknown): string | undefined {
  if (typeof stack !== 'string') return undefined;
  const lines = stack.split('\n').filter((line) => /^\s+at /.test(line));
  return lines.length > 0 ? lines.join('\n') : undefined;
}

/** pino serializer for `err`: see the module comment. Strings lose a query's parameters too. */
export function serializeError(err: unknown, depth = 0): LoggedError | string | unknown {
  if (typeof err === 'string') return withoutQueryParams(err);
  if (!(err instanceof Error)) return err;
  const { code, cause } = err as { code?: unknown; cause?: unknown };
  const logged: LoggedError = { type: err.name || err.constructor?.name || 'Error', message: withoutQueryParams(err.message) };
  if (typeof code === 'string' || typeof code === 'number') logged.code = String(code);
  const stack = frames(err.stack);
  if (stack) logged.stack = stack;
  if (cause !== undefined && depth < MAX_CAUSES) {
    const inner = serializeError(cause, depth + 1);
    if (inner && typeof inner === 'object') logged.cause = inner as LoggedError;
    else if (typeof inner === 'string') logged.cause = { type: 'Error', message: inner };
  }
  return logged;
}
