import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closeDatabase } from '@/lib/db/client';

/**
 * Runs a CLI body with parsed `--flags`, prints its JSON result, and exits 0 on `ok`, 1 otherwise.
 * Bad flags and thrown errors are printed as `{ "error": ... }` with exit code 1.
 */
export async function runCli<T extends ParseArgsConfig['options']>(
  options: T,
  body: (values: Record<string, string | boolean | string[] | undefined>) => Promise<{ ok: boolean; output: unknown }>,
): Promise<never> {
  let code = 1;
  try {
    const { values } = parseArgs({ options, strict: true, allowPositionals: false });
    const { ok, output } = await body(values as Record<string, string | boolean | string[] | undefined>);
    console.log(JSON.stringify(output, null, 2));
    code = ok ? 0 : 1;
  } catch (err) {
    console.log(JSON.stringify({ error: err instanceof Error ? err.message : String(err) }, null, 2));
  } finally {
    await closeDatabase().catch(() => {});
  }
  process.exit(code);
}

/** The value of a required string flag, or an error naming it. */
export function required(values: Record<string, string | boolean | string[] | undefined>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new Error(`--${name} is required`);
  return value;
}
