import { deleteAnalyticsHistory } from '../analytics/history-lifecycle.js';
import type { ServiceDeps } from '../deps.js';
import { AppError } from '../errors.js';
import type { Redacted } from '../redacted.js';
import type { ConnectionKey, ConnectionRecord } from '../store/connection-store.js';
import { getFreshAccessToken } from './fresh-access-token.js';
import { grantHeldElsewhere } from './grant-holders.js';
import { publish, revokeQuietly } from './refresh-connection.js';

/**
 * What happened at TikTok: `revoked`; `kept_for_other_holder` (another app user's connection to the same TikTok
 * account still uses the authorization, which a revoke would end for them too); `not_needed` (this connection
 * held no tokens: TikTok had already ended the grant); `failed` (see `revokeFailure`).
 */
export type Revocation = 'revoked' | 'kept_for_other_holder' | 'not_needed' | 'failed';

export type DisconnectResult = {
  openId: string;
  status: 'disconnected';
  revokedAtTikTok: boolean;
  revocation: Revocation;
  /** Why revoking was not possible (`no_tokens`, or the error code of the refresh or the revoke). */
  revokeFailure?: string;
};

/** An access token this close to expiry is refreshed before revoking: TikTok cannot revoke with an expired one. */
const REVOKE_SKEW_MS = 60_000;

/**
 * The user disconnects: revoke the grant at TikTok (refreshing first if the access token has expired — the refresh
 * token stays valid for months), unless another app user's connection to the same account still uses it; then
 * delete this row's tokens and key material whatever TikTok said (a failing revoke must not keep tokens around),
 * mark the connection `disconnected`, publish the event, and say honestly what happened at TikTok.
 */
export async function disconnectConnection(deps: ServiceDeps, key: ConnectionKey): Promise<DisconnectResult> {
  const record = await deps.connections.get(key.appUser, key.openId);
  if (!record || record.status === 'disconnected') {
    throw new AppError('connection_not_found', 404, 'No such TikTok connection');
  }
  const log = deps.logger.child({ appUser: key.appUser, openId: key.openId });
  const outcome = await revokeUnlessShared(deps, key, record, log);
  const revoked = outcome.revocation === 'revoked';
  const reason =
    outcome.revocation === 'failed' || outcome.revocation === 'not_needed'
      ? `user_disconnected_revoke_${outcome.failure}`
      : outcome.revocation === 'kept_for_other_holder'
        ? 'user_disconnected_grant_shared'
        : 'user_disconnected';
  const before = await deps.connections.markUnusable({
    key,
    status: 'disconnected',
    reason,
    now: deps.now(),
  });
  if (!before) throw new AppError('connection_not_found', 404, 'No such TikTok connection');
  await deleteAnalyticsHistory(deps, key, 'user_disconnected');
  log.info('connection disconnected', {
    event: 'connection_disconnected',
    revokedAtTikTok: revoked,
    revocation: outcome.revocation,
    revokeFailure: outcome.failure,
  });
  await publish(
    deps,
    key,
    'disconnected',
    revoked || outcome.revocation === 'kept_for_other_holder' ? reason : 'user_disconnected_revoke_failed',
  );
  return {
    openId: key.openId,
    status: 'disconnected',
    revokedAtTikTok: revoked,
    revocation: outcome.revocation,
    ...(outcome.failure ? { revokeFailure: outcome.failure } : {}),
  };
}

async function revokeUnlessShared(
  deps: ServiceDeps,
  key: ConnectionKey,
  record: ConnectionRecord,
  log: ServiceDeps['logger'],
): Promise<{ revocation: Revocation; failure?: string }> {
  if (!record.sealedTokens) return { revocation: 'not_needed', failure: 'no_tokens' };
  if (await grantHeldElsewhere(deps, key.openId, key)) {
    log.info('grant not revoked: another connection to this account still uses it', {
      event: 'revoke_skipped_grant_in_use',
    });
    return { revocation: 'kept_for_other_holder' };
  }
  let accessToken: Redacted;
  try {
    accessToken = await accessTokenForRevoke(deps, key, record);
  } catch (error) {
    // The refresh failed: the tokens are deleted anyway; the answer says the grant may live on at TikTok.
    const failure = error instanceof AppError ? error.code : 'internal';
    log.warn('could not get a live access token to revoke with', { event: 'revoke_refresh_failed', error });
    return { revocation: 'failed', failure };
  }
  const revoke = await revokeQuietly(deps, accessToken, log);
  return revoke.revoked ? { revocation: 'revoked' } : { revocation: 'failed', failure: revoke.reason };
}

/** The stored access token if it still lives, else a fresh one (under the refresh lease everyone shares). */
async function accessTokenForRevoke(
  deps: ServiceDeps,
  key: ConnectionKey,
  record: ConnectionRecord,
): Promise<Redacted> {
  if ((record.accessExpiresAt ?? 0) - deps.now() > REVOKE_SKEW_MS) {
    return (await deps.connections.openTokens(record)).accessToken;
  }
  return (await getFreshAccessToken(deps, key)).accessToken;
}
