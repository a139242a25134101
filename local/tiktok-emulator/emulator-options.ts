export type PkceEncoding = 'hex' | 'base64url';

export type EmulatorOptions = {
  /** 0 = a random free port (default). */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  clientKey: string;
  clientSecret: string;
  /** Registered redirect URIs; undefined = accept any http(s) URI. */
  redirectUris?: string[];
  /** What the token endpoint checks code_challenge against; default 'hex' (TikTok's documented way). */
  pkceEncoding?: PkceEncoding;
  /** Default 86400 (older docs); newer docs say 2 h, so clients must read expires_in. */
  accessTokenTtlSeconds?: number;
  /** Default 31536000 (older docs); newer docs say 180 days. */
  refreshTokenTtlSeconds?: number;
  /** Added delay on every API call (token/revoke/user/video), default 0. */
  latencyMs?: number;
  /** Keep the issued grants in this file so they survive a restart (the local stack's `.data/`); default: memory. */
  stateFile?: string;
  /** GET authorize redirects at once with a code, as if this user approved every requested scope. */
  autoConsent?: { userId: string };
  /** Local: counters that evolve over time and new videos appearing (seeded, deterministic); default off. */
  liveStats?: import('./live-stats.js').LiveStatsOptions;
} & PostingOptions;

/** The Content Posting API's app-level facts (docs/publishing.md). */
export type PostingOptions = {
  /** Whether TikTok audited the app for Direct Post; unaudited: SELF_ONLY, private accounts, 5 users a day. Default true. */
  audited?: boolean;
  /** Distinct users that may post through the app in 24 h (reached_active_user_cap); default 5 unaudited, 10,000 audited. */
  activeUserCap?: number;
  /** Posts per user in 24 h (spam_risk_too_many_posts); default 15. */
  dailyPostCap?: number;
  /** How long TikTok "processes" an upload before its outcome; default 300 ms. */
  processingMs?: number;
  /** Where post.publish.* webhooks go, signed with the client secret; unset = none sent. */
  webhookUrl?: string;
  /** Test override of TikTok's chunk sizes (decimal MB in production: 5 MB, 64 MB, 128 MB). */
  chunkRules?: { minChunkBytes: number; maxChunkBytes: number; maxFinalChunkBytes: number };
  /** Lifetime of an upload URL; default 3600 (one hour). */
  uploadUrlTtlSeconds?: number;
};

export type TunableOptions = Partial<
  Pick<EmulatorOptions, 'accessTokenTtlSeconds' | 'refreshTokenTtlSeconds' | 'latencyMs' | 'pkceEncoding'>
> &
  PostingOptions;

/** The options after defaults, read by every request (setOptions changes them in place). */
export type EmulatorSettings = {
  clientKey: string;
  clientSecret: string;
  redirectUris: string[] | undefined;
  pkceEncoding: PkceEncoding;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  latencyMs: number;
  autoConsent: { userId: string } | undefined;
  posting: Required<Omit<PostingOptions, 'webhookUrl' | 'activeUserCap'>> &
    Pick<PostingOptions, 'webhookUrl' | 'activeUserCap'>;
};

export function resolveSettings(options: EmulatorOptions): EmulatorSettings {
  if (!options.clientKey || !options.clientSecret) {
    throw new TypeError('TikTok emulator needs a clientKey and a clientSecret');
  }
  const settings: EmulatorSettings = {
    clientKey: options.clientKey,
    clientSecret: options.clientSecret,
    redirectUris: options.redirectUris ? [...options.redirectUris] : undefined,
    pkceEncoding: 'hex',
    accessTokenTtlSeconds: 86_400,
    refreshTokenTtlSeconds: 31_536_000,
    latencyMs: 0,
    autoConsent: options.autoConsent,
    posting: {
      audited: true,
      dailyPostCap: 15,
      processingMs: 300,
      chunkRules: { minChunkBytes: 5_000_000, maxChunkBytes: 64_000_000, maxFinalChunkBytes: 128_000_000 },
      uploadUrlTtlSeconds: 3600,
    },
  };
  applyTunableOptions(settings, options);
  return settings;
}

export function applyTunableOptions(settings: EmulatorSettings, options: TunableOptions): void {
  if (options.pkceEncoding !== undefined) {
    if (options.pkceEncoding !== 'hex' && options.pkceEncoding !== 'base64url') {
      throw new TypeError(`pkceEncoding must be 'hex' or 'base64url', got ${String(options.pkceEncoding)}`);
    }
    settings.pkceEncoding = options.pkceEncoding;
  }
  if (options.accessTokenTtlSeconds !== undefined) {
    settings.accessTokenTtlSeconds = positiveInteger('accessTokenTtlSeconds', options.accessTokenTtlSeconds);
  }
  if (options.refreshTokenTtlSeconds !== undefined) {
    settings.refreshTokenTtlSeconds = positiveInteger(
      'refreshTokenTtlSeconds',
      options.refreshTokenTtlSeconds,
    );
  }
  if (options.latencyMs !== undefined) {
    if (!Number.isFinite(options.latencyMs) || options.latencyMs < 0) {
      throw new RangeError(`latencyMs must be >= 0, got ${options.latencyMs}`);
    }
    settings.latencyMs = options.latencyMs;
  }
  const posting = settings.posting;
  if (options.audited !== undefined) posting.audited = options.audited;
  if (options.activeUserCap !== undefined)
    posting.activeUserCap = positiveInteger('activeUserCap', options.activeUserCap);
  if (options.dailyPostCap !== undefined)
    posting.dailyPostCap = positiveInteger('dailyPostCap', options.dailyPostCap);
  if (options.processingMs !== undefined) posting.processingMs = Math.max(0, options.processingMs);
  if (options.webhookUrl !== undefined) posting.webhookUrl = options.webhookUrl;
  if (options.chunkRules !== undefined) posting.chunkRules = { ...options.chunkRules };
  if (options.uploadUrlTtlSeconds !== undefined)
    posting.uploadUrlTtlSeconds = positiveInteger('uploadUrlTtlSeconds', options.uploadUrlTtlSeconds);
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
