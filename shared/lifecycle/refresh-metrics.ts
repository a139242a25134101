import type { ServiceDeps } from '../deps.js';
import { emitMetrics } from '../metrics.js';
import type { RefreshRunReport } from './refresh-run.js';

/** The dimensions on every refresh metric; the stack's alarms and dashboard read the same. */
export const REFRESH_METRIC_DIMENSIONS = { Service: 'tiktok-connect', Operation: 'refresh' } as const;

/** What each refresh run and worker batch emits (embedded metric format). */
export type RefreshMetricName =
  | 'DueBacklog'
  | 'Refreshed'
  | 'Retried'
  | 'FailedRetryable'
  /** The grant is gone: the user must connect again (`tiktok.connection.reauth_required`). */
  | 'FailedTerminal'
  /** TikTok refused our client key or secret. */
  | 'InvalidClient'
  | 'Errors'
  | 'Enqueued'
  /** Due connections a run or batch did not get to before its time ran out. */
  | 'UnfinishedDue'
  | 'RunDuration';

export function emitRunMetrics(deps: ServiceDeps, r: Omit<RefreshRunReport, 'runId'>): void {
  const metrics: Record<RefreshMetricName, { value: number; unit: 'Count' | 'Milliseconds' }> = {
    DueBacklog: { value: r.due, unit: 'Count' },
    Refreshed: { value: r.refreshed, unit: 'Count' },
    Retried: { value: r.retries, unit: 'Count' },
    FailedRetryable: { value: r.retryLater, unit: 'Count' },
    FailedTerminal: { value: r.reauthRequired, unit: 'Count' },
    InvalidClient: { value: r.operatorErrors, unit: 'Count' },
    Errors: { value: r.errors, unit: 'Count' },
    Enqueued: { value: r.enqueued, unit: 'Count' },
    UnfinishedDue: { value: r.leftOver, unit: 'Count' },
    RunDuration: { value: r.durationMs, unit: 'Milliseconds' },
  };
  emitMetrics(deps.metrics, metrics, { ...REFRESH_METRIC_DIMENSIONS }, deps.now());
}
