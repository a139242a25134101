import type { ServiceDeps } from '../deps.js';
import type { ErrorCode } from '../errors.js';
import { emitMetrics } from '../metrics.js';

/** The dimensions on every connect metric; the stack's dashboard reads the same. */
export const CONNECT_METRIC_DIMENSIONS = { Service: 'tiktok-connect', Operation: 'connect' } as const;

/** The dimension `ConnectFailed` adds: the error code the callback failed with (a small, fixed set). */
export const CONNECT_FAILURE_REASON_DIMENSION = 'Reason';

/** What each callback emits (embedded metric format): one of the two, once. */
export type ConnectMetricName = 'ConnectCompleted' | 'ConnectFailed';

export function emitConnectCompleted(deps: Pick<ServiceDeps, 'metrics' | 'now'>): void {
  emitMetrics(
    deps.metrics,
    { ConnectCompleted: { value: 1, unit: 'Count' } },
    { ...CONNECT_METRIC_DIMENSIONS },
    deps.now(),
  );
}

export function emitConnectFailed(deps: Pick<ServiceDeps, 'metrics' | 'now'>, reason: ErrorCode): void {
  emitMetrics(
    deps.metrics,
    { ConnectFailed: { value: 1, unit: 'Count' } },
    { ...CONNECT_METRIC_DIMENSIONS, [CONNECT_FAILURE_REASON_DIMENSION]: reason },
    deps.now(),
  );
}
