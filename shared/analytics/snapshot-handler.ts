import type { Context } from 'aws-lambda';
import type { ServiceDeps } from '../deps.js';
import { deadlineOf } from '../lifecycle/refresh-handlers.js';
import { runSnapshotPass } from './snapshot-pass.js';

/**
 * The EventBridge-scheduled snapshot pass (its own schedule, every ANALYTICS_PASS_MINUTES). An invocation with
 * `{"all": true}` (the local `POST /dev/analytics/snapshot?all=1`, or an operator) snapshots every connection.
 */
export function buildSnapshotHandler(deps: ServiceDeps) {
  return async (event: unknown, context: Context) =>
    runSnapshotPass(deps, {
      all: (event as { all?: unknown } | null)?.all === true,
      deadline: deadlineOf(context, deps.now()),
    });
}
