import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceDeps } from '../deps.js';
import { AppError, TikTokError } from '../errors.js';
import { withFreshAccessToken } from '../lifecycle/fresh-access-token.js';
import type { Redacted } from '../redacted.js';
import type { ConnectionKey, ConnectionRecord } from '../store/connection-store.js';
import { emitTikTokError } from '../tiktok/tiktok-error-metrics.js';

/** The Display API endpoints the frontend reads through us; each has its own TikTok rate limit (§8). */
export type DisplayEndpoint = 'user_info' | 'video_list' | 'video_query';

/** The dimensions of the TikTokError metric of display reads (refreshes on the way count as refresh). */
export const DISPLAY_METRIC_DIMENSIONS = { Service: 'tiktok-connect', Operation: 'display' } as const;

/** Retries after the first attempt, for failures worth repeating (5xx, timeouts, network). */
const MAX_RETRIES = 2;
const BACKOFF_BASE_MS = 200;
/** API Gateway gives an integration 30 s; a retry that could not finish before this is not started. */
const READ_DEADLINE_MS = 25_000;

export type TikTokRead<T> = {
  endpoint: DisplayEndpoint;
  /**
   * The scopes this request relies on. A connection missing one is refused (403) before TikTok is asked; if
   * TikTok still says a scope is missing, these are the ones named.
   */
  scopes: (record: ConnectionRecord) => string[];
  /** Names the request among this connection's cacheable answers; undefined = never cached. */
  cacheEntry?: string;
  /**
   * The share of the endpoint's app-wide budget this read may take (background snapshots: 0.5 by default, so the
   * frontend always keeps the rest); undefined = all of it.
   */
  budgetShare?: number | undefined;
  call: (accessToken: Redacted, record: ConnectionRecord) => Promise<{ value: T; logId: string | undefined }>;
};

/** Reads made in the background (analytics snapshots): a share of the budget, never the frontend's cache. */
export type BackgroundReadOptions = { budgetShare?: number | undefined };

export type TikTokReadResult<T> = {
  value: T;
  /** TikTok's log_id for the call that produced the value. */
  logId: string | undefined;
  /** When TikTok gave the value (earlier than now when it came from the cache). */
  fetchedAt: number;
  cached: boolean;
  /** The scopes the connection holds (what the answer's fields depend on). */
  grantedScopes: string[];
};

/**
 * The one way the frontend API reads TikTok for a connection: a fresh token (refreshed once more if TikTok calls
 * it invalid), the granted scopes checked first, the short cache, the app-wide rate budget spent per attempt,
 * bounded jittered retries for transient failures, and TikTok's errors mapped to what the frontend can act on.
 */
export async function readFromTikTok<T>(
  deps: ServiceDeps,
  key: ConnectionKey,
  read: TikTokRead<T>,
): Promise<TikTokReadResult<T>> {
  let scopes: string[] = [];
  try {
    return await withFreshAccessToken(deps, key, async (accessToken, record) => {
      scopes = read.scopes(record);
      requireScopes(record, scopes);
      const cache = cacheSlot(deps, record, read.cacheEntry);
      const hit = cache && (await deps.responseCache.get(cache.owner, cache.entry, deps.now()));
      if (hit) {
        const stored = JSON.parse(hit.body) as { value: T; logId?: string };
        const { value, logId } = stored;
        return { value, logId, fetchedAt: hit.storedAt, cached: true, grantedScopes: record.scopes };
      }
      const { value, logId, attempts } = await callWithRetries(deps, read, () =>
        read.call(accessToken, record),
      );
      const fetchedAt = deps.now();
      deps.logger.info('read from TikTok', {
        event: 'tiktok_display_read',
        endpoint: read.endpoint,
        appUser: key.appUser,
        openId: key.openId,
        tiktokLogId: logId,
        attempts,
      });
      if (cache) {
        const body = JSON.stringify({ value, logId });
        await deps.responseCache.put(cache.owner, cache.entry, body, {
          now: fetchedAt,
          ttlSeconds: cache.ttlSeconds,
        });
      }
      return { value, logId, fetchedAt, cached: false, grantedScopes: record.scopes };
    });
  } catch (error) {
    emitTikTokError(deps, DISPLAY_METRIC_DIMENSIONS, error);
    throw mapTikTokRefusal(error, scopes);
  }
}

/** Refuses before asking TikTok when the user never granted a scope the request relies on. */
function requireScopes(record: ConnectionRecord, scopes: string[]): void {
  const missing = scopes.filter((scope) => !record.scopes.includes(scope));
  if (missing.length === 0) return;
  throw new AppError(
    'scope_missing',
    403,
    `This TikTok connection was not granted ${missing.join(', ')}; connect again and allow it`,
    { problemFields: { missingScopes: missing } },
  );
}

/** Runs one TikTok call, spending the rate budget on every attempt, retrying transient failures twice. */
async function callWithRetries<T>(
  deps: ServiceDeps,
  read: Pick<TikTokRead<T>, 'endpoint' | 'budgetShare'>,
  call: () => Promise<{ value: T; logId: string | undefined }>,
): Promise<{ value: T; logId: string | undefined; attempts: number }> {
  const { endpoint } = read;
  const deadline = deps.now() + READ_DEADLINE_MS;
  for (let attempt = 1; ; attempt++) {
    await spendRateBudget(deps, endpoint, read.budgetShare);
    try {
      return { ...(await call()), attempts: attempt };
    } catch (error) {
      if (!isTransient(error) || attempt > MAX_RETRIES) throw error;
      // Equal jitter: at least half the exponential step, so retries from many Lambdas spread out.
      const step = BACKOFF_BASE_MS * 2 ** (attempt - 1);
      const delayMs = Math.round(step / 2 + (deps.random() * step) / 2);
      if (deps.now() + delayMs + deps.config.tiktok.httpTimeoutMs > deadline) throw error;
      deps.logger.warn('TikTok read failed; retrying', {
        event: 'tiktok_display_retry',
        endpoint,
        attempt,
        delayMs,
        reason: error.code,
        tiktokLogId: error.logId,
      });
      await sleep(delayMs);
    }
  }
}

/** 429s are not retried here: TikTok's window is a minute long, so the client is told when to come back. */
function isTransient(error: unknown): error is TikTokError {
  return error instanceof TikTokError && error.retryable && error.code !== 'tiktok_rate_limited';
}

async function spendRateBudget(
  deps: ServiceDeps,
  endpoint: DisplayEndpoint,
  share: number | undefined,
): Promise<void> {
  // One counter per endpoint for every reader: a share only lowers where this reader stops counting.
  const limit = Math.max(1, Math.floor(deps.config.tiktok.rateLimitPerMinute * (share ?? 1)));
  const decision = await deps.rateBudget.spend(`tiktok_${endpoint}`, limit, deps.now());
  if (decision.granted) return;
  deps.logger.warn('app-wide TikTok rate budget spent', {
    event: 'rate_budget_exhausted',
    endpoint,
    limit,
    retryAfterSeconds: decision.retryAfterSeconds,
  });
  throw new AppError(
    'rate_budget_exhausted',
    429,
    `The app's budget of ${limit} TikTok ${endpoint} requests a minute is spent; try again shortly`,
    { retryAfterSeconds: decision.retryAfterSeconds },
  );
}

function cacheSlot(deps: ServiceDeps, record: ConnectionRecord, entry: string | undefined) {
  const ttlSeconds = deps.config.display.cacheSeconds;
  if (entry === undefined || ttlSeconds <= 0) return undefined;
  // A reconnect (new connectedAt) or a change of scopes makes earlier answers unusable.
  return {
    owner: `${record.appUser}#${record.openId}`,
    entry: `${entry}#${record.connectedAt}#${record.scopes.join(',')}`,
    ttlSeconds,
  };
}

/** TikTok's refusals, restated for the frontend: which scopes to ask for, and no 401 for our own token trouble. */
function mapTikTokRefusal(error: unknown, scopes: string[]): unknown {
  if (!(error instanceof TikTokError)) return error;
  const options = { cause: error, logFields: error.logFields, problemFields: { tiktokLogId: error.logId } };
  if (error.code === 'tiktok_scope_not_authorized') {
    return new AppError(
      'tiktok_scope_not_authorized',
      403,
      `TikTok says this connection lacks a scope the request needs (${scopes.join(', ')}); connect again and allow it`,
      { ...options, problemFields: { ...options.problemFields, missingScopes: scopes } },
    );
  }
  if (error.code === 'tiktok_access_token_invalid') {
    // Still refused after a refresh: TikTok's trouble, not the caller's sign-in, so not a 401.
    return new AppError(
      'tiktok_access_token_invalid',
      502,
      'TikTok refused a freshly refreshed access token',
      options,
    );
  }
  return error;
}
