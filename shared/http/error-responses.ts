import type { MiddlewareObj } from '@middy/core';
import { AppError, type ErrorCode, TikTokError } from '../errors.js';
import type { Logger } from '../log.js';
import type { HttpEvent } from './api-event.js';
import { type HttpResult, problem } from './responses.js';

/** Where the frontend sends the user to connect again, forcing TikTok's consent screen (to grant more scopes). */
export const RECONNECT_URL = '/auth/tiktok/start?force=1';

/** Refusals the user fixes by connecting again: their problem details carry `reconnectUrl`. */
const RECONNECT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'connection_reauth_required',
  'scope_missing',
  'tiktok_scope_not_authorized',
]);

/** TikTok counts requests over a sliding minute; with no better hint, a 429 says to come back after it. */
const DEFAULT_RETRY_AFTER_SECONDS = 60;

/**
 * Middy middleware: the one place errors become HTTP answers. AppErrors keep their status and code; anything
 * else is logged in full and answered as a bare 500, so no stack trace or upstream text reaches the client.
 */
export function errorResponses(logger: Logger): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    onError: async (request) => {
      const error = request.error;
      const routeKey = request.event?.routeKey;
      if (error instanceof AppError && error.status < 500) {
        logger.warn('request refused', { event: 'request_refused', routeKey, reason: error.code, error });
        request.response = problemFor(error);
        return;
      }
      logger.error('request failed', { event: 'request_failed', routeKey, error });
      // Our own 5xx (busy, TikTok down) are safe to name; internal and configuration failures are not.
      const exposed =
        error instanceof AppError && error.code !== 'internal' && error.code !== 'config_invalid';
      request.response = exposed
        ? problemFor(error)
        : problem({ status: 500, code: 'internal', detail: 'Something went wrong on our side' });
    },
  };
}

/** The problem details of an AppError, with TikTok's log_id, the re-connect hint and Retry-After where they apply. */
function problemFor(error: AppError): HttpResult {
  const response = problem(error, {
    ...(error instanceof TikTokError && error.logId ? { tiktokLogId: error.logId } : {}),
    ...(RECONNECT_CODES.has(error.code) ? { reconnectUrl: RECONNECT_URL } : {}),
    ...error.problemFields,
  });
  const retryAfter =
    error.retryAfterSeconds ?? (error.status === 429 ? DEFAULT_RETRY_AFTER_SECONDS : undefined);
  if (retryAfter !== undefined) response.headers['retry-after'] = String(retryAfter);
  return response;
}
