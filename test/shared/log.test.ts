import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { Logger } from '../../shared/log.js';
import { Redacted } from '../../shared/redacted.js';

function capture() {
  const lines: string[] = [];
  return { lines, logger: new Logger({ sink: (line) => lines.push(line) }) };
}

describe('Logger redaction', () => {
  it('removes tokens, codes, verifiers, secrets and cookies by field name', () => {
    const { lines, logger } = capture();
    logger.info('x', {
      access_token: 'a1',
      refreshToken: 'r1',
      code: 'c1',
      code_verifier: 'v1',
      client_secret: 's1',
      cookie: 'k1',
      headers: { authorization: 'Bearer z1' },
      state: 'st1',
    });
    const line = lines[0] ?? '';
    for (const value of ['a1', 'r1', 'c1', 'v1', 's1', 'k1', 'z1', 'st1'])
      expect(line).not.toContain(`"${value}"`);
    expect(line).not.toContain('z1');
  });

  it('removes TikTok- and JWT-shaped values wherever they appear', () => {
    const { lines, logger } = capture();
    logger.warn('upstream said act.0123456789abcdef and rft.abcdefghijkl!', {
      detail: 'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl inside',
    });
    expect(lines[0]).not.toMatch(/act\.0123|rft\.abcd|eyJhbGci/);
  });

  it('prints Redacted values as [redacted] and keeps error codes', () => {
    const { lines, logger } = capture();
    logger.error('failed', {
      value: new Redacted('act.supersecret'),
      error: new AppError('state_expired', 400, 'late'),
    });
    const entry = JSON.parse(lines[0] ?? '{}');
    expect(entry.value).toBe('[redacted]');
    expect(entry.error.errorCode).toBe('state_expired');
    expect(String(new Redacted('x'))).toBe('[redacted]');
  });
});

describe('Logger pretty format (LOG_FORMAT=pretty, npm start)', () => {
  it('writes one readable line: time, level, message, then key=value, redacted as the JSON form is', () => {
    const lines: string[] = [];
    const logger = new Logger({
      sink: (line) => lines.push(line),
      format: 'pretty',
      context: { service: 's' },
    });
    logger.child({ openId: 'o-1' }).warn('refresh failed; will retry', {
      reason: 'tiktok_unavailable',
      refresh_token: 'rft.abcdefghijklmnop',
      detail: 'token act.abcdefghijklmnopq was refused',
      retries: 2,
    });
    expect(lines).toHaveLength(1);
    const [line = ''] = lines;
    expect(line).toMatch(
      /^\d\d:\d\d:\d\d WARN {2}refresh failed; will retry {2}openId=o-1 {2}reason=tiktok_unavailable {2}refresh_token=\[redacted\] {2}detail="token \[redacted\] was refused" {2}retries=2$/,
    );
    expect(line).not.toContain('service=');
    expect(() => JSON.parse(line)).toThrow();
  });

  it('keeps JSON by default (what CloudWatch Logs Insights reads in AWS)', () => {
    const { lines, logger } = capture();
    logger.info('hello', { a: 1 });
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: 'info', message: 'hello', a: 1 });
  });
});
