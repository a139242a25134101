/**
 * The service's errors: each has a stable `code` (what clients and logs key on) and the HTTP status it maps to.
 * Mapping to responses happens in one place (shared/http/error-response.ts).
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
  | 'method_not_allowed'
  // the OAuth flow
  | 'state_missing'
  | 'state_invalid'
  | 'state_expired'
  | 'state_browser_mismatch'
  | 'launch_invalid'
  | 'code_missing'
  | 'access_denied'
  | 'authorization_failed'
  | 'scope_missing'
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

  constructor(
    code: ErrorCode,
    status: number,
    detail: string,
    options: { cause?: unknown; logFields?: Record<string, unknown> } = {},
  ) {
    super(`${code}: ${detail}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.detail = detail;
    this.logFields = options.logFields ?? {};
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
      cause?: unknown;
    },
  ) {
    super(code, options.status ?? 502, detail, {
      cause: options.cause,
      logFields: {
        tiktokCode: options.tiktokCode,
        tiktokLogId: options.logId,
        tiktokHttpStatus: options.httpStatus,
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
