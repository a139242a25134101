import { type ErrorCode, TikTokError } from '../errors.js';
import type { TikTokHttpResponse } from './tiktok-http.js';

/** TikTok's OAuth `error` values (tiktok-api.md §7) and what they mean for us. */
const OAUTH_ERRORS: Record<string, { code: ErrorCode; retryable: boolean }> = {
  invalid_grant: { code: 'tiktok_invalid_grant', retryable: false },
  invalid_client: { code: 'tiktok_invalid_client', retryable: false },
  unauthorized_client: { code: 'tiktok_invalid_client', retryable: false },
  invalid_request: { code: 'tiktok_invalid_request', retryable: false },
  invalid_scope: { code: 'tiktok_invalid_scope', retryable: false },
  access_denied: { code: 'access_denied', retryable: false },
  unsupported_grant_type: { code: 'tiktok_error', retryable: false },
  unsupported_response_type: { code: 'tiktok_error', retryable: false },
  server_error: { code: 'tiktok_unavailable', retryable: true },
  temporarily_unavailable: { code: 'tiktok_unavailable', retryable: true },
};

/** Turns a token/revoke answer that is not a success into a TikTokError, whatever its HTTP status. */
export function oauthErrorFrom(
  response: TikTokHttpResponse,
  errorValue: unknown,
  description: unknown,
): TikTokError {
  const common = { logId: response.logId, httpStatus: response.status };
  // A 429 is rate limiting whatever the body calls it.
  if (response.status === 429) {
    return new TikTokError('tiktok_rate_limited', 'TikTok rate limit reached', {
      ...common,
      status: 429,
      tiktokCode: typeof errorValue === 'string' ? errorValue : undefined,
      retryable: true,
    });
  }
  if (typeof errorValue === 'string' && errorValue !== '') {
    const known = OAUTH_ERRORS[errorValue];
    const detail = typeof description === 'string' && description ? description : errorValue;
    return new TikTokError(known?.code ?? 'tiktok_error', `TikTok: ${errorValue}: ${detail}`, {
      ...common,
      tiktokCode: errorValue,
      retryable: known?.retryable ?? response.status >= 500,
    });
  }
  if (response.status >= 500) {
    return new TikTokError('tiktok_unavailable', `TikTok answered HTTP ${response.status}`, {
      ...common,
      retryable: true,
    });
  }
  return new TikTokError(
    'tiktok_bad_response',
    `TikTok answered HTTP ${response.status} without a usable body`,
    {
      ...common,
      retryable: false,
    },
  );
}
