import { enrolForAnalytics } from '../analytics/history-lifecycle.js';
import type { ServiceDeps } from '../deps.js';
import { RequestError } from '../errors.js';
import { publish } from '../lifecycle/refresh-connection.js';
import { sha256Hex } from '../store/hashing.js';
import type { PendingConnect } from '../store/pending-connect-store.js';
import { emitConnectCompleted, emitConnectFailed } from './connect-metrics.js';
import { RANDOM_TOKEN_PATTERN } from './flow-secrets.js';
import { releaseUnusedGrant } from './release-grant.js';

/**
 * POST /auth/tiktok/confirm: the signed-in user's own frontend turns a consented result into a connection. This
 * is what binds the authorization response to the user who started the flow (RFC 9700 §4.4, §4.7): a launch link
 * opened by another person's browser comes back there, and that person's frontend confirms with *their* token —
 * so the result is dropped and its grant revoked, and nothing is attached to either user.
 */
export async function confirmConnect(
  deps: ServiceDeps,
  input: { appUser: string; confirmation: string },
): Promise<{ status: 'connected'; openId: string }> {
  if (!RANDOM_TOKEN_PATTERN.test(input.confirmation)) {
    throw new RequestError('confirmation_invalid', 'Unknown or already used confirmation code');
  }
  const log = deps.logger.child({ appUser: input.appUser });
  const taken = await deps.pendingConnects.take(sha256Hex(input.confirmation), input.appUser, deps.now());

  if (taken.outcome === 'unknown') {
    throw new RequestError('confirmation_invalid', 'Unknown or already used confirmation code');
  }
  if (taken.outcome === 'expired') {
    throw new RequestError(
      'confirmation_expired',
      'The connect result expired unconfirmed; connect again',
      410,
    );
  }
  if (taken.outcome === 'other_user') {
    const refusedLog = log.child({ startedBy: taken.startedBy, openId: taken.pending?.openId });
    const release = taken.pending
      ? await releaseUnusedGrant(deps, grantOf(taken.pending), refusedLog)
      : undefined;
    refusedLog.warn('connect refused: confirmed by another user than the one who started it', {
      event: 'connect_failed',
      reason: 'connect_user_mismatch',
      grantReleased: release?.released,
    });
    emitConnectFailed(deps, 'connect_user_mismatch');
    throw new RequestError(
      'connect_user_mismatch',
      'This TikTok authorization was started by another user; it was discarded and nothing was connected',
      403,
    );
  }

  const { pending } = taken;
  const key = { appUser: pending.appUser, openId: pending.openId };
  let saved: Awaited<ReturnType<ServiceDeps['connections']['saveConnected']>>;
  try {
    saved = await deps.connections.saveConnected({
      ...key,
      grant: pending.grant,
      profile: pending.profile,
      now: deps.now(),
    });
  } catch (error) {
    // The result is consumed and not stored: nobody holds this grant now.
    await releaseUnusedGrant(deps, grantOf(pending), log.child({ openId: pending.openId }));
    throw error;
  }
  const recovered = saved.previousStatus !== undefined && saved.previousStatus !== 'active';
  await enrolForAnalytics(deps, key);
  await publish(deps, key, recovered ? 'recovered' : 'connected', recovered ? 'reconnected' : undefined);
  log.info('connect completed', {
    event: 'connect_completed',
    openId: pending.openId,
    version: saved.version,
    previousStatus: saved.previousStatus,
    grantedScopes: pending.grant.scopes,
  });
  emitConnectCompleted(deps);
  return { status: 'connected', openId: pending.openId };
}

const grantOf = (pending: PendingConnect) => ({
  openId: pending.openId,
  accessToken: pending.grant.accessToken,
});
