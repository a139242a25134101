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
import type { UploadFiles } from './files/upload-files.js';
import { Logger } from './log.js';
import { type MetricLineWriter, type MetricSink, prettyMetricLines, stdoutMetricLines } from './metrics.js';
import { type ChunkRules, TIKTOK_CHUNK_RULES } from './publish/chunk-plan.js';
import type { RefreshQueue } from './queue/refresh-queue.js';
import type { Redacted } from './redacted.js';
import type { ClientSecretSource } from './secrets/client-secret.js';
import { StaticClientSecret } from './secrets/static-client-secret.js';
import { AnalyticsStore } from './store/analytics-store.js';
import { ConnectionStore } from './store/connection-store.js';
import { createDynamoClient } from './store/dynamo-client.js';
import { OAuthStateStore } from './store/oauth-state-store.js';
import { PendingConnectStore } from './store/pending-connect-store.js';
import { PostStore } from './store/post-store.js';
import { RateBudget } from './store/rate-budget.js';
import { ResponseCache } from './store/response-cache.js';
import { UploadStore } from './store/upload-store.js';
import { WebhookDeliveries } from './store/webhook-deliveries.js';
import {
  type ChunkAnswer,
  type CreatorInfo,
  fetchPublishStatus,
  initVideoUpload,
  type PostInfo,
  type PublishMode,
  type PublishStatus,
  putChunk,
  queryCreatorInfo,
} from './tiktok/content-posting.js';
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

/** TikTok's Content Posting API, one function per call (tests point it at the emulator). */
export type TikTokPosting = {
  creatorInfo(accessToken: Redacted): Promise<{ info: CreatorInfo; logId: string | undefined }>;
  init(
    accessToken: Redacted,
    input: {
      mode: PublishMode;
      postInfo: PostInfo;
      source: { videoSize: number; chunkSize: number; totalChunkCount: number };
    },
  ): Promise<{ publishId: string; uploadUrl: Redacted; logId: string | undefined }>;
  status(
    accessToken: Redacted,
    publishId: string,
  ): Promise<{ status: PublishStatus; logId: string | undefined }>;
  putChunk: typeof putChunk;
};

export type ServiceDeps = {
  config: Config;
  logger: Logger;
  now: () => number;
  random: () => number;
  states: OAuthStateStore;
  /** Consented connect attempts waiting for the starting user's confirm. */
  pendingConnects: PendingConnectStore;
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
  /** Snapshot history (shared/analytics). */
  analytics: AnalyticsStore;
  /** Scheduled posts and the uploads they use. */
  posts: PostStore;
  uploads: UploadStore;
  /** The upload bucket (S3); handed in by the entries that presign or read uploads. */
  uploadFiles: UploadFiles;
  tiktokPosting: TikTokPosting;
  /** TikTok's chunk rules (tests shrink the sizes to upload real bytes quickly). */
  chunkRules: ChunkRules;
  /** Named points in the publish path where tests stop or kill the publisher; no-op otherwise. */
  publishCheckpoint: (name: PublishCheckpoint) => Promise<void>;
};

export type RefreshCheckpoint = 'lease_taken' | 'tiktok_answered';
export type PublishCheckpoint = 'init_answered' | 'chunk_sent';

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
  uploadFiles?: UploadFiles;
  chunkRules?: ChunkRules;
  publishCheckpoint?: (name: PublishCheckpoint) => Promise<void>;
};

export function createDeps(config: Config, overrides: DepsOverrides = {}): ServiceDeps {
  const now = overrides.now ?? Date.now;
  const db =
    overrides.dynamoClient ??
    createDynamoClient({ region: config.region, endpoint: config.dynamodbEndpoint });
  const cipher = new TokenCipher(overrides.dataKeys ?? dataKeysFor(config));
  const clientSecret = overrides.clientSecret ?? clientSecretFor(config);
  const { apiBaseUrl, httpTimeoutMs } = config.tiktok;
  const logger =
    overrides.logger ?? new Logger({ context: { service: 'tiktok-connect' }, format: config.log.format });
  return {
    config,
    logger,
    now,
    random: overrides.random ?? Math.random,
    clientSecret,
    events: overrides.events ?? new LoggedConnectionEvents(logger),
    metrics: {
      stack: config.stackName,
      write: overrides.metrics ?? (config.log.format === 'pretty' ? prettyMetricLines : stdoutMetricLines),
    },
    refreshQueue: overrides.refreshQueue,
    checkpoint: overrides.checkpoint ?? (async () => undefined),
    states: new OAuthStateStore({ db, tableName: config.tableName, cipher }),
    pendingConnects: new PendingConnectStore({ db, tableName: config.tableName, cipher }),
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
    analytics: new AnalyticsStore({
      db,
      tableName: config.tableName,
      retentionDays: config.analytics.retentionDays,
    }),
    posts: new PostStore({ db, tableName: config.tableName }),
    uploads: new UploadStore({ db, tableName: config.tableName }),
    uploadFiles: overrides.uploadFiles ?? uploadFilesNotHandedIn(),
    chunkRules: overrides.chunkRules ?? TIKTOK_CHUNK_RULES,
    publishCheckpoint: overrides.publishCheckpoint ?? (async () => undefined),
    tiktokPosting: {
      creatorInfo: (accessToken) =>
        queryCreatorInfo({ apiBaseUrl, accessToken, timeoutMs: httpTimeoutMs, fetch: overrides.fetch }),
      init: (accessToken, input) =>
        initVideoUpload({
          apiBaseUrl,
          accessToken,
          ...input,
          timeoutMs: httpTimeoutMs,
          fetch: overrides.fetch,
        }),
      status: (accessToken, publishId) =>
        fetchPublishStatus({
          apiBaseUrl,
          accessToken,
          publishId,
          timeoutMs: httpTimeoutMs,
          fetch: overrides.fetch,
        }),
      putChunk,
    },
  };
}

function uploadFilesNotHandedIn(): UploadFiles {
  const fail = () => Promise.reject(notHandedIn('the upload bucket (UPLOAD_BUCKET_NAME)'));
  return { presignPut: fail, head: fail, readRange: fail };
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
  uploadFiles?: (config: Config) => UploadFiles | undefined;
};

/** The Lambda entry points' deps: configuration from the environment, real AWS clients. */
export function createDepsFromEnv(aws: AwsProviders = {}): ServiceDeps {
  const config = loadConfig();
  const logger = new Logger({ context: { service: 'tiktok-connect' }, format: config.log.format });
  const events = aws.events?.(config);
  const refreshQueue = aws.refreshQueue?.(config);
  // The stack sets these only for the functions that publish or enqueue: a mismatch is a wiring bug.
  if (config.events.busName && !events) throw notHandedIn('EVENT_BUS_NAME (connection events)');
  if (config.refresh.queueUrl && !refreshQueue) throw notHandedIn('REFRESH_QUEUE_URL (the refresh queue)');
  const uploadFiles = aws.uploadFiles?.(config);
  return createDeps(config, {
    ...(uploadFiles ? { uploadFiles } : {}),
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
