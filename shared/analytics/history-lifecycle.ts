import type { ServiceDeps } from '../deps.js';
import type { ConnectionKey } from '../store/connection-store.js';

/**
 * Deletes a connection's analytics history (disconnect, TikTok's authorization.removed, re-auth abandoned past
 * retention). A failure is logged, not thrown: the connection's own state change has happened, the items keep
 * their TTL, and the next snapshot pass finds the connection gone and deletes them again.
 */
export async function deleteAnalyticsHistory(
  deps: ServiceDeps,
  key: ConnectionKey,
  reason: string,
): Promise<void> {
  try {
    const items = await deps.analytics.deleteAll(key);
    deps.logger.info('analytics history deleted', {
      event: 'analytics_history_deleted',
      appUser: key.appUser,
      openId: key.openId,
      reason,
      items,
    });
  } catch (error) {
    deps.logger.error('deleting analytics history failed', {
      event: 'analytics_history_delete_failed',
      appUser: key.appUser,
      openId: key.openId,
      reason,
      error,
    });
  }
}

/** A new (or renewed) connection: its first snapshot is due now (day 0). */
export async function enrolForAnalytics(deps: ServiceDeps, key: ConnectionKey): Promise<void> {
  const now = deps.now();
  try {
    await deps.analytics.enrol(key, { connectedAt: now, dueAt: now, now });
  } catch (error) {
    // The connect itself succeeded; a pass with ?all=1 (or the next connect) enrols it.
    deps.logger.error('enrolling a connection for analytics failed', {
      event: 'analytics_enrol_failed',
      appUser: key.appUser,
      openId: key.openId,
      error,
    });
  }
}
