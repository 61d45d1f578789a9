import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, parseDurationRules } from './duration';
import { EnvError, parseEnv } from './env';

describe('durations (s m h d)', () => {
  it('reads a whole number and a unit into milliseconds', () => {
    expect(parseDuration('90s')).toEqual({ ms: 90_000 });
    expect(parseDuration('15m')).toEqual({ ms: 900_000 });
    expect(parseDuration('12h')).toEqual({ ms: 43_200_000 });
    expect(parseDuration('7d')).toEqual({ ms: 604_800_000 });
  });

  it.each(['', '7', 'd', '7w', '1.5d', '-1d', '0m', '7 d x', '99999999999d'])('refuses %j', (text) => {
    expect(parseDuration(text)).toHaveProperty('error');
  });

  it('writes the shortest exact spelling back', () => {
    expect(formatDuration(604_800_000)).toBe('7d');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(5_400_000)).toBe('90m');
  });

  it('reads KEY=DURATION lists with keys in any case and refuses unknown or repeated keys', () => {
    const keys = ['INFO', 'ERROR', 'default'] as const;
    expect(parseDurationRules('info=1d, Error=2h', keys)).toEqual({ rules: { INFO: 86_400_000, ERROR: 7_200_000 } });
    expect(parseDurationRules('5m', keys, 'default')).toEqual({ rules: { default: 300_000 } });
    expect(parseDurationRules('NOPE=1d', keys)).toMatchObject({ error: expect.stringContaining('"NOPE" is not one of') });
    expect(parseDurationRules('INFO=1d,info=2d', keys)).toMatchObject({ error: 'INFO is given twice' });
    expect(parseDurationRules('INFO=1d,,ERROR=1d', keys)).toHaveProperty('error');
  });
});

describe('CHAT_RETENTION', () => {
  it('is unset by default: every message is kept', () => {
    expect(parseEnv({}).CHAT_RETENTION).toBeUndefined();
  });

  it('reads rules per type (any case) and a default', () => {
    expect(parseEnv({ CHAT_RETENTION: 'SCHEDULING_UPDATE=7d,info=30d,default=365d' }).CHAT_RETENTION).toEqual({
      byType: { SCHEDULING_UPDATE: 7 * 86_400_000, INFO: 30 * 86_400_000 },
      default: 365 * 86_400_000,
    });
  });

  it.each(['SCHEDULING_UPDATE=7', 'CHAT=7d', 'INFO=7d,INFO=8d', 'INFO=0d', 'INFO'])(
    'stops start-up on %j, naming the variable',
    (value) => {
      expect(() => parseEnv({ CHAT_RETENTION: value })).toThrow(EnvError);
      expect(() => parseEnv({ CHAT_RETENTION: value })).toThrow(/CHAT_RETENTION: /);
    },
  );

  it('refuses a bad interval or batch size, naming the variable', () => {
    expect(() => parseEnv({ CHAT_RETENTION_INTERVAL: '10' })).toThrow(/CHAT_RETENTION_INTERVAL: /);
    expect(() => parseEnv({ CHAT_RETENTION_BATCH_SIZE: '0' })).toThrow(/CHAT_RETENTION_BATCH_SIZE: /);
    expect(parseEnv({}).CHAT_RETENTION_INTERVAL).toBe(600_000);
  });
});

describe('ESCALATE_AFTER and the escalation webhook', () => {
  it('defaults to 15 minutes for HIGH and URGENT', () => {
    expect(parseEnv({}).ESCALATE_AFTER).toEqual({ HIGH: 900_000, URGENT: 900_000 });
  });

  it('takes one duration for both, or one per priority, with the other at the given default or 15m', () => {
    expect(parseEnv({ ESCALATE_AFTER: '5m' }).ESCALATE_AFTER).toEqual({ HIGH: 300_000, URGENT: 300_000 });
    expect(parseEnv({ ESCALATE_AFTER: 'HIGH=30m,URGENT=5m' }).ESCALATE_AFTER).toEqual({ HIGH: 1_800_000, URGENT: 300_000 });
    expect(parseEnv({ ESCALATE_AFTER: 'urgent=1m' }).ESCALATE_AFTER).toEqual({ HIGH: 900_000, URGENT: 60_000 });
    expect(parseEnv({ ESCALATE_AFTER: '10m,URGENT=1m' }).ESCALATE_AFTER).toEqual({ HIGH: 600_000, URGENT: 60_000 });
  });

  it.each(['LOW=5m', '5', 'HIGH=5m,HIGH=6m', 'soon'])('stops start-up on ESCALATE_AFTER=%j, naming it', (value) => {
    expect(() => parseEnv({ ESCALATE_AFTER: value })).toThrow(/ESCALATE_AFTER: /);
  });

  it('requires a secret of 16+ characters with a webhook URL, and an http(s) URL', () => {
    expect(() => parseEnv({ ESCALATION_WEBHOOK_URL: 'https://hooks.example.com/x' })).toThrow(/ESCALATION_WEBHOOK_SECRET: is required/);
    expect(() => parseEnv({ ESCALATION_WEBHOOK_URL: 'https://hooks.example.com/x', ESCALATION_WEBHOOK_SECRET: 'short' })).toThrow(
      /ESCALATION_WEBHOOK_SECRET: must be at least 16/,
    );
    expect(() => parseEnv({ ESCALATION_WEBHOOK_URL: 'ftp://x.example.com', ESCALATION_WEBHOOK_SECRET: 'a'.repeat(16) })).toThrow(
      /ESCALATION_WEBHOOK_URL: /,
    );
    const env = parseEnv({ ESCALATION_WEBHOOK_URL: 'http://127.0.0.1:9/hook', ESCALATION_WEBHOOK_SECRET: 'a'.repeat(16) });
    expect(env.ESCALATION_WEBHOOK_URL).toBe('http://127.0.0.1:9/hook');
  });
});
