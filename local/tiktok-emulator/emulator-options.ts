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
};

export type TunableOptions = Partial<
  Pick<EmulatorOptions, 'accessTokenTtlSeconds' | 'refreshTokenTtlSeconds' | 'latencyMs' | 'pkceEncoding'>
>;

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
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
