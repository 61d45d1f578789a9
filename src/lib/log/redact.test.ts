import { describe, expect, it } from 'vitest';
import { serializeError, withoutQueryParams } from './redact';

describe('serializeError', () => {
  it("drops a failed query's parameters from its message, stack and fields, keeping the cause's code", () => {
    const cause = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
      code: '22021',
      detail: 'Key (email)=(someone@example.com)',
      where: 'JSON data, line 1: {"secret":',
    });
    const err = Object.assign(
      new Error('Failed query: insert into "users" values ($1, $2)\nparams: a@example.com,scrypt$32768$8$1$salt$key'),
      {
        cause,
        query: 'insert into "users" values ($1, $2)',
        params: ['a@example.com', 'scrypt$32768$8$1$salt$key'],
      },
    );
    const logged = JSON.stringify(serializeError(err));
    expect(logged).not.toMatch(/scrypt\$|a@example\.com|someone@example\.com|secret/);
    expect(logged).toContain('Failed query: insert into \\"users\\"');
    expect(logged).toContain('"code":"22021"');
    expect(logged).toContain('invalid byte sequence');
  });

  it('strips the parameters from an error logged as its message string', () => {
    expect(withoutQueryParams('Failed query: select 1\nparams: hunter2')).toBe('Failed query: select 1');
    expect(serializeError('Failed query: select 1\nparams: hunter2')).toBe('Failed query: select 1');
  });
});
