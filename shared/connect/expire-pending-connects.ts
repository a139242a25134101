import type { ServiceDeps } from '../deps.js';
import { releaseUnusedGrant } from './release-grant.js';

export type PendingExpiryReport = {
  /** Expired pending results found. */
  expired: number;
  /** Grants revoked at TikTok. */
  revoked: number;
  /** Left alone because a stored connection to the same account still uses the authorization. */
  grantInUse: number;
  /** Revoking failed for a reason worth retrying: the result stays and the next run tries again. */
  retryLater: number;
};

/** Enough for any plausible backlog of one schedule interval; the next run takes the rest. */
const PAGE = 100;

/**
 * Runs on the refresher's schedule: every consented connect result that was never confirmed within its 10
 * minutes has its grant revoked at TikTok (unless a stored connection still uses it), then is deleted. The
 * revoke comes first, so a TikTok outage leaves the result for the next run rather than a live grant nobody
 * holds; results past their expiry can no longer be confirmed, so the two never race.
 */
export async function expirePendingConnects(deps: ServiceDeps): Promise<PendingExpiryReport> {
  const now = deps.now();
  const report: PendingExpiryReport = { expired: 0, revoked: 0, grantInUse: 0, retryLater: 0 };
  for (const codeHash of await deps.pendingConnects.listExpired(now, PAGE)) {
    const pending = await deps.pendingConnects.getExpired(codeHash, now);
    if (!pending) continue; // removed meanwhile (another run)
    report.expired += 1;
    const log = deps.logger.child({ appUser: pending.appUser, openId: pending.openId });
    const release = await releaseUnusedGrant(
      deps,
      { openId: pending.openId, accessToken: pending.grant.accessToken },
      log,
    );
    if (release.released === 'failed' && retryable(release.reason)) {
      report.retryLater += 1;
      continue;
    }
    if (release.released === 'revoked') report.revoked += 1;
    if (release.released === 'in_use') report.grantInUse += 1;
    await deps.pendingConnects.deleteExpired(codeHash, now);
    log.info('unconfirmed connect result expired', {
      event: 'connect_pending_expired',
      grantReleased: release.released,
    });
  }
  if (report.expired > 0)
    deps.logger.info('pending connect cleanup finished', { event: 'pending_expiry_run', ...report });
  return report;
}

/** TikTok could not be asked (down, slow, limiting): try again next run. Anything else is a final answer. */
function retryable(reason: string): boolean {
  return ['tiktok_unavailable', 'tiktok_timeout', 'tiktok_rate_limited', 'internal'].includes(reason);
}
