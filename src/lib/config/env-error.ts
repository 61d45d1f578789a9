/**
 * Thrown at start when a variable is invalid; the message names every bad variable. Its own module
 * so that the browser's environment (client-env.ts) can throw it without bundling the server's.
 */
export class EnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvError';
  }
}

/** The lines of an EnvError message, one per zod issue: `  VARIABLE: what is wrong`. */
export function describeIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): string {
  return issues.map((issue) => `  ${issue.path.map(String).join('.')}: ${issue.message}`).join('\n');
}
