/**
 * The service's errors: each has a stable `code` (what clients and logs key on) and the HTTP status it maps to.
 * Mapping to responses happens in one place (shared/http/error-responses.ts).
 */
export type ErrorCode =
  // client mistakes
  | 'unauthenticated'
  | 'invalid_request'
  | 'return_to_not_allowed'
  | 'not_found'
  | 'connection_not_found'
  | 'connection_reauth_required'
  | 'connection_busy'
  | 'delivery_in_progress'
  | 'method_not_allowed'
  // the OAuth flow
  | 'state_missing'
  | 'state_invalid'
  | 'state_expired'
  | 'state_browser_mismatch'
  | 'launch_invalid'
  | 'launch_origin_refused'
  | 'code_missing'
  | 'access_denied'
  | 'authorization_failed'
  | 'scope_missing'
  // the confirm step (POST /auth/tiktok/confirm)
  | 'confirmation_invalid'
  | 'confirmation_expired'
  | 'connect_user_mismatch'
  // the frontend API
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'rate_budget_exhausted'
  // content posting
  | 'post_not_found'
  | 'post_not_cancellable'
  | 'upload_not_found'
  | 'upload_incomplete'
  | 'privacy_level_not_allowed'
  | 'publish_at_invalid'
  | 'posting_not_allowed'
  | 'upload_storage_unavailable'
  // TikTok
  | 'tiktok_invalid_grant'
  | 'tiktok_invalid_client'
  | 'tiktok_invalid_request'
  | 'tiktok_invalid_scope'
  | 'tiktok_error'
  | 'tiktok_unavailable'
  | 'tiktok_timeout'
  | 'tiktok_bad_response'
  | 'tiktok_access_token_invalid'
  | 'tiktok_scope_not_authorized'
  | 'tiktok_rate_limited'
  // operator problems
  | 'config_invalid'
  | 'internal';

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Safe, human-readable detail for the client (never a token or secret). */
  readonly detail: string;
  /** Extra fields for the log line only (e.g. TikTok's log_id); never secrets. */
  readonly logFields: Record<string, unknown>;
  /** Extra RFC 9457 members for the client (e.g. `missingScopes`); safe to show, never secrets. */
  readonly problemFields: Record<string, unknown>;
  /** For 429 and 503: when the client may try again (the `Retry-After` header). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    status: number,
    detail: string,
    options: {
      cause?: unknown;
      logFields?: Record<string, unknown>;
      problemFields?: Record<string, unknown>;
      retryAfterSeconds?: number;
    } = {},
  ) {
    super(`${code}: ${detail}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.detail = detail;
    this.logFields = options.logFields ?? {};
    this.problemFields = options.problemFields ?? {};
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** A request the client got wrong: always a 4xx, never retried. */
export class RequestError extends AppError {
  constructor(code: ErrorCode, detail: string, status = 400) {
    super(code, status, detail);
  }
}

/** The OAuth flow could not complete for a reason tied to this attempt (state, consent, code). */
export class ConnectFlowError extends AppError {
  /** Where to send the browser back, when the failing flow is known. */
  readonly returnTo: string | undefined;

  constructor(
    code: ErrorCode,
    detail: string,
    options: { cause?: unknown; logFields?: Record<string, unknown>; returnTo?: string } = {},
  ) {
    super(code, 400, detail, options);
    this.returnTo = options.returnTo;
  }
}

/** TikTok answered with an error, or did not answer usefully. */
export class TikTokError extends AppError {
  /** TikTok's own error code (`invalid_grant`, `access_token_invalid`, ...) when it gave one. */
  readonly tiktokCode: string | undefined;
  readonly logId: string | undefined;
  /** Worth trying again later (network, 5xx, 429, temporarily_unavailable, server_error). */
  readonly retryable: boolean;

  constructor(
    code: ErrorCode,
    detail: string,
    options: {
      status?: number;
      tiktokCode?: string;
      logId?: string;
      retryable: boolean;
      httpStatus?: number;
      /** TikTok's own Retry-After, when it sent one. */
      retryAfterSeconds?: number | undefined;
      /** TikTok's human text (`error_description`, `error.message`): for the log line only, never the client. */
      tiktokMessage?: string | undefined;
      cause?: unknown;
    },
  ) {
    super(code, options.status ?? 502, detail, {
      cause: options.cause,
      retryAfterSeconds: options.retryAfterSeconds,
      logFields: {
        tiktokCode: options.tiktokCode,
        tiktokLogId: options.logId,
        tiktokHttpStatus: options.httpStatus,
        tiktokMessage: options.tiktokMessage,
      },
    });
    this.tiktokCode = options.tiktokCode;
    this.logId = options.logId;
    this.retryable = options.retryable;
  }
}

export class ConfigError extends AppError {
  constructor(detail: string) {
    super('config_invalid', 500, detail);
  }
}
