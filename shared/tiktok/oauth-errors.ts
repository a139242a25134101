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

/**
 * What a client is told about a TikTok refusal, per our code. TikTok's own `error_description` / `error.message`
 * never reaches a client (it is TikTok's text, may change, and can name internals); its `log_id` does.
 */
export const TIKTOK_REFUSAL_DETAIL: Partial<Record<ErrorCode, string>> & { tiktok_error: string } = {
  tiktok_invalid_grant: 'TikTok refused the authorization grant',
  tiktok_invalid_client: 'TikTok refused the app’s client credentials',
  tiktok_invalid_request: 'TikTok refused the request as invalid',
  tiktok_invalid_scope: 'TikTok refused the requested scopes',
  tiktok_error: 'TikTok answered with an error',
  tiktok_unavailable: 'TikTok is unavailable right now',
  tiktok_access_token_invalid: 'TikTok refused the access token',
  tiktok_scope_not_authorized: 'TikTok says this connection lacks a scope the request needs',
  tiktok_rate_limited: 'TikTok rate limit reached',
  access_denied: 'TikTok denied access',
};

/** Turns a token/revoke answer that is not a success into a TikTokError, whatever its HTTP status. */
export function oauthErrorFrom(
  response: TikTokHttpResponse,
  errorValue: unknown,
  description: unknown,
): TikTokError {
  const common = {
    logId: response.logId,
    httpStatus: response.status,
    retryAfterSeconds: response.retryAfterSeconds,
  };
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
    const code = known?.code ?? 'tiktok_error';
    // Our words for the client; TikTok's own text goes to the log line only.
    return new TikTokError(code, TIKTOK_REFUSAL_DETAIL[code] ?? TIKTOK_REFUSAL_DETAIL.tiktok_error, {
      ...common,
      tiktokCode: errorValue,
      tiktokMessage: typeof description === 'string' && description ? description : undefined,
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
