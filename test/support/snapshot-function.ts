import { randomUUID } from 'node:crypto';
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { SnapshotPassReport } from '../../shared/analytics/snapshot-pass.js';
import { lambdaContext } from './api-events.js';
import { handlerOf } from './function-handlers.js';
import type { TestService } from './service.js';

/** What the AnalyticsSnapshotSchedule rule hands the snapshot function. */
export const scheduledSnapshotEvent: ScheduledEvent = {
  version: '0',
  id: randomUUID(),
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2026-12-01T12:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:123456789012:rule/AnalyticsSnapshotSchedule'],
  detail: {},
};

/** An invocation of the snapshot function: its 14 minutes to run. */
export const snapshotContext: Context = { ...lambdaContext, getRemainingTimeInMillis: () => 14 * 60_000 };

/** AnalyticsSnapshotFunction under its own role; `run(event)` answers its report. */
export async function snapshotFunction(
  service: TestService,
  options: Parameters<typeof handlerOf>[2] = {},
): Promise<(event?: unknown) => Promise<SnapshotPassReport>> {
  const handler = await handlerOf(service, 'AnalyticsSnapshotFunction', options);
  return async (event = scheduledSnapshotEvent) =>
    (await handler(event, snapshotContext)) as SnapshotPassReport;
}
