import type { ServiceDeps } from '../deps.js';
import { AppError, TikTokError } from '../errors.js';
import { type ConnectionEventType, publishSafely } from '../events/connection-events.js';
import type { Redacted } from '../redacted.js';
import type { ConnectionKey, ConnectionRecord } from '../store/connection-store.js';
import type { TikTokTokenSet } from '../tiktok/oauth-client.js';
import { emitTikTokError } from '../tiktok/tiktok-error-metrics.js';
import { grantHeldElsewhere } from './grant-holders.js';
import { REFRESH_METRIC_DIMENSIONS } from './refresh-metrics.js';
import {
  classifyRefreshFailure,
  IN_RUN_RETRIES,
  inRunRetryDelayMs,
  nextAttemptDelayMs,
} from './refresh-policy.js';

export type RefreshOutcome =
  | { kind: 'refreshed'; accessToken: Redacted; accessExpiresAt: number; version: number; retries: number }
  /** Not taken: the lease is held, the connection is not refreshable, or (scheduled) no longer due. */
  | { kind: 'skipped' }
  /** Someone else wrote the connection meanwhile (a reconnect, a disconnect, another refresh). */
  | { kind: 'superseded' }
  | { kind: 'retry_later'; reason: string; retries: number }
  | { kind: 'reauth_required'; reason: string }
  | { kind: 'operator_error'; reason: string };

export type RefreshRequest = {
  key: ConnectionKey;
  /** Who holds the lease (a run id, or a request id for on-demand refreshes). */
  owner: string;
  /** Scheduled work passes the horizon it queried with: a connection refreshed since is not taken again. */
  dueBefore?: number;
  /** On-demand work: refresh only if the token is still stale (nobody refreshed since it was read). */
  stale?: { accessExpiresBefore: number; orVersion?: number | undefined };
  /** No TikTok call is started unless it can finish (HTTP timeout + the write) before this instant. */
  deadline: number;
};

/** Safety margin after TikTok's answer for the write that stores it. */
const WRITE_MARGIN_MS = 2000;
/** Work stops this long before the lease expires, so a new holder never overlaps with us. */
const LEASE_MARGIN_MS = 5000;

/**
 * Refreshes one connection under its lease: take the lease (one conditional write that also returns the item),
 * call TikTok's refresh grant, then store the new access token, the new refresh token and both expiries in one
 * compare-and-swap on the version read. Failures are classified: retryable ones back off, a dead grant sends the
 * connection to `reauth_required` (after checking that nobody rotated it meanwhile), an operator error leaves the
 * user's connection alone.
 */
export async function refreshConnection(deps: ServiceDeps, request: RefreshRequest): Promise<RefreshOutcome> {
  const { connections, now, config } = deps;
  const startedAt = now();
  const record = await connections.acquireLease({
    key: request.key,
    owner: request.owner,
    now: startedAt,
    leaseMs: config.refresh.leaseMs,
    dueBefore: request.dueBefore,
    stale: request.stale,
  });
  if (!record) return { kind: 'skipped' };
  const log = deps.logger.child({
    appUser: record.appUser,
    openId: record.openId,
    leaseOwner: request.owner,
  });
  // The lease we replaced had expired while still set: its holder died mid-refresh (pending refresh).
  const interrupted = record.lease !== undefined;
  if (interrupted) log.warn('an earlier refresh was interrupted', { event: 'refresh_interrupted_detected' });
  await deps.checkpoint('lease_taken');

  if (
    !record.sealedTokens ||
    (record.refreshExpiresAt !== undefined && record.refreshExpiresAt <= startedAt)
  ) {
    return reauthRequired(deps, record, request.owner, 'refresh_token_expired', log);
  }
  const { refreshToken } = await connections.openTokens(record);
  // Everything happens inside the lease: past it another holder may spend the same refresh token.
  const leaseEnd = startedAt + config.refresh.leaseMs - LEASE_MARGIN_MS;
  const workUntil = Math.min(request.deadline, leaseEnd);
  // The write after TikTok's answer may use the few seconds the run keeps back before the Lambda timeout.
  const storeUntil = Math.min(request.deadline + WRITE_MARGIN_MS, leaseEnd);

  let retries = 0;
  let tokens: TikTokTokenSet | undefined;
  let failure: unknown;
  for (let attempt = 0; ; attempt++) {
    // One attempt may be two requests (invalid_client re-reads the secret and tries again).
    if (deps.now() + 2 * config.tiktok.httpTimeoutMs + WRITE_MARGIN_MS > workUntil) {
      if (failure !== undefined) break;
      // Not enough time to call TikTok and store its answer: leave it, untouched, to the next run.
      await connections.releaseLease({ record, owner: request.owner });
      return { kind: 'skipped' };
    }
    try {
      tokens = await deps.tiktokOAuth.refresh(refreshToken);
      break;
    } catch (error) {
      failure = error;
      if (classifyRefreshFailure(error) !== 'retryable' || attempt >= IN_RUN_RETRIES) break;
      retries++;
      await sleep(inRunRetryDelayMs(attempt, deps.random));
    }
  }

  if (tokens) {
    await deps.checkpoint('tiktok_answered');
    return saveRefreshed(deps, record, request.owner, tokens, retries, log, storeUntil);
  }
  return handleFailure(deps, record, request.owner, failure, retries, interrupted, log);
}

async function saveRefreshed(
  deps: ServiceDeps,
  record: ConnectionRecord,
  owner: string,
  tokens: TikTokTokenSet,
  retries: number,
  log: ServiceDeps['logger'],
  storeUntil: number,
): Promise<RefreshOutcome> {
  if (tokens.openId !== record.openId) {
    log.error('TikTok refreshed a token for another open_id', { event: 'refresh_open_id_mismatch' });
    return handleFailure(
      deps,
      record,
      owner,
      new TikTokError('tiktok_bad_response', 'refresh answered for another open_id', { retryable: false }),
      retries,
      false,
      log,
    );
  }
  const now = deps.now();
  // TikTok may leave `scope` out of a refresh answer; the grant's scopes do not change on refresh.
  const scopes = tokens.scopes.length > 0 ? tokens.scopes : record.scopes;
  const saved = await storeRefreshResult(deps, storeUntil, () =>
    deps.connections.saveRefreshed({ record, owner, grant: { ...tokens, scopes }, now }),
  );
  if (saved.outcome === 'lost') {
    const current = await deps.connections.get(record.appUser, record.openId);
    log.warn('refresh result not stored: the connection changed meanwhile', {
      event: 'refresh_superseded',
      currentStatus: current?.status,
      tiktokLogId: tokens.logId,
    });
    // The connection was disconnected or revoked while we refreshed: the grant we just got must not live on —
    // unless another app user's connection to the same account still uses the authorization.
    if (!current?.sealedTokens) {
      if (await grantHeldElsewhere(deps, record.openId, record)) {
        log.info('rotated grant not revoked: another connection to this account still uses it', {
          event: 'revoke_skipped_grant_in_use',
        });
      } else {
        await revokeQuietly(deps, tokens.accessToken, log);
      }
    }
    return { kind: 'superseded' };
  }
  log.info('connection refreshed', {
    event: 'connection_refreshed',
    version: saved.version,
    retries,
    accessExpiresAt: tokens.accessExpiresAt,
    refreshExpiresAt: tokens.refreshExpiresAt,
    tiktokLogId: tokens.logId,
  });
  if (record.status === 'refresh_failing') await publish(deps, record, 'recovered', 'refresh_succeeded');
  if (deps.config.events.publishRefreshed) await publish(deps, record, 'refreshed', undefined);
  await warnIfRefreshTokenExpiring(deps, record, tokens.refreshExpiresAt, now);
  return {
    kind: 'refreshed',
    accessToken: tokens.accessToken,
    accessExpiresAt: tokens.accessExpiresAt,
    version: saved.version,
    retries,
  };
}

/**
 * TikTok has rotated the refresh token: the new one exists only in this process until it is stored. A failed
 * write here (throttling, a network blip) is retried with backoff while the lease holds — the write is conditional
 * on our version and lease, so repeating it is safe — rather than dropped, which would lose the connection.
 */
async function storeRefreshResult<T>(
  deps: ServiceDeps,
  giveUpAt: number,
  write: () => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (deps.now() + STORE_RETRY_CAP_MS > giveUpAt) throw error;
      deps.logger.warn('storing a refresh result failed; trying again', {
        event: 'refresh_store_retry',
        attempt,
        error,
      });
      await sleep(Math.min(STORE_RETRY_CAP_MS, 100 * 2 ** attempt) * (0.5 + deps.random() / 2));
    }
  }
}

const STORE_RETRY_CAP_MS = 3000;

async function handleFailure(
  deps: ServiceDeps,
  record: ConnectionRecord,
  owner: string,
  error: unknown,
  retries: number,
  interrupted: boolean,
  log: ServiceDeps['logger'],
): Promise<RefreshOutcome> {
  const reason = error instanceof AppError ? error.code : 'internal';
  const failureClass = classifyRefreshFailure(error);
  const now = deps.now();
  emitTikTokError(deps, REFRESH_METRIC_DIMENSIONS, error);

  if (failureClass === 'grant_revoked') {
    // Rotation race: if the stored refresh token changed since we read it, a sibling rotated it. Not a failure.
    const current = await deps.connections.get(record.appUser, record.openId);
    if (current && current.version !== record.version) {
      log.info('refresh token was rotated by someone else meanwhile', {
        event: 'refresh_superseded',
        reason,
      });
      await deps.connections.releaseLease({ record: current, owner });
      return { kind: 'superseded' };
    }
    return reauthRequired(
      deps,
      record,
      owner,
      interrupted ? 'refresh_interrupted' : tiktokReason(error),
      log,
      error,
    );
  }

  if (failureClass === 'operator') {
    log.error('TikTok refused our client credentials: check the client key and secret', {
      event: 'refresh_operator_error',
      reason,
      error,
    });
    await deps.connections.releaseLease({
      record,
      owner,
      nextAttemptAt: now + nextAttemptDelayMs(4, deps.random),
    });
    return { kind: 'operator_error', reason };
  }

  const failureCount = record.failureCount + 1;
  // TikTok's own Retry-After (a 429, a 503) is a floor under our backoff: trying sooner only spends budget.
  const tiktokWaitMs = error instanceof AppError ? (error.retryAfterSeconds ?? 0) * 1000 : 0;
  await deps.connections.recordRefreshFailure({
    record,
    owner,
    reason,
    nextAttemptAt: now + Math.max(nextAttemptDelayMs(failureCount - 1, deps.random), tiktokWaitMs),
    now,
  });
  log.warn('refresh failed; will retry', { event: 'refresh_failed', reason, failureCount, retries, error });
  if (record.status === 'active') await publish(deps, record, 'refresh_failing', reason);
  return { kind: 'retry_later', reason, retries };
}

async function reauthRequired(
  deps: ServiceDeps,
  record: ConnectionRecord,
  owner: string,
  reason: string,
  log: ServiceDeps['logger'],
  error?: unknown,
): Promise<RefreshOutcome> {
  const before = await deps.connections.markUnusable({
    key: record,
    status: 'reauth_required',
    reason,
    now: deps.now(),
    owner,
  });
  if (!before) return { kind: 'superseded' };
  log.warn('connection needs the user to connect again', {
    event: 'connection_reauth_required',
    reason,
    error,
  });
  await publish(deps, record, 'reauth_required', reason);
  return { kind: 'reauth_required', reason };
}

async function warnIfRefreshTokenExpiring(
  deps: ServiceDeps,
  record: ConnectionRecord,
  refreshExpiresAt: number,
  now: number,
): Promise<void> {
  if (refreshExpiresAt - now > deps.config.refresh.expiryWarningMs) return;
  if (record.refreshExpiryWarnedAt !== undefined && refreshExpiresAt <= (record.refreshExpiresAt ?? 0))
    return;
  await deps.connections.markRefreshExpiryWarned({ record, now });
  await publishSafely(deps.events, deps.logger, {
    type: 'refresh_token_expiring',
    appUser: record.appUser,
    openId: record.openId,
    status: 'active',
    reason: 'refresh_token_expiring',
    at: new Date(now).toISOString(),
    details: { refreshTokenExpiresAt: new Date(refreshExpiresAt).toISOString() },
  });
}

export async function publish(
  deps: ServiceDeps,
  key: ConnectionKey,
  type: ConnectionEventType,
  reason: string | undefined,
): Promise<void> {
  const status = type === 'recovered' || type === 'refreshed' || type === 'connected' ? 'active' : type;
  await publishSafely(deps.events, deps.logger, {
    type,
    appUser: key.appUser,
    openId: key.openId,
    status,
    ...(reason ? { reason } : {}),
    at: new Date(deps.now()).toISOString(),
  });
}

export async function revokeQuietly(deps: ServiceDeps, accessToken: Redacted, log: ServiceDeps['logger']) {
  try {
    await deps.tiktokOAuth.revoke(accessToken);
    return { revoked: true as const };
  } catch (error) {
    log.warn('revoking at TikTok failed', { event: 'revoke_failed', error });
    return { revoked: false as const, reason: error instanceof AppError ? error.code : 'internal' };
  }
}

function tiktokReason(error: unknown): string {
  if (error instanceof TikTokError && error.tiktokCode) return error.tiktokCode;
  return error instanceof AppError ? error.code : 'internal';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
