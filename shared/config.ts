/**
 * Configuration, read once from the environment and validated. Nothing else reads `process.env`.
 */
import * as v from 'valibot';
import { ConfigError } from './errors.js';
import { DEFAULT_CORS_ALLOW_HEADERS } from './http/cors.js';

export const DEFAULT_SCOPES = 'user.info.basic,user.info.profile,user.info.stats,video.list';
export const TIKTOK_AUTHORIZE_URL = 'https://www.tiktok.com/v2/auth/authorize/';
export const TIKTOK_API_BASE_URL = 'https://open.tiktokapis.com';

const commaList = v.pipe(
  v.string(),
  v.transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  ),
);

const httpUrl = v.pipe(
  v.string(),
  v.url(),
  v.check((s) => /^https?:\/\//.test(s), 'must be an http(s) URL'),
);

const origin = v.pipe(
  httpUrl,
  v.transform((s) => new URL(s).origin),
);

const positiveInt = v.pipe(v.string(), v.transform(Number), v.number(), v.integer(), v.minValue(1));
const nonNegativeInt = v.pipe(v.string(), v.transform(Number), v.number(), v.integer(), v.minValue(0));

const EnvSchema = v.object({
  TABLE_NAME: v.optional(v.pipe(v.string(), v.minLength(3)), 'tiktok-connect'),
  DYNAMODB_ENDPOINT: v.optional(httpUrl),
  AWS_REGION: v.optional(v.string(), 'us-east-1'),
  /** The CloudFormation stack the function belongs to: a dimension of every metric it emits. */
  STACK_NAME: v.optional(v.pipe(v.string(), v.minLength(1)), 'local'),

  TIKTOK_CLIENT_KEY: v.pipe(v.string(), v.minLength(1, 'TIKTOK_CLIENT_KEY is required')),
  /** Local only: the Lambdas read the secret from Secrets Manager (TIKTOK_CLIENT_SECRET_ARN). */
  TIKTOK_CLIENT_SECRET: v.optional(v.pipe(v.string(), v.minLength(1))),
  TIKTOK_CLIENT_SECRET_ARN: v.optional(v.pipe(v.string(), v.minLength(1))),
  TIKTOK_REDIRECT_URI: v.optional(httpUrl, 'http://localhost:3001/auth/tiktok/callback'),
  TIKTOK_SCOPES: v.optional(commaList, DEFAULT_SCOPES),
  TIKTOK_PKCE_ENCODING: v.optional(v.picklist(['hex', 'base64url']), 'hex'),
  TIKTOK_AUTHORIZE_URL: v.optional(httpUrl, TIKTOK_AUTHORIZE_URL),
  TIKTOK_API_BASE_URL: v.optional(httpUrl, TIKTOK_API_BASE_URL),
  TIKTOK_HTTP_TIMEOUT_MS: v.optional(positiveInt, '8000'),
  /**
   * What the callback's TikTok calls (code exchange, user info) may take together, so that a slow TikTok still
   * ends in a redirect back to the app, not in API Gateway's 503. Also capped by the Lambda's remaining time.
   */
  CALLBACK_TIKTOK_BUDGET_MS: v.optional(positiveInt, '10000'),
  /** App-wide budget per Display API endpoint, shared by every Lambda (TikTok's default is 600 a minute). */
  TIKTOK_RATE_LIMIT_PER_MINUTE: v.optional(positiveInt, '600'),
  /** The most of each endpoint's app-wide budget one signed-in user may spend, in percent (1–100). */
  TIKTOK_USER_RATE_SHARE_PERCENT: v.optional(v.pipe(positiveInt, v.maxValue(100)), '10'),
  /** Local server: requests a minute one client IP may make to each public or connect-flow route. */
  PUBLIC_ROUTE_RATE_LIMIT_PER_MINUTE: v.optional(positiveInt, '60'),
  /** How long a profile or video page is served from the table instead of TikTok; 0 = no cache. */
  DISPLAY_CACHE_SECONDS: v.optional(nonNegativeInt, '0'),

  ALLOWED_RETURN_ORIGINS: v.optional(v.pipe(commaList, v.array(origin)), ''),
  DEFAULT_RETURN_URL: v.optional(httpUrl, 'http://localhost:3001/platforms/connect'),
  /** Browser origins that may call the API; unset = the allowed return origins. */
  CORS_ALLOWED_ORIGINS: v.optional(v.pipe(commaList, v.array(origin))),
  /** Request headers browsers may send cross-origin; default authorization, content-type, traceparent, sentry-trace. */
  CORS_ALLOWED_HEADERS: v.optional(
    v.pipe(
      commaList,
      v.array(v.pipe(v.string(), v.regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be a header name'))),
      v.transform((names) => names.map((name) => name.toLowerCase())),
    ),
  ),

  /** AWS: KMS key for envelope encryption of tokens. Local: a key file instead. */
  TOKEN_KMS_KEY_ID: v.optional(v.pipe(v.string(), v.minLength(1))),
  TOKEN_KEY_FILE: v.optional(v.string(), '.data/token-key.json'),
  /** Cache lifetime of the client secret read from Secrets Manager. */
  SECRET_CACHE_SECONDS: v.optional(positiveInt, '300'),

  /** EventBridge bus for connection events; unset = events are only logged (local). */
  EVENT_BUS_NAME: v.optional(v.pipe(v.string(), v.minLength(1))),
  /** SQS queue the refresher hands overflow batches to; unset = leftovers wait for the next run. */
  REFRESH_QUEUE_URL: v.optional(httpUrl),
  REFRESH_AHEAD_MINUTES: v.optional(positiveInt, '30'),
  REFRESH_CONCURRENCY: v.optional(positiveInt, '8'),
  REFRESH_LEASE_SECONDS: v.optional(positiveInt, '60'),
  /** How many connections one scheduled run refreshes itself before handing the rest to the queue. */
  REFRESH_MAX_INLINE: v.optional(positiveInt, '400'),
  /** Connections per queue message. */
  REFRESH_BATCH_SIZE: v.optional(positiveInt, '25'),
  REFRESH_EXPIRY_WARNING_DAYS: v.optional(positiveInt, '7'),
  PUBLISH_REFRESHED_EVENTS: v.optional(v.picklist(['true', 'false']), 'false'),
  /** `json` (AWS: CloudWatch reads it) or `pretty` (one readable line each; `npm start` sets it). */
  LOG_FORMAT: v.optional(v.picklist(['json', 'pretty']), 'json'),

  /** Analytics snapshots: the share of each TikTok endpoint's budget they may use (the rest stays for reads). */
  ANALYTICS_BUDGET_SHARE: v.optional(
    v.pipe(v.string(), v.transform(Number), v.number(), v.minValue(0.01), v.maxValue(1)),
    '0.5',
  ),
  /** How often the snapshot pass runs (the EventBridge schedule uses the same value). */
  ANALYTICS_PASS_MINUTES: v.optional(positiveInt, '15'),
  /** Cadence tiers: account hourly for 48 h, then every 6 h; video every 3 h to day 10, daily to day 60, weekly. */
  ANALYTICS_ACCOUNT_YOUNG_MINUTES: v.optional(positiveInt, '60'),
  ANALYTICS_ACCOUNT_YOUNG_HOURS: v.optional(positiveInt, '48'),
  ANALYTICS_ACCOUNT_MINUTES: v.optional(positiveInt, '360'),
  ANALYTICS_VIDEO_NEW_MINUTES: v.optional(positiveInt, '180'),
  ANALYTICS_VIDEO_NEW_DAYS: v.optional(positiveInt, '10'),
  ANALYTICS_VIDEO_RECENT_MINUTES: v.optional(positiveInt, '1440'),
  ANALYTICS_VIDEO_RECENT_DAYS: v.optional(positiveInt, '60'),
  ANALYTICS_VIDEO_OLD_MINUTES: v.optional(positiveInt, '10080'),
  /** Points older than this are kept one per day (the day's last). */
  ANALYTICS_DOWNSAMPLE_AFTER_DAYS: v.optional(positiveInt, '30'),
  /** History older than this expires (DynamoDB TTL); also how long a connection needing re-auth keeps it. */
  ANALYTICS_RETENTION_DAYS: v.optional(positiveInt, '400'),
  /** A video whose 24 h view velocity is this many times the creator's median is a breakout. */
  ANALYTICS_BREAKOUT_FACTOR: v.optional(
    v.pipe(v.string(), v.transform(Number), v.number(), v.minValue(1)),
    '3',
  ),
  ANALYTICS_CONCURRENCY: v.optional(positiveInt, '4'),

  /** Content posting (docs/publishing.md): the private bucket the browser uploads videos to. */
  UPLOAD_BUCKET_NAME: v.optional(v.pipe(v.string(), v.minLength(3))),
  /** Local only: an S3-compatible server (the local stack starts one). */
  S3_ENDPOINT: v.optional(httpUrl),
  /** Whether TikTok has audited this app for Direct Post; unaudited apps may only post SELF_ONLY to private accounts. */
  TIKTOK_POSTING_AUDITED: v.optional(v.picklist(['true', 'false']), 'false'),
  /** A post still not final this long after its upload finished ends as failed (`status_timeout`). */
  POST_STATUS_TIMEOUT_MINUTES: v.optional(positiveInt, '60'),
  /** Posts one publisher run works on at once. */
  PUBLISH_CONCURRENCY: v.optional(positiveInt, '4'),
  /** Posts one publisher run starts (creator_info, init: a few small calls each) at once; uploads stay within the above. */
  PUBLISH_START_CONCURRENCY: v.optional(positiveInt, '16'),
  /**
   * A publisher run also takes posts due within this long, each at its own instant: the schedule's period (the stack
   * sets it); 0 locally, where the stand-in schedule runs every few seconds.
   */
  PUBLISH_LOOKAHEAD_SECONDS: v.optional(nonNegativeInt, '0'),
  /** How long a presigned upload URL stays valid. */
  UPLOAD_URL_SECONDS: v.optional(positiveInt, '3600'),
});

export type Config = {
  /** The deployment this runs in (`local` outside AWS); every metric carries it. */
  stackName: string;
  tableName: string;
  dynamodbEndpoint: string | undefined;
  region: string;
  tiktok: {
    clientKey: string;
    clientSecret: { fromEnv: string } | { secretArn: string; cacheSeconds: number };
    redirectUri: string;
    scopes: string[];
    pkceEncoding: 'hex' | 'base64url';
    authorizeUrl: string;
    apiBaseUrl: string;
    httpTimeoutMs: number;
    /** Requests per minute per Display API endpoint, for the whole app. */
    rateLimitPerMinute: number;
    /** Requests per minute per Display API endpoint one app user may make (a share of the app's budget). */
    userRateLimitPerMinute: number;
    /** The callback's TikTok calls together end within this (CALLBACK_TIKTOK_BUDGET_MS). */
    callbackBudgetMs: number;
  };
  returnUrls: { allowedOrigins: string[]; defaultUrl: string };
  cors: { allowedOrigins: string[]; allowedHeaders: readonly string[] };
  display: { cacheSeconds: number };
  /** Per client IP and route, on the public and connect-flow routes (local server; WAF in AWS). */
  publicRouteRateLimitPerMinute: number;
  tokenKey: { kmsKeyId: string } | { keyFile: string };
  /** Cookies get `Secure` and the `__Host-` prefix when the service is reached over https. */
  secureCookies: boolean;
  events: { busName: string | undefined; publishRefreshed: boolean };
  refresh: {
    aheadMs: number;
    concurrency: number;
    leaseMs: number;
    maxInline: number;
    batchSize: number;
    queueUrl: string | undefined;
    expiryWarningMs: number;
  };
  log: { format: 'json' | 'pretty' };
  analytics: AnalyticsSettings;
  publishing: {
    uploadBucket: string | undefined;
    s3Endpoint: string | undefined;
    audited: boolean;
    statusTimeoutMs: number;
    concurrency: number;
    startConcurrency: number;
    uploadUrlSeconds: number;
    lookaheadMs: number;
  };
};

export type AnalyticsSettings = {
  budgetShare: number;
  passMs: number;
  accountYoungMs: number;
  accountYoungForMs: number;
  accountMs: number;
  videoNewMs: number;
  videoNewForMs: number;
  videoRecentMs: number;
  videoRecentForMs: number;
  videoOldMs: number;
  downsampleAfterDays: number;
  retentionDays: number;
  breakoutFactor: number;
  concurrency: number;
};

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const defined = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = v.safeParse(EnvSchema, defined);
  if (!result.success) {
    const problems = result.issues.map((issue) => `${v.getDotPath(issue) ?? '?'}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = result.output;
  if (!e.TIKTOK_CLIENT_SECRET && !e.TIKTOK_CLIENT_SECRET_ARN) {
    throw new ConfigError(
      'invalid configuration: set TIKTOK_CLIENT_SECRET_ARN (AWS) or TIKTOK_CLIENT_SECRET (local)',
    );
  }
  const defaultReturnOrigin = new URL(e.DEFAULT_RETURN_URL).origin;
  // The default return URL's own origin is always allowed.
  const allowedReturnOrigins = [...new Set([defaultReturnOrigin, ...e.ALLOWED_RETURN_ORIGINS])];
  return {
    stackName: e.STACK_NAME,
    tableName: e.TABLE_NAME,
    dynamodbEndpoint: e.DYNAMODB_ENDPOINT,
    region: e.AWS_REGION,
    tiktok: {
      clientKey: e.TIKTOK_CLIENT_KEY,
      clientSecret: e.TIKTOK_CLIENT_SECRET_ARN
        ? { secretArn: e.TIKTOK_CLIENT_SECRET_ARN, cacheSeconds: e.SECRET_CACHE_SECONDS }
        : { fromEnv: e.TIKTOK_CLIENT_SECRET as string },
      redirectUri: e.TIKTOK_REDIRECT_URI,
      scopes: e.TIKTOK_SCOPES,
      pkceEncoding: e.TIKTOK_PKCE_ENCODING,
      authorizeUrl: e.TIKTOK_AUTHORIZE_URL,
      apiBaseUrl: e.TIKTOK_API_BASE_URL.replace(/\/+$/, ''),
      httpTimeoutMs: e.TIKTOK_HTTP_TIMEOUT_MS,
      rateLimitPerMinute: e.TIKTOK_RATE_LIMIT_PER_MINUTE,
      userRateLimitPerMinute: Math.max(
        1,
        Math.floor((e.TIKTOK_RATE_LIMIT_PER_MINUTE * e.TIKTOK_USER_RATE_SHARE_PERCENT) / 100),
      ),
      callbackBudgetMs: e.CALLBACK_TIKTOK_BUDGET_MS,
    },
    returnUrls: { allowedOrigins: allowedReturnOrigins, defaultUrl: e.DEFAULT_RETURN_URL },
    cors: {
      allowedOrigins: e.CORS_ALLOWED_ORIGINS ?? allowedReturnOrigins,
      allowedHeaders: e.CORS_ALLOWED_HEADERS ?? DEFAULT_CORS_ALLOW_HEADERS,
    },
    display: { cacheSeconds: e.DISPLAY_CACHE_SECONDS },
    publicRouteRateLimitPerMinute: e.PUBLIC_ROUTE_RATE_LIMIT_PER_MINUTE,
    tokenKey: e.TOKEN_KMS_KEY_ID ? { kmsKeyId: e.TOKEN_KMS_KEY_ID } : { keyFile: e.TOKEN_KEY_FILE },
    secureCookies: e.TIKTOK_REDIRECT_URI.startsWith('https:'),
    events: { busName: e.EVENT_BUS_NAME, publishRefreshed: e.PUBLISH_REFRESHED_EVENTS === 'true' },
    refresh: {
      aheadMs: e.REFRESH_AHEAD_MINUTES * 60_000,
      concurrency: e.REFRESH_CONCURRENCY,
      leaseMs: e.REFRESH_LEASE_SECONDS * 1000,
      maxInline: e.REFRESH_MAX_INLINE,
      batchSize: e.REFRESH_BATCH_SIZE,
      queueUrl: e.REFRESH_QUEUE_URL,
      expiryWarningMs: e.REFRESH_EXPIRY_WARNING_DAYS * 86_400_000,
    },
    log: { format: e.LOG_FORMAT },
    analytics: {
      budgetShare: e.ANALYTICS_BUDGET_SHARE,
      passMs: e.ANALYTICS_PASS_MINUTES * 60_000,
      accountYoungMs: e.ANALYTICS_ACCOUNT_YOUNG_MINUTES * 60_000,
      accountYoungForMs: e.ANALYTICS_ACCOUNT_YOUNG_HOURS * 3_600_000,
      accountMs: e.ANALYTICS_ACCOUNT_MINUTES * 60_000,
      videoNewMs: e.ANALYTICS_VIDEO_NEW_MINUTES * 60_000,
      videoNewForMs: e.ANALYTICS_VIDEO_NEW_DAYS * 86_400_000,
      videoRecentMs: e.ANALYTICS_VIDEO_RECENT_MINUTES * 60_000,
      videoRecentForMs: e.ANALYTICS_VIDEO_RECENT_DAYS * 86_400_000,
      videoOldMs: e.ANALYTICS_VIDEO_OLD_MINUTES * 60_000,
      downsampleAfterDays: e.ANALYTICS_DOWNSAMPLE_AFTER_DAYS,
      retentionDays: e.ANALYTICS_RETENTION_DAYS,
      breakoutFactor: e.ANALYTICS_BREAKOUT_FACTOR,
      concurrency: e.ANALYTICS_CONCURRENCY,
    },
    publishing: {
      uploadBucket: e.UPLOAD_BUCKET_NAME,
      s3Endpoint: e.S3_ENDPOINT,
      audited: e.TIKTOK_POSTING_AUDITED === 'true',
      statusTimeoutMs: e.POST_STATUS_TIMEOUT_MINUTES * 60_000,
      concurrency: e.PUBLISH_CONCURRENCY,
      startConcurrency: e.PUBLISH_START_CONCURRENCY,
      uploadUrlSeconds: e.UPLOAD_URL_SECONDS,
      lookaheadMs: e.PUBLISH_LOOKAHEAD_SECONDS * 1000,
    },
  };
}
