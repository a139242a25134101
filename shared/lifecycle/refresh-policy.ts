import { TikTokError } from '../errors.js';

/** How a failed refresh is treated. */
export type FailureClass =
  /** Worth another try later: network, timeout, 5xx, 429, temporarily_unavailable, server_error. */
  | 'retryable'
  /** The grant is gone (invalid_grant, access_denied): the user must connect again. */
  | 'grant_revoked'
  /** Our client key or secret is wrong: an operator problem, never the user's. */
  | 'operator'
  /** TikTok said something we did not expect; retried with backoff so our bug never logs users out. */
  | 'unexpected';

export function classifyRefreshFailure(error: unknown): FailureClass {
  if (!(error instanceof TikTokError)) return 'unexpected';
  if (error.retryable) return 'retryable';
  switch (error.code) {
    case 'tiktok_invalid_grant':
    case 'access_denied':
    case 'tiktok_scope_not_authorized':
      return 'grant_revoked';
    case 'tiktok_invalid_client':
      return 'operator';
    default:
      return 'unexpected';
  }
}

const MINUTE = 60_000;

/** Across runs: 1, 2, 4 … minutes after consecutive failures, capped at 30, with jitter (50–100 %). */
export function nextAttemptDelayMs(failureCount: number, random: () => number = Math.random): number {
  const base = Math.min(30 * MINUTE, MINUTE * 2 ** Math.max(0, failureCount));
  return Math.round(base * (0.5 + random() * 0.5));
}

/** Within one run: full-jitter exponential backoff, 200 ms base, capped at 2 s. */
export function inRunRetryDelayMs(attempt: number, random: () => number = Math.random): number {
  return Math.round(Math.min(2000, 200 * 2 ** attempt) * random());
}

/** Retries inside one run before the failure is recorded and the next run tries again. */
export const IN_RUN_RETRIES = 2;
