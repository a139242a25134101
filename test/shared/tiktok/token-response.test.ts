import { describe, expect, it } from 'vitest';
import { TikTokError } from '../../../shared/errors.js';
import { parseTokenResponse } from '../../../shared/tiktok/oauth-client.js';
import type { TikTokHttpResponse } from '../../../shared/tiktok/tiktok-http.js';

const at = 1_700_000_000_000;
const answer = (status: number, body: unknown, logId = 'log-1'): TikTokHttpResponse => ({
  status,
  body,
  logId,
  retryAfterSeconds: undefined,
});
const success = {
  access_token: 'act.abc!def',
  expires_in: 86400,
  open_id: 'open-1',
  refresh_token: 'rft.xyz',
  refresh_expires_in: 31536000,
  scope: 'user.info.basic,video.list',
  token_type: 'Bearer',
};

function failure(response: TikTokHttpResponse): TikTokError {
  try {
    parseTokenResponse(response, at);
  } catch (error) {
    if (error instanceof TikTokError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('parseTokenResponse', () => {
  it('reads tokens, open_id, granted scopes and both expiries from the answer', () => {
    const tokens = parseTokenResponse(answer(200, success), at);
    expect(tokens.openId).toBe('open-1');
    expect(tokens.accessToken.reveal()).toBe('act.abc!def');
    expect(tokens.refreshToken.reveal()).toBe('rft.xyz');
    expect(tokens.accessExpiresAt).toBe(at + 86400_000);
    expect(tokens.refreshExpiresAt).toBe(at + 31536000_000);
    expect(tokens.scopes).toEqual(['user.info.basic', 'video.list']);
    expect(JSON.stringify(tokens)).not.toContain('act.abc');
  });

  it('takes the 2-hour / 180-day lifetimes of the newer docs just as well, and numbers sent as strings', () => {
    const tokens = parseTokenResponse(
      answer(200, { ...success, expires_in: '7200', refresh_expires_in: 15552000 }),
      at,
    );
    expect(tokens.accessExpiresAt).toBe(at + 7200_000);
    expect(tokens.refreshExpiresAt).toBe(at + 15552000_000);
  });

  it('treats an error inside an HTTP 200 as a failure', () => {
    const error = failure(
      answer(200, { error: 'invalid_client', error_description: 'Client key does not match', log_id: 'L' }),
    );
    expect(error.code).toBe('tiktok_invalid_client');
    expect(error.retryable).toBe(false);
    expect(error.logId).toBe('log-1');
  });

  it('maps invalid_grant as terminal and server_error as retryable', () => {
    expect(failure(answer(400, { error: 'invalid_grant' })).code).toBe('tiktok_invalid_grant');
    const busy = failure(answer(200, { error: 'temporarily_unavailable' }));
    expect(busy.code).toBe('tiktok_unavailable');
    expect(busy.retryable).toBe(true);
  });

  it('tolerates unknown error codes', () => {
    const error = failure(answer(400, { error: 'brand_new_error', error_description: 'x' }));
    expect(error.code).toBe('tiktok_error');
    expect(error.tiktokCode).toBe('brand_new_error');
  });

  it('refuses a 200 without access_token, or lacking refresh token or expiries', () => {
    expect(failure(answer(200, { data: {}, message: 'ok' })).code).toBe('tiktok_bad_response');
    const { refresh_token: _r, ...noRefresh } = success;
    expect(failure(answer(200, noRefresh)).detail).toMatch(/refresh_token/);
    const { refresh_expires_in: _e, ...noExpiry } = success;
    expect(failure(answer(200, noExpiry)).detail).toMatch(/refresh_expires_in/);
    expect(failure(answer(200, { ...success, expires_in: -5 })).detail).toMatch(/expires_in/);
  });

  it('maps a 5xx without body to a retryable unavailability and a 429 to rate limiting', () => {
    expect(failure(answer(503, undefined)).code).toBe('tiktok_unavailable');
    expect(failure(answer(503, undefined)).retryable).toBe(true);
    expect(failure(answer(429, undefined)).code).toBe('tiktok_rate_limited');
  });
});
