import { deleteAnalyticsHistory } from '../analytics/history-lifecycle.js';
import type { ServiceDeps } from '../deps.js';
import { AppError } from '../errors.js';
import type { ConnectionKey } from '../store/connection-store.js';
import { publish, revokeQuietly } from './refresh-connection.js';

export type DisconnectResult = {
  openId: string;
  status: 'disconnected';
  revokedAtTikTok: boolean;
  revokeFailure?: string;
};

/**
 * The user disconnects: revoke the grant at TikTok, then delete the tokens and their key material whatever TikTok
 * said (a failing revoke must not keep tokens around), mark the connection `disconnected`, publish the event.
 */
export async function disconnectConnection(deps: ServiceDeps, key: ConnectionKey): Promise<DisconnectResult> {
  const record = await deps.connections.get(key.appUser, key.openId);
  if (!record || record.status === 'disconnected') {
    throw new AppError('connection_not_found', 404, 'No such TikTok connection');
  }
  const log = deps.logger.child({ appUser: key.appUser, openId: key.openId });
  let revoke: { revoked: boolean; reason?: string } = { revoked: false, reason: 'no_tokens' };
  if (record.sealedTokens) {
    const { accessToken } = await deps.connections.openTokens(record);
    revoke = await revokeQuietly(deps, accessToken, log);
  }
  const before = await deps.connections.markUnusable({
    key,
    status: 'disconnected',
    reason: revoke.revoked ? 'user_disconnected' : `user_disconnected_revoke_${revoke.reason ?? 'failed'}`,
    now: deps.now(),
  });
  if (!before) throw new AppError('connection_not_found', 404, 'No such TikTok connection');
  await deleteAnalyticsHistory(deps, key, 'user_disconnected');
  log.info('connection disconnected', {
    event: 'connection_disconnected',
    revokedAtTikTok: revoke.revoked,
    revokeFailure: revoke.reason,
  });
  await publish(
    deps,
    key,
    'disconnected',
    revoke.revoked ? 'user_disconnected' : 'user_disconnected_revoke_failed',
  );
  return {
    openId: key.openId,
    status: 'disconnected',
    revokedAtTikTok: revoke.revoked,
    ...(revoke.revoked ? {} : { revokeFailure: revoke.reason ?? 'failed' }),
  };
}
