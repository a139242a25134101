/**
 * The callback's time budget. It makes up to three TikTok calls in a row (code exchange, user info, and a revoke
 * when storing fails), each with the usual 8 s timeout, on a 15 s Lambda behind API Gateway's 30 s: without a
 * budget a slow TikTok ends in API Gateway's 503 JSON, and the user is stranded on our domain. With it every
 * call ends by a deadline, so the callback always answers with a redirect back to the app.
 */

/** Kept after the TikTok calls for storing the connection (KMS, DynamoDB), publishing and answering. */
export const AFTER_TIKTOK_MS = 3000;
/** A revoke (after a failed store) may run this long past the TikTok deadline: a live grant is worth it. */
export const REVOKE_EXTRA_MS = 2000;

export type CallbackDeadlines = {
  /** Code exchange and user info end by then (epoch ms, real clock). */
  readonly tiktok: number;
  /** A revoke ends by then. */
  readonly revoke: number;
};

/**
 * `budgetMs` (CALLBACK_TIKTOK_BUDGET_MS), cut to what the Lambda has left (`remainingMs`, from its context)
 * minus the time the rest of the callback needs.
 */
export function callbackDeadlines(
  budgetMs: number,
  remainingMs: number | undefined,
  now: number = Date.now(),
): CallbackDeadlines {
  const lambdaAllows = remainingMs === undefined ? budgetMs : remainingMs - AFTER_TIKTOK_MS - REVOKE_EXTRA_MS;
  const tiktokMs = Math.max(0, Math.min(budgetMs, lambdaAllows));
  return { tiktok: now + tiktokMs, revoke: now + tiktokMs + REVOKE_EXTRA_MS };
}
