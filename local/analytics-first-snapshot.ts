/**
 * Local only: what the stack's ConnectedFirstSnapshotRule does. After a confirm has answered, the snapshot
 * function's own handler module runs in this process with the event EventBridge would deliver, so a new
 * connection has its day-0 snapshot within seconds, without waiting for a pass.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import type { SnapshotPassReport } from '../shared/analytics/snapshot-pass.js';
import { type ConnectionEvent, detailTypeOf, EVENT_SOURCE } from '../shared/events/connection-events.js';
import { lambdaContext } from './http-adapter.js';

type ConnectedEvent = EventBridgeEvent<string, ConnectionEvent>;

/** The event the rule hands the snapshot function: the confirm's `tiktok.connection.connected`. */
export function connectedEvent(key: { appUser: string; openId: string }, at = new Date()): ConnectedEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detailTypeOf('connected'),
    source: EVENT_SOURCE,
    account: '000000000000',
    time: at.toISOString(),
    region: 'local',
    resources: [],
    detail: { type: 'connected', ...key, status: 'active', at: at.toISOString() },
  };
}

export function localFirstSnapshots(rootDir: string, log: (line: string) => void) {
  const running = new Set<Promise<void>>();
  return {
    /** Starts the first snapshot in the background; a failure is logged (the next pass takes the connection). */
    start(key: { appUser: string; openId: string }): void {
      const run = (async () => {
        const module = (await import(
          pathToFileURL(join(rootDir, 'functions/analytics-snapshot.ts')).href
        )) as {
          handler: (event: unknown, context: Context) => Promise<Partial<SnapshotPassReport>>;
        };
        const report = await module.handler(
          connectedEvent(key),
          lambdaContext('AnalyticsSnapshotFunction', 5 * 60_000),
        );
        if (report.due) {
          log(
            `first analytics snapshot of ${key.openId}: ${report.accountSnapshots} account, ${report.videoSnapshots} video points`,
          );
        }
      })()
        .catch((error: unknown) => log(`first analytics snapshot of ${key.openId} failed: ${String(error)}`))
        .finally(() => running.delete(run));
      running.add(run);
    },
    /** Waits for the first snapshots under way (before a simulation moves the clocks, and on close). */
    async settled(): Promise<void> {
      await Promise.all([...running]);
    },
  };
}
