import { TikTokError } from '../errors.js';
import { emitMetrics, type MetricSink } from '../metrics.js';

/**
 * One per TikTok error that ended an operation (a callback, a connection's refresh, a display read), after that
 * operation's own retries: the stack's dashboard graphs it by code.
 */
export const TIKTOK_ERROR_METRIC = 'TikTokError';

/** The dimension `TikTokError` adds to its operation's (Service, Operation): our code, e.g. tiktok_rate_limited. */
export const TIKTOK_ERROR_CODE_DIMENSION = 'Code';

/** Emits `TikTokError` if `error` is one; any other failure is not TikTok's and emits nothing. */
export function emitTikTokError(
  deps: { readonly metrics: MetricSink; readonly now: () => number },
  operation: { readonly Service: string; readonly Operation: string },
  error: unknown,
): void {
  if (!(error instanceof TikTokError)) return;
  emitMetrics(
    deps.metrics,
    { [TIKTOK_ERROR_METRIC]: { value: 1, unit: 'Count' } },
    { ...operation, [TIKTOK_ERROR_CODE_DIMENSION]: error.code },
    deps.now(),
  );
}
