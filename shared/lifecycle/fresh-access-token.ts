import { randomUUID } from 'node:crypto';
import type { ServiceDeps } from '../deps.js';
import { AppError, TikTokError } from '../errors.js';
import type { Redacted } from '../redacted.js';
import type { ConnectionKey, ConnectionRecord } from '../store/connection-store.js';
import { refreshConnection } from './refresh-connection.js';

/** A token this close to expiry is refreshed before use rather than sent to TikTok to fail. */
const ON_DEMAND_SKEW_MS = 2 * 60 * 1000;
/** How long an on-demand caller waits for another holder's refresh before giving up. */
const WAIT_FOR_OTHER_REFRESH_MS = 10_000;
const POLL_MS = 250;

export type FreshToken = { accessToken: Redacted; record: ConnectionRecord };

/**
 * A usable access token for one connection. If it is expired or about to be, it is refreshed under the same lease
 * the scheduled refresher uses (so the two never both spend the rotating refresh token); if someone else holds
 * the lease, this waits for their result. `staleVersion` forces a refresh unless the connection has been written
 * since that version (TikTok said `access_token_invalid` for the token of that version).
 */
export async function getFreshAccessToken(
  deps: ServiceDeps,
  key: ConnectionKey,
  options: { staleVersion?: number } = {},
): Promise<FreshToken> {
  const waitUntil = deps.now() + WAIT_FOR_OTHER_REFRESH_MS;
  const owner = `on-demand-${randomUUID()}`;
  for (;;) {
    const record = await deps.connections.get(key.appUser, key.openId);
    const usable = requireUsable(record);
    const forced = options.staleVersion !== undefined && usable.version === options.staleVersion;
    if (!forced && (usable.accessExpiresAt ?? 0) - deps.now() > ON_DEMAND_SKEW_MS) {
      return { accessToken: (await deps.connections.openTokens(usable)).accessToken, record: usable };
    }
    const outcome = await refreshConnection(deps, {
      key,
      owner,
      stale: {
        accessExpiresBefore: deps.now() + ON_DEMAND_SKEW_MS,
        orVersion: forced ? usable.version : undefined,
      },
      deadline: deps.now() + deps.config.tiktok.httpTimeoutMs * 2 + 5000,
    });
    switch (outcome.kind) {
      case 'refreshed': {
        const refreshed = await deps.connections.get(key.appUser, key.openId);
        return { accessToken: outcome.accessToken, record: requireUsable(refreshed) };
      }
      case 'reauth_required':
        throw reauthRequired(key, outcome.reason);
      case 'retry_later':
      case 'operator_error':
        throw new AppError('tiktok_unavailable', 502, 'TikTok could not refresh the access token right now', {
          logFields: { reason: outcome.reason },
        });
      case 'skipped':
      case 'superseded':
        // Another holder is refreshing (or just did): read again, after a short wait if nothing changed yet.
        if (deps.now() > waitUntil) {
          throw new AppError('connection_busy', 503, 'The connection is being refreshed; try again shortly');
        }
        if (outcome.kind === 'skipped') await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}

/**
 * Runs a TikTok call with a fresh token; if TikTok still says `access_token_invalid` (revoked early, clock skew),
 * refreshes once and retries once.
 */
export async function withFreshAccessToken<T>(
  deps: ServiceDeps,
  key: ConnectionKey,
  call: (accessToken: Redacted, record: ConnectionRecord) => Promise<T>,
): Promise<T> {
  const first = await getFreshAccessToken(deps, key);
  try {
    return await call(first.accessToken, first.record);
  } catch (error) {
    if (!(error instanceof TikTokError) || error.code !== 'tiktok_access_token_invalid') throw error;
    deps.logger.info('TikTok refused a current access token; refreshing once', {
      event: 'access_token_invalid_retry',
      appUser: key.appUser,
      openId: key.openId,
      tiktokLogId: error.logId,
    });
    const second = await getFreshAccessToken(deps, key, { staleVersion: first.record.version });
    return call(second.accessToken, second.record);
  }
}

function requireUsable(record: ConnectionRecord | undefined): ConnectionRecord {
  if (!record || record.status === 'disconnected') {
    throw new AppError('connection_not_found', 404, 'No such TikTok connection');
  }
  if (!record.sealedTokens || record.status === 'reauth_required' || record.status === 'revoked') {
    throw reauthRequired(record, record.statusReason ?? record.status);
  }
  return record;
}

function reauthRequired(key: ConnectionKey, reason: string): AppError {
  return new AppError(
    'connection_reauth_required',
    409,
    'This TikTok connection needs the user to connect again (GET /auth/tiktok/start?force=1)',
    { logFields: { appUser: key.appUser, openId: key.openId, reason } },
  );
}
