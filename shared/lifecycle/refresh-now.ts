import type { ServiceDeps } from '../deps.js';
import type { ConnectionKey, ConnectionStatus } from '../store/connection-store.js';
import { refreshConnection } from './refresh-connection.js';

export type RefreshNowResult = ConnectionKey & {
  outcome: 'refreshed' | 'skipped' | 'superseded' | 'retry_later' | 'reauth_required' | 'operator_error';
  reason?: string;
  /** In-run retries of TikTok's refresh call. */
  retries?: number;
  /** The connection's status after the refresh, as the connections list shows it. */
  status: ConnectionStatus | 'gone';
};

/**
 * Refreshes connections now, whether or not they are due: one TikTok account's (every app user holding it), or
 * every connection holding tokens. The same `refreshConnection` the schedule runs (lease, compare-and-swap,
 * failure classes), so a fault queued at the emulator shows exactly what the refresher would do with it.
 * Local tooling (`npm run refresh -- --now`): without an open id it scans the table.
 */
export async function refreshNow(
  deps: ServiceDeps,
  options: { openId?: string | undefined; owner: string; deadline: number },
): Promise<RefreshNowResult[]> {
  const keys: ConnectionKey[] = [];
  if (options.openId) keys.push(...(await deps.connections.findByOpenId(options.openId)));
  else for await (const record of deps.connections.connectionsWithTokens()) keys.push(record);
  const results: RefreshNowResult[] = [];
  for (const key of keys) {
    const outcome = await refreshConnection(deps, { key, owner: options.owner, deadline: options.deadline });
    const after = await deps.connections.get(key.appUser, key.openId);
    results.push({
      appUser: key.appUser,
      openId: key.openId,
      outcome: outcome.kind,
      ...('reason' in outcome ? { reason: outcome.reason } : {}),
      ...('retries' in outcome ? { retries: outcome.retries } : {}),
      status: after?.status ?? 'gone',
    });
  }
  return results;
}
