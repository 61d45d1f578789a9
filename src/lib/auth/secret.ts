import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { getEnv } from '@/lib/config/env';

let cached: string | undefined;

/**
 * The key that signs session tokens: NEXTAUTH_SECRET, or (outside production, where env
 * validation demands the variable) one generated once and kept in `.data/nextauth-secret`,
 * so `npm run dev` needs no setup and sessions survive restarts.
 */
export function getAuthSecret(): string {
  if (cached) return cached;
  const env = getEnv();
  if (env.NEXTAUTH_SECRET) return (cached = env.NEXTAUTH_SECRET);
  const file = path.join(process.cwd(), '.data', 'nextauth-secret');
  try {
    cached = fs.readFileSync(file, 'utf8').trim();
  } catch {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fresh = randomBytes(32).toString('base64url');
    try {
      fs.writeFileSync(file, fresh, { flag: 'wx', mode: 0o600 });
      cached = fresh;
    } catch {
      // Another process wrote it first; use theirs so both sign with one key.
      cached = fs.readFileSync(file, 'utf8').trim();
    }
  }
  return cached;
}

/** True when session cookies carry the `__Secure-` prefix (the app is served over https). */
export function usesSecureCookies(): boolean {
  return getEnv().NEXTAUTH_URL?.startsWith('https://') ?? false;
}
