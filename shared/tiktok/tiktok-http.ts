import { TikTokError } from '../errors.js';

export type FetchLike = typeof fetch;

export type TikTokHttpResponse = {
  status: number;
  /** Parsed JSON body, or undefined when the body was empty or not JSON. */
  body: unknown;
  /** TikTok's request id: `log_id` in the body, else the `x-tt-logid` header. */
  logId: string | undefined;
  retryAfterSeconds: number | undefined;
};

export type TikTokRequest = {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /**
   * When the caller's answer is due (epoch ms, real clock): the call gets no more than the time left, and is
   * not made at all when none is left. @default none: `timeoutMs` alone
   */
  deadline?: number | undefined;
  fetch?: FetchLike;
  /**
   * `error` for calls that carry the client secret, a code, a refresh token or a verifier: a 307/308 would
   * resend the same body to wherever it points. Default: follow (the Display API's GETs and JSON POSTs).
   */
  redirect?: 'error' | 'follow';
};

/**
 * One HTTP call to TikTok with a deadline. Network failures and timeouts become retryable TikTokErrors;
 * the caller decides what the body means (TikTok puts errors in 200 bodies).
 */
export async function sendTikTokRequest(request: TikTokRequest): Promise<TikTokHttpResponse> {
  const doFetch = request.fetch ?? fetch;
  const timeoutMs =
    request.deadline === undefined
      ? request.timeoutMs
      : Math.min(request.timeoutMs, Math.floor(request.deadline - Date.now()));
  if (timeoutMs <= 0) {
    throw new TikTokError('tiktok_timeout', 'No time was left to call TikTok before the answer is due', {
      status: 504,
      retryable: true,
    });
  }
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  let text: string;
  try {
    response = await doFetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal,
      redirect: request.redirect ?? 'follow',
    });
    text = await response.text();
  } catch (error) {
    if (signal.aborted) {
      throw new TikTokError('tiktok_timeout', `TikTok did not answer within ${timeoutMs} ms`, {
        status: 504,
        retryable: true,
      });
    }
    if (request.redirect === 'error' && isRedirectRefusal(error)) {
      throw new TikTokError(
        'tiktok_bad_response',
        'TikTok answered with a redirect, which was not followed',
        {
          retryable: false,
        },
      );
    }
    throw new TikTokError('tiktok_unavailable', 'TikTok could not be reached', {
      retryable: true,
      cause: error instanceof Error ? { name: error.name, message: error.message } : undefined,
    });
  }
  const body = parseJson(text);
  const bodyLogId = logIdOf(body);
  return {
    status: response.status,
    body,
    logId: bodyLogId ?? response.headers.get('x-tt-logid') ?? undefined,
    retryAfterSeconds: parseRetryAfter(response.headers.get('retry-after')),
  };
}

/** undici's refusal of a redirect under `redirect: 'error'` (a TypeError whose cause names the redirect). */
function isRedirectRefusal(error: unknown): boolean {
  const cause = error instanceof Error ? (error.cause as { message?: unknown } | undefined) : undefined;
  return typeof cause?.message === 'string' && /redirect/i.test(cause.message);
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function logIdOf(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  if (typeof body.log_id === 'string') return body.log_id;
  if (isRecord(body.error) && typeof body.error.log_id === 'string') return body.error.log_id;
  return undefined;
}

/** A Retry-After above this (from TikTok or a proxy on the way) is taken as this: nothing waits a day on one header. */
export const MAX_RETRY_AFTER_SECONDS = 3600;

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0
    ? Math.min(Math.ceil(seconds), MAX_RETRY_AFTER_SECONDS)
    : undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
