import type { ServiceDeps } from '../deps.js';
import { detailTypeOf, EVENT_SOURCE } from '../events/connection-events.js';
import type { AnalyticsKey } from '../store/analytics-store.js';
import { runSnapshotPass, type SnapshotPassReport } from './snapshot-pass.js';

/**
 * The connection events that start a connection's first snapshot: what the confirm publishes (`recovered` for a
 * reconnect). A `recovered` from the refresher finds the connection not due and costs one read.
 */
export const FIRST_SNAPSHOT_DETAIL_TYPES: readonly string[] = [
  detailTypeOf('connected'),
  detailTypeOf('recovered'),
];

/**
 * How long a first snapshot may wait for the snapshots' budget share. It runs beside the frontend's reads and
 * the scheduled pass; what it cannot read by then stays due and the next pass takes it.
 */
const FIRST_SNAPSHOT_WAIT_MS = 60_000;

/** What invoked the snapshot function: its schedule (or an operator), or a connection event of our bus. */
export type SnapshotTrigger =
  | { kind: 'pass'; all: boolean }
  | { kind: 'first_snapshot'; key: AnalyticsKey }
  | { kind: 'ignored'; reason: string };

const MAX_ID_LENGTH = 256;
const isId = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;

export function snapshotTriggerOf(event: unknown): SnapshotTrigger {
  const input = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  if (input.source !== EVENT_SOURCE) return { kind: 'pass', all: input.all === true };
  const detailType = input['detail-type'];
  if (typeof detailType !== 'string' || !FIRST_SNAPSHOT_DETAIL_TYPES.includes(detailType)) {
    return { kind: 'ignored', reason: `detail-type ${String(detailType)} starts no snapshot` };
  }
  const detail = (input.detail ?? {}) as Record<string, unknown>;
  if (!isId(detail.appUser) || !isId(detail.openId)) {
    return { kind: 'ignored', reason: 'the event names no connection' };
  }
  return { kind: 'first_snapshot', key: { appUser: detail.appUser, openId: detail.openId } };
}

/**
 * A connection's first snapshot (day 0), right after the confirm: the scheduled pass's work for this one
 * connection, with the same budget share, rate budget and 429 handling. It runs only if the connection is due,
 * so a repeated event, or one the pass got to first, costs nothing at TikTok.
 */
export function runFirstSnapshot(
  deps: ServiceDeps,
  key: AnalyticsKey,
  options: { deadline: number },
): Promise<SnapshotPassReport> {
  return runSnapshotPass(deps, {
    only: key,
    deadline: Math.min(options.deadline, deps.now() + FIRST_SNAPSHOT_WAIT_MS),
  });
}
