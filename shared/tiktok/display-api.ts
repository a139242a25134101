import { type ErrorCode, TikTokError } from '../errors.js';
import type { Redacted } from '../redacted.js';
import { TIKTOK_REFUSAL_DETAIL } from './oauth-errors.js';
import { type FetchLike, isRecord, sendTikTokRequest, type TikTokHttpResponse } from './tiktok-http.js';

/** Display API `error.code` values (tiktok-api.md §8) and what they mean for us; unknown codes are tolerated. */
const DISPLAY_ERRORS: Record<string, { code: ErrorCode; status: number; retryable: boolean }> = {
  access_token_invalid: { code: 'tiktok_access_token_invalid', status: 401, retryable: false },
  scope_not_authorized: { code: 'tiktok_scope_not_authorized', status: 403, retryable: false },
  scope_permission_missed: { code: 'tiktok_scope_not_authorized', status: 403, retryable: false },
  invalid_params: { code: 'tiktok_invalid_request', status: 502, retryable: false },
  rate_limit_exceeded: { code: 'tiktok_rate_limited', status: 429, retryable: true },
  internal_error: { code: 'tiktok_unavailable', status: 502, retryable: true },
};

export type DisplayApiCall = {
  apiBaseUrl: string;
  path: string;
  method: 'GET' | 'POST';
  /** Goes in the query string: TikTok v2 takes `fields` there, never in the body. */
  fields: readonly string[];
  accessToken: Redacted;
  jsonBody?: unknown;
  timeoutMs: number;
  fetch?: FetchLike;
};

export type DisplayApiResult = { data: Record<string, unknown>; logId: string | undefined };

/** Calls a Display API endpoint and reads its envelope: success is `error.code == "ok"` and a 2xx status. */
export async function callDisplayApi(call: DisplayApiCall): Promise<DisplayApiResult> {
  const url = new URL(`${call.apiBaseUrl}${call.path}`);
  url.searchParams.set('fields', call.fields.join(','));
  const headers: Record<string, string> = {
    authorization: `Bearer ${call.accessToken.reveal()}`,
    accept: 'application/json',
  };
  if (call.jsonBody !== undefined) headers['content-type'] = 'application/json';
  const response = await sendTikTokRequest({
    url: url.toString(),
    method: call.method,
    headers,
    body: call.jsonBody === undefined ? undefined : JSON.stringify(call.jsonBody),
    timeoutMs: call.timeoutMs,
    fetch: call.fetch,
  });
  return readEnvelope(response);
}

export function readEnvelope(response: TikTokHttpResponse): DisplayApiResult {
  const body = response.body;
  const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  const code = typeof error?.code === 'string' ? error.code : undefined;
  const ok = response.status >= 200 && response.status < 300 && code === 'ok';
  if (ok && isRecord(body) && isRecord(body.data)) return { data: body.data, logId: response.logId };

  const common = {
    logId: response.logId,
    httpStatus: response.status,
    tiktokCode: code,
    retryAfterSeconds: response.retryAfterSeconds,
    // TikTok's text is for our log line; clients get our words and the log_id.
    tiktokMessage: typeof error?.message === 'string' && error.message ? error.message : undefined,
  };
  const known = code ? DISPLAY_ERRORS[code] : undefined;
  if (known) {
    throw new TikTokError(
      known.code,
      TIKTOK_REFUSAL_DETAIL[known.code] ?? TIKTOK_REFUSAL_DETAIL.tiktok_error,
      {
        ...common,
        ...known,
      },
    );
  }
  if (response.status === 429) {
    throw new TikTokError('tiktok_rate_limited', 'TikTok rate limit reached', {
      ...common,
      status: 429,
      retryable: true,
    });
  }
  if (response.status === 401) {
    throw new TikTokError('tiktok_access_token_invalid', 'TikTok refused the access token', {
      ...common,
      status: 401,
      retryable: false,
    });
  }
  if (response.status >= 500) {
    throw new TikTokError('tiktok_unavailable', `TikTok answered HTTP ${response.status}`, {
      ...common,
      retryable: true,
    });
  }
  throw new TikTokError(
    code && code !== 'ok' ? 'tiktok_error' : 'tiktok_bad_response',
    code && code !== 'ok'
      ? TIKTOK_REFUSAL_DETAIL.tiktok_error
      : `TikTok answered HTTP ${response.status} without data`,
    { ...common, retryable: false },
  );
}
