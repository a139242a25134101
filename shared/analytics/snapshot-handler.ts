import type { Context } from 'aws-lambda';
import type { ServiceDeps } from '../deps.js';
import { deadlineOf } from '../lifecycle/refresh-handlers.js';
import { runFirstSnapshot, snapshotTriggerOf } from './first-snapshot.js';
import { runSnapshotPass } from './snapshot-pass.js';

/**
 * The analytics snapshot function. Its EventBridge schedule (every ANALYTICS_PASS_MINUTES) runs a pass; an
 * invocation with `{"all": true}` (the local `POST /dev/analytics/snapshot?all=1`, or an operator) snapshots
 * every connection; `tiktok.connection.connected`/`recovered` from the connection events bus (the
 * ConnectedFirstSnapshot rule) takes that connection's first snapshot.
 */
export function buildSnapshotHandler(deps: ServiceDeps) {
  return async (event: unknown, context: Context) => {
    const deadline = deadlineOf(context, deps.now());
    const trigger = snapshotTriggerOf(event);
    if (trigger.kind === 'first_snapshot') return runFirstSnapshot(deps, trigger.key, { deadline });
    if (trigger.kind === 'ignored') {
      deps.logger.warn('snapshot function invoked by an event it does not handle', {
        event: 'analytics_trigger_ignored',
        reason: trigger.reason,
      });
      return { ignored: trigger.reason };
    }
    return runSnapshotPass(deps, { all: trigger.all, deadline });
  };
}
