/**
 * What an operator chooses about a deployment (TikTok app, domain, who may call the API), checked once and
 * completed with defaults. The stack takes these as props; `app.ts` fills them from CDK context.
 */
import { DEFAULT_SCOPES } from '../shared/config.js';
import { DEFAULT_CORS_ALLOW_HEADERS } from '../shared/http/cors.js';

/** TikTok redirects the browser here after consent; the default redirect URI ends with it. */
export const CALLBACK_PATH = '/auth/tiktok/callback';

/**
 * Stands in for a value that must be set before a real deployment, so `cdk synth` works offline.
 * The Lambdas refuse a client secret that starts with it, too.
 */
export const PLACEHOLDER = 'SET-ME';
const PLACEHOLDER_URL = 'https://set-me.invalid/';

export type PkceEncoding = 'hex' | 'base64url';

/** Each field has the name of the CDK context key that sets it (see `app.ts`). */
export interface ServiceSettings {
  /** TikTok app's `client_key` (public: it is part of the authorize URL). Required for deploy. */
  readonly tiktokClientKey?: string;
  /** Custom domain for the HTTP API; needs `certificateArn` (an ACM certificate in the stack's region). */
  readonly domainName?: string;
  readonly certificateArn?: string;
  /** Default: `https://<domainName>/auth/tiktok/callback`, else the API endpoint + the same path. */
  readonly redirectUri?: string;
  /** Origins the user may be sent back to after connecting; also the CORS origins of the API. */
  readonly allowedReturnOrigins?: readonly string[];
  /** Where the user lands when the start request names no return URL. Required for deploy. */
  readonly defaultReturnUrl?: string;
  /** The identity provider whose access tokens call `/auth/tiktok/start` (`iss` claim). Required for deploy. */
  readonly jwtIssuer?: string;
  /** Accepted `aud` (or `client_id`) claims. Required for deploy. */
  readonly jwtAudience?: readonly string[];
  readonly scopes?: readonly string[];
  /** TikTok's web flow expects a hex SHA-256 code challenge, unlike RFC 7636's base64url. */
  readonly pkceEncoding?: PkceEncoding;
  /** Minutes between scheduled refresh runs. @default 10 */
  readonly refreshScheduleMinutes?: number;
  /** Refresh a connection this many minutes before its access token expires. @default 30 */
  readonly refreshAheadMinutes?: number;
  /** Connections one Lambda refreshes at a time. @default 8 */
  readonly refreshConcurrency?: number;
  /** Connections a scheduled run refreshes itself before it queues the rest for workers. @default 400 */
  readonly refreshMaxInline?: number;
  /** Most refresh workers running at once (SQS allows 2 to 1000). @default 10 */
  readonly refreshWorkerConcurrency?: number;
  /** Also publish `tiktok.connection.refreshed`, one per refresh: every connection, daily. @default false */
  readonly publishRefreshedEvents?: boolean;
  /** Terminal refresh failures (user must reconnect) in one hour above which the alarm fires. @default 10 */
  readonly terminalFailureAlarmThreshold?: number;
  /** Where alarm notifications go (an SNS email subscription). @default no notifications */
  readonly alarmEmail?: string;
  /** Request headers the frontend may send cross-origin. @default authorization, content-type, traceparent, sentry-trace */
  readonly corsAllowHeaders?: readonly string[];

  /** Days the function and access logs are kept: one of CloudWatch Logs' retention values. @default 90 */
  readonly logRetentionDays?: number;
  /** X-Ray active tracing on every function. @default false */
  readonly tracing?: boolean;
  /** Requests per second the whole API stage accepts (API Gateway throttling). @default 50 */
  readonly apiThrottleRateLimit?: number;
  /** Requests the stage accepts in a burst above the rate. @default 100 */
  readonly apiThrottleBurstLimit?: number;
  /** Seconds a profile or video page is served from the table instead of TikTok; 0 = no cache. @default 0 */
  readonly displayCacheSeconds?: number;
  /** App-wide requests per minute per TikTok Display API endpoint (TikTok's default is 600). @default 600 */
  readonly tiktokRateLimitPerMinute?: number;
  /**
   * Concurrency reserved for the refresher, so API traffic and queue workers cannot take its last slot.
   * Reserving needs an account concurrency limit well above 100. @default none reserved
   */
  readonly refresherReservedConcurrency?: number;
  /** An upper bound on the queue workers' concurrency, reserved for them. @default none reserved */
  readonly refreshWorkerReservedConcurrency?: number;
  /** API requests answered 5xx, in percent of all, over five minutes, above which the alarm fires. @default 5 */
  readonly api5xxAlarmPercent?: number;
  /** p99 API latency in milliseconds over five minutes, above which (three in a row) the alarm fires. @default 10000 */
  readonly apiLatencyAlarmMs?: number;
  /** AWS accounts that may put rules (subscriptions) on the connection events bus. @default none */
  readonly eventSubscriberAccounts?: readonly string[];
  /** Route 53 public hosted zone of `domainName`: with it the stack creates the alias record itself. */
  readonly hostedZoneId?: string;
  /** The zone's domain, e.g. example.com; goes with hostedZoneId. */
  readonly hostedZoneName?: string;
}

/** The settings `deploy/<stage>.json` must name for a stack that works once deployed. */
export const REQUIRED_SETTINGS = [
  'tiktokClientKey',
  'defaultReturnUrl',
  'jwtIssuer',
  'jwtAudience',
] as const satisfies readonly (keyof ServiceSettings)[];

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export interface ResolvedSettings {
  readonly tiktokClientKey: string;
  readonly customDomain: { readonly domainName: string; readonly certificateArn: string } | undefined;
  /** `undefined`: derive from the API endpoint, which only exists once the stack has an API. */
  readonly redirectUri: string | undefined;
  readonly allowedReturnOrigins: readonly string[];
  readonly defaultReturnUrl: string;
  readonly jwt: { readonly issuer: string; readonly audience: readonly string[] };
  readonly scopes: readonly string[];
  readonly pkceEncoding: PkceEncoding;
  readonly refresh: {
    readonly scheduleMinutes: number;
    readonly aheadMinutes: number;
    readonly concurrency: number;
    readonly maxInline: number;
    readonly workerConcurrency: number;
    readonly publishRefreshedEvents: boolean;
  };
  readonly corsAllowHeaders: readonly string[];
  readonly alarms: {
    readonly terminalFailureThreshold: number;
    readonly email: string | undefined;
    readonly api5xxPercent: number;
    readonly apiLatencyMs: number;
  };
  readonly logRetentionDays: number;
  readonly tracing: boolean;
  readonly apiThrottle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly displayCacheSeconds: number;
  readonly tiktokRateLimitPerMinute: number;
  readonly reservedConcurrency: {
    readonly refresher: number | undefined;
    readonly refreshWorker: number | undefined;
  };
  readonly eventSubscriberAccounts: readonly string[];
  readonly hostedZone: { readonly zoneId: string; readonly zoneName: string } | undefined;
  /** Settings left at a placeholder: synth works, a deployment would not. */
  readonly missing: readonly (keyof ServiceSettings)[];
}

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

export function resolveSettings(settings: ServiceSettings): ResolvedSettings {
  const missing: (keyof ServiceSettings)[] = [];
  const required = <T>(key: keyof ServiceSettings, value: T | undefined, placeholder: T): T => {
    if (value !== undefined && !(Array.isArray(value) && value.length === 0)) return value;
    missing.push(key);
    return placeholder;
  };

  const tiktokClientKey = nonEmpty(
    'tiktokClientKey',
    required('tiktokClientKey', settings.tiktokClientKey, PLACEHOLDER),
  );
  const defaultReturnUrl = required(
    'defaultReturnUrl',
    settings.defaultReturnUrl,
    `${PLACEHOLDER_URL}connected`,
  );
  httpUrl('defaultReturnUrl', defaultReturnUrl);
  // Kept exactly as given: the authorizer compares it with the token's `iss` character for character.
  const issuer = required('jwtIssuer', settings.jwtIssuer, PLACEHOLDER_URL);
  httpsUrl('jwtIssuer', issuer);
  const audience = required('jwtAudience', settings.jwtAudience, [PLACEHOLDER]).map((a) =>
    nonEmpty('jwtAudience', a),
  );

  const domainName = settings.domainName ? hostname('domainName', settings.domainName) : undefined;
  if (Boolean(domainName) !== Boolean(settings.certificateArn)) {
    throw new SettingsError('domainName and certificateArn go together: set both or neither');
  }
  const customDomain =
    domainName && settings.certificateArn
      ? { domainName, certificateArn: settings.certificateArn }
      : undefined;

  const redirectUri = settings.redirectUri
    ? redirectUrl(settings.redirectUri)
    : customDomain && `https://${customDomain.domainName}${CALLBACK_PATH}`;

  // The default return URL's origin is always allowed (the Lambdas' config does the same).
  const allowedReturnOrigins = [
    ...new Set([
      new URL(defaultReturnUrl).origin,
      ...(settings.allowedReturnOrigins ?? []).map((o) => httpUrl('allowedReturnOrigins', o).origin),
    ]),
  ];

  const scopes = settings.scopes?.length
    ? settings.scopes.map((s) => nonEmpty('scopes', s))
    : DEFAULT_SCOPES.split(',');
  const pkceEncoding = settings.pkceEncoding ?? 'hex';
  if (pkceEncoding !== 'hex' && pkceEncoding !== 'base64url') {
    throw new SettingsError(`pkceEncoding must be hex or base64url, got ${String(pkceEncoding)}`);
  }

  const refresh = {
    scheduleMinutes: integer('refreshScheduleMinutes', settings.refreshScheduleMinutes, 10, {
      min: 1,
      max: 1440,
    }),
    aheadMinutes: integer('refreshAheadMinutes', settings.refreshAheadMinutes, 30, { min: 1, max: 1440 }),
    concurrency: integer('refreshConcurrency', settings.refreshConcurrency, 8, { min: 1, max: 64 }),
    maxInline: integer('refreshMaxInline', settings.refreshMaxInline, 400, { min: 1 }),
    // SQS event sources take a maximum concurrency of 2 to 1000.
    workerConcurrency: integer('refreshWorkerConcurrency', settings.refreshWorkerConcurrency, 10, {
      min: 2,
      max: 1000,
    }),
    publishRefreshedEvents: settings.publishRefreshedEvents ?? false,
  };
  if (refresh.aheadMinutes <= refresh.scheduleMinutes) {
    throw new SettingsError(
      `refreshAheadMinutes (${refresh.aheadMinutes}) must exceed refreshScheduleMinutes ` +
        `(${refresh.scheduleMinutes}), or a token can expire between two runs`,
    );
  }
  const alarms = {
    terminalFailureThreshold: integer(
      'terminalFailureAlarmThreshold',
      settings.terminalFailureAlarmThreshold,
      10,
      { min: 0 },
    ),
    email: settings.alarmEmail === undefined ? undefined : emailAddress('alarmEmail', settings.alarmEmail),
    api5xxPercent: integer('api5xxAlarmPercent', settings.api5xxAlarmPercent, 5, { min: 1, max: 100 }),
    apiLatencyMs: integer('apiLatencyAlarmMs', settings.apiLatencyAlarmMs, 10_000, { min: 1, max: 30_000 }),
  };

  const logRetentionDays = settings.logRetentionDays ?? 90;
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
    throw new SettingsError(
      `logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')}, got ${JSON.stringify(logRetentionDays)}`,
    );
  }
  const apiThrottle = {
    rateLimit: integer('apiThrottleRateLimit', settings.apiThrottleRateLimit, 50, { min: 1, max: 10_000 }),
    burstLimit: integer('apiThrottleBurstLimit', settings.apiThrottleBurstLimit, 100, { min: 1, max: 5000 }),
  };
  const reservedConcurrency = {
    refresher: optionalInteger('refresherReservedConcurrency', settings.refresherReservedConcurrency, {
      min: 1,
      max: 1000,
    }),
    // Below the SQS event source's maximum concurrency the queue would throttle its own workers.
    refreshWorker: optionalInteger(
      'refreshWorkerReservedConcurrency',
      settings.refreshWorkerReservedConcurrency,
      { min: refresh.workerConcurrency, max: 1000 },
    ),
  };
  const eventSubscriberAccounts = (settings.eventSubscriberAccounts ?? []).map((account) => {
    if (!/^\d{12}$/.test(account)) {
      throw new SettingsError(
        `eventSubscriberAccounts must be 12-digit AWS account ids, got ${JSON.stringify(account)}`,
      );
    }
    return account;
  });
  if (Boolean(settings.hostedZoneId) !== Boolean(settings.hostedZoneName)) {
    throw new SettingsError('hostedZoneId and hostedZoneName go together: set both or neither');
  }
  if (settings.hostedZoneId && !customDomain) {
    throw new SettingsError(
      'hostedZoneId needs domainName and certificateArn: the record points at the domain',
    );
  }
  const hostedZone =
    settings.hostedZoneId && settings.hostedZoneName && customDomain
      ? {
          zoneId: settings.hostedZoneId,
          zoneName: inZone(customDomain.domainName, hostname('hostedZoneName', settings.hostedZoneName)),
        }
      : undefined;

  return {
    tiktokClientKey,
    customDomain,
    redirectUri,
    allowedReturnOrigins,
    defaultReturnUrl,
    jwt: { issuer, audience },
    scopes,
    pkceEncoding,
    refresh,
    alarms,
    corsAllowHeaders: (settings.corsAllowHeaders ?? DEFAULT_CORS_ALLOW_HEADERS).map((name) =>
      headerName('corsAllowHeaders', name),
    ),
    logRetentionDays,
    tracing: settings.tracing ?? false,
    apiThrottle,
    displayCacheSeconds: integer('displayCacheSeconds', settings.displayCacheSeconds, 0, {
      min: 0,
      max: 86_400,
    }),
    tiktokRateLimitPerMinute: integer('tiktokRateLimitPerMinute', settings.tiktokRateLimitPerMinute, 600, {
      min: 1,
    }),
    reservedConcurrency,
    eventSubscriberAccounts,
    hostedZone,
    missing,
  };
}

function optionalInteger(
  key: string,
  value: number | undefined,
  range: { min: number; max?: number },
): number | undefined {
  return value === undefined ? undefined : integer(key, value, range.min, range);
}

/** The zone must hold the domain: a record for connect.example.com cannot live in example.org. */
function inZone(domainName: string, zoneName: string): string {
  if (domainName !== zoneName && !domainName.endsWith(`.${zoneName}`)) {
    throw new SettingsError(`hostedZoneName ${zoneName} does not contain domainName ${domainName}`);
  }
  return zoneName;
}

function integer(
  key: string,
  value: number | undefined,
  fallback: number,
  range: { min: number; max?: number },
): number {
  const resolved = value ?? fallback;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isInteger(resolved) || resolved < range.min || resolved > max) {
    const bounds = range.max === undefined ? `at least ${range.min}` : `from ${range.min} to ${range.max}`;
    throw new SettingsError(`${key} must be a whole number ${bounds}, got ${JSON.stringify(value)}`);
  }
  return resolved;
}

function emailAddress(key: string, value: string): string {
  const address = value.trim();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(address)) {
    throw new SettingsError(`${key} must be an email address, got ${JSON.stringify(value)}`);
  }
  return address;
}

function nonEmpty(key: string, value: string): string {
  const trimmed = value.trim();
  if (!trimmed) throw new SettingsError(`${key} must not be empty`);
  return trimmed;
}

function httpUrl(key: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SettingsError(`${key} must be an absolute URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new SettingsError(`${key} must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  return url;
}

function httpsUrl(key: string, value: string): URL {
  const url = httpUrl(key, value);
  if (url.protocol !== 'https:') {
    throw new SettingsError(`${key} must be an https URL, got ${JSON.stringify(value)}`);
  }
  return url;
}

/**
 * TikTok accepts only static https redirect URIs: no query, no fragment (Login Kit for Web). Kept as given,
 * since the token request must repeat the registered URI exactly.
 */
function redirectUrl(value: string): string {
  const url = httpsUrl('redirectUri', value);
  if (url.search || url.hash) throw new SettingsError('redirectUri must have no query string or fragment');
  return value;
}

function hostname(key: string, value: string): string {
  const name = value.trim().toLowerCase();
  if (!/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(name)) {
    throw new SettingsError(`${key} must be a host name like api.example.com, got ${JSON.stringify(value)}`);
  }
  return name;
}

function headerName(setting: keyof ServiceSettings, value: string): string {
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(value)) {
    throw new SettingsError(`${setting}: ${JSON.stringify(value)} is not a header name`);
  }
  return value.toLowerCase();
}
