/**
 * Everything a handler needs, built once per container from the configuration and passed down explicitly.
 * Tests build their own with clients pointed at DynamoDB Local and the TikTok emulator.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type Config, loadConfig } from './config.js';
import type { DataKeyProvider } from './crypto/data-keys.js';
import { LocalKeyFileProvider } from './crypto/local-key-file.js';
import { TokenCipher } from './crypto/token-cipher.js';
import { ConfigError } from './errors.js';
import { type ConnectionEvents, LoggedConnectionEvents } from './events/connection-events.js';
import { Logger } from './log.js';
import { type MetricLineWriter, type MetricSink, stdoutMetricLines } from './metrics.js';
import type { RefreshQueue } from './queue/refresh-queue.js';
import type { Redacted } from './redacted.js';
import type { ClientSecretSource } from './secrets/client-secret.js';
import { StaticClientSecret } from './secrets/static-client-secret.js';
import { ConnectionStore } from './store/connection-store.js';
import { createDynamoClient } from './store/dynamo-client.js';
import { OAuthStateStore } from './store/oauth-state-store.js';
import { RateBudget } from './store/rate-budget.js';
import { ResponseCache } from './store/response-cache.js';
import { WebhookDeliveries } from './store/webhook-deliveries.js';
import { TikTokOAuthClient } from './tiktok/oauth-client.js';
import type { UserField } from './tiktok/scopes.js';
import type { FetchLike } from './tiktok/tiktok-http.js';
import { fetchUserInfo, type TikTokProfile } from './tiktok/user-info.js';
import { listVideos, queryVideos, type TikTokVideo, type TikTokVideoPage } from './tiktok/videos.js';

export type TikTokUserInfo = (
  accessToken: Redacted,
  fields: readonly UserField[],
  /** `deadline`: when the caller's answer is due (epoch ms); the call ends by then. */
  options?: { deadline?: number | undefined },
) => Promise<{ profile: TikTokProfile; logId: string | undefined }>;

export type TikTokVideos = {
  list(
    accessToken: Redacted,
    page: { maxCount: number; cursor?: number | undefined },
  ): Promise<{ page: TikTokVideoPage; logId: string | undefined }>;
  query(
    accessToken: Redacted,
    ids: readonly string[],
  ): Promise<{ videos: TikTokVideo[]; logId: string | undefined }>;
};

export type ServiceDeps = {
  config: Config;
  logger: Logger;
  now: () => number;
  random: () => number;
  states: OAuthStateStore;
  connections: ConnectionStore;
  tiktokOAuth: TikTokOAuthClient;
  tiktokUserInfo: TikTokUserInfo;
  tiktokVideos: TikTokVideos;
  /** App-wide request budget per TikTok endpoint, shared through the table. */
  rateBudget: RateBudget;
  /** Short cache of Display API answers (used when DISPLAY_CACHE_SECONDS > 0). */
  responseCache: ResponseCache;
  clientSecret: ClientSecretSource;
  webhookDeliveries: WebhookDeliveries;
  events: ConnectionEvents;
  metrics: MetricSink;
  /** Where overflow refresh batches go; undefined = none (they wait for the next run). */
  refreshQueue: RefreshQueue | undefined;
  /** Named points in the refresh path where tests stop or kill the work (crash simulation); no-op otherwise. */
  checkpoint: (name: RefreshCheckpoint) => Promise<void>;
};

export type RefreshCheckpoint = 'lease_taken' | 'tiktok_answered';

export type DepsOverrides = {
  logger?: Logger;
  now?: () => number;
  random?: () => number;
  events?: ConnectionEvents;
  /** Where EMF lines go (the stack dimension comes from the configuration). @default stdout */
  metrics?: MetricLineWriter;
  refreshQueue?: RefreshQueue;
  checkpoint?: (name: RefreshCheckpoint) => Promise<void>;
  dataKeys?: DataKeyProvider;
  clientSecret?: ClientSecretSource;
  fetch?: FetchLike;
  /** The caller's own DynamoDB client (fault injection, request counting); default: built from the config. */
  dynamoClient?: DynamoDBClient;
};

export function createDeps(config: Config, overrides: DepsOverrides = {}): ServiceDeps {
  const now = overrides.now ?? Date.now;
  const db =
    overrides.dynamoClient ??
    createDynamoClient({ region: config.region, endpoint: config.dynamodbEndpoint });
  const cipher = new TokenCipher(overrides.dataKeys ?? dataKeysFor(config));
  const clientSecret = overrides.clientSecret ?? clientSecretFor(config);
  const { apiBaseUrl, httpTimeoutMs } = config.tiktok;
  const logger = overrides.logger ?? new Logger({ context: { service: 'tiktok-connect' } });
  return {
    config,
    logger,
    now,
    random: overrides.random ?? Math.random,
    clientSecret,
    events: overrides.events ?? new LoggedConnectionEvents(logger),
    metrics: { stack: config.stackName, write: overrides.metrics ?? stdoutMetricLines },
    refreshQueue: overrides.refreshQueue,
    checkpoint: overrides.checkpoint ?? (async () => undefined),
    states: new OAuthStateStore({ db, tableName: config.tableName, cipher }),
    connections: new ConnectionStore({
      db,
      tableName: config.tableName,
      cipher,
      refreshAheadMs: config.refresh.aheadMs,
    }),
    webhookDeliveries: new WebhookDeliveries({ db, tableName: config.tableName }),
    tiktokOAuth: new TikTokOAuthClient({
      clientKey: config.tiktok.clientKey,
      clientSecret,
      apiBaseUrl,
      timeoutMs: httpTimeoutMs,
      now,
      fetch: overrides.fetch,
    }),
    tiktokUserInfo: (accessToken, fields, options = {}) =>
      fetchUserInfo({
        apiBaseUrl,
        accessToken,
        fields,
        timeoutMs: httpTimeoutMs,
        deadline: options.deadline,
        fetch: overrides.fetch,
      }),
    tiktokVideos: {
      list: (accessToken, page) =>
        listVideos({ apiBaseUrl, accessToken, ...page, timeoutMs: httpTimeoutMs, fetch: overrides.fetch }),
      query: (accessToken, ids) =>
        queryVideos({ apiBaseUrl, accessToken, ids, timeoutMs: httpTimeoutMs, fetch: overrides.fetch }),
    },
    rateBudget: new RateBudget({ db, tableName: config.tableName }),
    responseCache: new ResponseCache({ db, tableName: config.tableName }),
  };
}

/**
 * The AWS services beyond DynamoDB, each from its own module, handed in by the Lambda entry that needs it: a
 * function bundles (and initialises) only the SDK clients it uses, which keeps cold starts near the floor.
 * A service the configuration asks for but the entry did not hand in fails loudly on first use.
 */
export type AwsProviders = {
  dataKeys?: (config: Config) => DataKeyProvider | undefined;
  clientSecret?: (config: Config) => ClientSecretSource | undefined;
  events?: (config: Config) => ConnectionEvents | undefined;
  refreshQueue?: (config: Config) => RefreshQueue | undefined;
};

/** The Lambda entry points' deps: configuration from the environment, real AWS clients. */
export function createDepsFromEnv(aws: AwsProviders = {}): ServiceDeps {
  const config = loadConfig();
  const logger = new Logger({ context: { service: 'tiktok-connect' } });
  const events = aws.events?.(config);
  const refreshQueue = aws.refreshQueue?.(config);
  // The stack sets these only for the functions that publish or enqueue: a mismatch is a wiring bug.
  if (config.events.busName && !events) throw notHandedIn('EVENT_BUS_NAME (connection events)');
  if (config.refresh.queueUrl && !refreshQueue) throw notHandedIn('REFRESH_QUEUE_URL (the refresh queue)');
  return createDeps(config, {
    logger,
    dataKeys: aws.dataKeys?.(config) ?? dataKeysFor(config),
    clientSecret: aws.clientSecret?.(config) ?? clientSecretFor(config),
    ...(events ? { events } : {}),
    ...(refreshQueue ? { refreshQueue } : {}),
  });
}

function dataKeysFor(config: Config): DataKeyProvider {
  if ('keyFile' in config.tokenKey) return new LocalKeyFileProvider(config.tokenKey.keyFile);
  return {
    keyForEncrypt: () => Promise.reject(notHandedIn('KMS data keys')),
    keyForDecrypt: () => Promise.reject(notHandedIn('KMS data keys')),
  };
}

function clientSecretFor(config: Config): ClientSecretSource {
  const source = config.tiktok.clientSecret;
  if ('fromEnv' in source) return new StaticClientSecret(source.fromEnv);
  return { get: () => Promise.reject(notHandedIn('the Secrets Manager client secret')) };
}

function notHandedIn(what: string): ConfigError {
  return new ConfigError(
    `${what} is configured but this function's entry does not provide it (see functions/)`,
  );
}
