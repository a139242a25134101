import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { expirePendingConnects, type PendingExpiryReport } from '../connect/expire-pending-connects.js';
import type { ServiceDeps } from '../deps.js';
import { parseRefreshBatch } from '../queue/refresh-queue.js';
import { type RefreshRunReport, refreshBatch, runScheduledRefresh } from './refresh-run.js';

/** Stop taking new work this long before the Lambda's own timeout. */
const STOP_BEFORE_TIMEOUT_MS = 10_000;

export function deadlineOf(context: Pick<Context, 'getRemainingTimeInMillis'>, now: number): number {
  return now + Math.max(0, context.getRemainingTimeInMillis() - STOP_BEFORE_TIMEOUT_MS);
}

/**
 * The EventBridge-scheduled refresher. After the refreshes it revokes the grants of connect results nobody
 * confirmed in time (shared/connect/expire-pending-connects.ts); a failure there never costs a refresh.
 */
export function buildScheduledRefreshHandler(deps: ServiceDeps) {
  return async (
    _event: unknown,
    context: Context,
  ): Promise<RefreshRunReport & { pendingConnects: PendingExpiryReport | undefined }> => {
    const report = await runScheduledRefresh(deps, {
      deadline: deadlineOf(context, deps.now()),
      runId: `run-${context.awsRequestId}`,
    });
    const pendingConnects = await expirePendingConnects(deps).catch((error: unknown) => {
      deps.logger.error('expiring pending connect results failed', { event: 'pending_expiry_failed', error });
      return undefined;
    });
    return { ...report, pendingConnects };
  };
}

/**
 * The SQS worker: each message is a batch of connection keys. A message that could not be finished (malformed,
 * crashed, or out of time) is reported as a partial batch failure, so SQS redelivers it (and, after the retries,
 * moves it to the dead-letter queue). Connections already refreshed are no longer due and are skipped on redelivery.
 */
export function buildRefreshWorkerHandler(deps: ServiceDeps) {
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      try {
        const batch = parseRefreshBatch(record.body);
        const result = await refreshBatch(deps, batch, {
          deadline: deadlineOf(context, deps.now()),
          owner: `worker-${context.awsRequestId}`,
        });
        if (result.leftOver > 0 || result.errors > 0) failures.push({ itemIdentifier: record.messageId });
      } catch (error) {
        deps.logger.error('refresh batch failed', {
          event: 'refresh_batch_failed',
          messageId: record.messageId,
          error,
        });
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures: failures };
  };
}
