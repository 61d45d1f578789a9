import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { acquirePgliteLock, PgliteLockedError } from './pglite-lock';

const run = promisify(execFile);
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'pglite-lock-'));

describe('PGlite single-process lock', () => {
  const releases: Array<() => void> = [];
  afterEach(() => releases.splice(0).forEach((r) => r()));

  it('refuses a second process: the chat:send CLI fails naming the holder and DATABASE_URL', async () => {
    const dir = path.join(tmp(), 'db');
    releases.push(acquirePgliteLock(dir));
    const child = await run('npx', ['tsx', 'scripts/chat-send.ts', '--user', 'u', '--type', 'info', '--content', 'x'], {
      env: { ...process.env, PGLITE_DIR: dir, DATABASE_URL: '' },
    }).then(
      () => ({ code: 0, stdout: '' }),
      (err: { code: number; stdout: string }) => err,
    );
    expect(child.code).toBe(1);
    const output = JSON.parse(child.stdout) as { success: boolean; error: string };
    expect(output.success).toBe(false);
    expect(output.error).toContain(`in use by another process (pid ${process.pid})`);
    expect(output.error).toContain('set DATABASE_URL');
    expect(fs.existsSync(path.join(dir, 'PG_VERSION'))).toBe(false);
  });

  it('takes over a lock left by a process that no longer exists', () => {
    const dir = path.join(tmp(), 'db');
    fs.writeFileSync(`${dir}.lock`, '999999999');
    const release = acquirePgliteLock(dir);
    expect(fs.readFileSync(`${dir}.lock`, 'utf8')).toBe(String(process.pid));
    release();
    expect(fs.existsSync(`${dir}.lock`)).toBe(false);
  });

  it('throws PgliteLockedError while a live process holds the lock', () => {
    const dir = path.join(tmp(), 'db');
    fs.writeFileSync(`${dir}.lock`, String(process.ppid));
    expect(() => acquirePgliteLock(dir)).toThrow(PgliteLockedError);
    fs.rmSync(`${dir}.lock`);
  });
});
