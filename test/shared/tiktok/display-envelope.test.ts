import { describe, expect, it } from 'vitest';
import { TikTokError } from '../../../shared/errors.js';
import { readEnvelope } from '../../../shared/tiktok/display-api.js';

const ok = { data: { user: { open_id: 'o' } }, error: { code: 'ok', message: '', log_id: 'L1' } };

function failure(status: number, body: unknown, retryAfterSeconds?: number): TikTokError {
  try {
    readEnvelope({ status, body, logId: 'L1', retryAfterSeconds });
  } catch (error) {
    if (error instanceof TikTokError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('Display API envelope', () => {
  it('treats error.code "ok" with a 2xx as success, even though an error object is present', () => {
    expect(readEnvelope({ status: 200, body: ok, logId: 'L1', retryAfterSeconds: undefined }).data).toEqual(
      ok.data,
    );
  });

  it('refuses a 200 whose error.code is not ok', () => {
    const error = failure(200, { data: {}, error: { code: 'internal_error', message: 'x', log_id: 'L2' } });
    expect(error.code).toBe('tiktok_unavailable');
    expect(error.retryable).toBe(true);
  });

  it('maps scope errors to 403, rate limiting to 429 keeping TikTok’s Retry-After, and tolerates unknown codes', () => {
    expect(failure(401, { error: { code: 'scope_not_authorized' } }).status).toBe(403);
    expect(failure(400, { error: { code: 'scope_permission_missed' } }).status).toBe(403);
    const limited = failure(429, { error: { code: 'rate_limit_exceeded' } }, 17);
    expect(limited.status).toBe(429);
    expect(limited.retryAfterSeconds).toBe(17);
    expect(failure(400, { error: { code: 'brand_new_code', message: 'm' } }).tiktokCode).toBe(
      'brand_new_code',
    );
    expect(failure(502, undefined).code).toBe('tiktok_unavailable');
  });
});
