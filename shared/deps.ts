/**
 * Everything a handler needs, built once per container from the configuration and passed down explicitly.
 * Tests build their own with clients pointed at DynamoDB Local and the TikTok emulator.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type Config, loadConfig } from './config.js';
import type { DataKeyProvider } from './crypto/data-keys.js';
import { KmsDataKeyProvider } from './crypto/kms-data-keys.js';
import { LocalKeyFileProvider } from './crypto/local-key-file.js';
import { TokenCipher } from './crypto/token-cipher.js';
import {
  type ConnectionEvents,
  EventBridgeConnectionEvents,
  LoggedConnectionEvents,
} from './events/connection-events.js';
import { Logger } from './log.js';
import { type MetricSink, stdoutMetricSink } from './metrics.js';
import { type RefreshQueue, SqsRefreshQueue } from './queue/refresh-queue.js';
import type { Redacted } from './redacted.js';
import type { ClientSecretSource } from './secrets/client-secret.js';
import { SecretsManagerClientSecret } from './secrets/secrets-manager-client-secret.js';
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
  metrics?: MetricSink;
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
    overrides.dynamoClient ?? createDynamoClient({ region: config.region, endpoint: config.dynamodbEndpoint });
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
    events: overrides.events ?? eventsFor(config, logger),
    metrics: overrides.metrics ?? stdoutMetricSink,
    refreshQueue: overrides.refreshQueue ?? refreshQueueFor(config),
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
    tiktokUserInfo: (accessToken, fields) =>
      fetchUserInfo({ apiBaseUrl, accessToken, fields, timeoutMs: httpTimeoutMs, fetch: overrides.fetch }),
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

/** The Lambda entry points' deps: configuration from the environment, real AWS clients. */
export function createDepsFromEnv(): ServiceDeps {
  return createDeps(loadConfig());
}

function eventsFor(config: Config, logger: Logger): ConnectionEvents {
  if (!config.events.busName) return new LoggedConnectionEvents(logger);
  return new EventBridgeConnectionEvents({
    client: new EventBridgeClient({ region: config.region }),
    busName: config.events.busName,
  });
}

function refreshQueueFor(config: Config): RefreshQueue | undefined {
  if (!config.refresh.queueUrl) return undefined;
  return new SqsRefreshQueue({
    sqs: new SQSClient({ region: config.region }),
    queueUrl: config.refresh.queueUrl,
  });
}

function dataKeysFor(config: Config): DataKeyProvider {
  if ('kmsKeyId' in config.tokenKey) {
    return new KmsDataKeyProvider({
      kms: new KMSClient({ region: config.region }),
      keyId: config.tokenKey.kmsKeyId,
    });
  }
  return new LocalKeyFileProvider(config.tokenKey.keyFile);
}

function clientSecretFor(config: Config): ClientSecretSource {
  const source = config.tiktok.clientSecret;
  if ('fromEnv' in source) return new StaticClientSecret(source.fromEnv);
  return new SecretsManagerClientSecret({
    client: new SecretsManagerClient({ region: config.region }),
    secretId: source.secretArn,
    cacheSeconds: source.cacheSeconds,
  });
}
