import type { components } from './api-types.js';

export type Problem = components['schemas']['Problem'];

/**
 * An answer that is not a success, as one typed error. `code` is the service's stable code (the problem's `code`,
 * or `unauthenticated` for the API Gateway authorizer's bare `{"message":"Unauthorized"}`).
 * Catch the subclass for what your UI does differently; the base class for everything else.
 */
export class TikTokConnectError extends Error {
  readonly status: number;
  readonly code: string;
  /** The RFC 9457 body, when the answer was one (handlers answer problems; the gateway does not). */
  readonly problem: Problem | undefined;

  constructor(status: number, code: string, message: string, problem?: Problem) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.problem = problem;
  }

  /** TikTok's log_id, when TikTok was involved: quote it to TikTok support. */
  get tiktokLogId(): string | undefined {
    return this.problem?.tiktokLogId;
  }
}

/** 401: no valid access token (missing, expired, wrong issuer or audience). Sign the user in again. */
export class NotSignedInError extends TikTokConnectError {}

/**
 * 403 `scope_missing` / `tiktok_scope_not_authorized`: the user did not grant a permission this needs. Show which
 * (`missingScopes`) and offer a reconnect (`startConnect({ force: true })`).
 */
export class PermissionMissingError extends TikTokConnectError {
  get missingScopes(): string[] {
    return this.problem?.missingScopes ?? [];
  }
}

/** 403 `connect_user_mismatch`: the connect attempt was started by another signed-in user; nothing was connected. */
export class ConnectUserMismatchError extends TikTokConnectError {}

/** 404: no such connection for this user (another user's is a 404 too). Refresh your list. */
export class ConnectionNotFoundError extends TikTokConnectError {}

/** 409 `connection_reauth_required`: TikTok no longer accepts the grant. The user must connect again. */
export class ReconnectRequiredError extends TikTokConnectError {}

/** 400/410 on confirm: the confirmation code is unknown, used or expired. Start connecting again. */
export class ConfirmationInvalidError extends TikTokConnectError {}

/** 429: the app's TikTok budget is spent, or TikTok said so. Wait `retryAfterSeconds`, then try again. */
export class RateLimitedError extends TikTokConnectError {
  readonly retryAfterSeconds: number;

  constructor(
    status: number,
    code: string,
    message: string,
    problem: Problem | undefined,
    retryAfter: number,
  ) {
    super(status, code, message, problem);
    this.retryAfterSeconds = retryAfter;
  }
}

const SCOPE_CODES = new Set(['scope_missing', 'tiktok_scope_not_authorized']);

/** The typed error for a failed answer (its body already parsed, or undefined when it was not JSON). */
export function errorFromAnswer(
  response: Response,
  body: unknown,
  operation: 'confirm' | 'other',
): TikTokConnectError {
  const problem = isProblem(body) ? body : undefined;
  const status = response.status;
  const code = problem?.code ?? (status === 401 ? 'unauthenticated' : `http_${status}`);
  const message = problem?.detail ?? messageOf(body) ?? `HTTP ${status}`;
  if (status === 401) return new NotSignedInError(status, code, message, problem);
  if (status === 403 && code === 'connect_user_mismatch')
    return new ConnectUserMismatchError(status, code, message, problem);
  if (status === 403 && SCOPE_CODES.has(code))
    return new PermissionMissingError(status, code, message, problem);
  if (status === 404) return new ConnectionNotFoundError(status, code, message, problem);
  if (status === 409) return new ReconnectRequiredError(status, code, message, problem);
  if (status === 429) {
    const seconds = Number(response.headers.get('retry-after'));
    return new RateLimitedError(
      status,
      code,
      message,
      problem,
      Number.isFinite(seconds) && seconds > 0 ? seconds : 1,
    );
  }
  if (operation === 'confirm' && (status === 400 || status === 410)) {
    return new ConfirmationInvalidError(status, code, message, problem);
  }
  return new TikTokConnectError(status, code, message, problem);
}

function isProblem(body: unknown): body is Problem {
  return typeof body === 'object' && body !== null && typeof (body as Problem).code === 'string';
}

function messageOf(body: unknown): string | undefined {
  const message = (body as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : undefined;
}
