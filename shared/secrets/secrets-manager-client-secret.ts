import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { Redacted } from '../redacted.js';
import type { ClientSecretSource } from './client-secret.js';

const MIN_FORCED_INTERVAL_MS = 30_000;

/**
 * The client secret from Secrets Manager, read once per container and cached for `cacheSeconds`
 * (so a rotation is picked up without a redeploy). Concurrent callers share one read.
 * The secret value is either the plain secret or JSON `{"client_secret": "..."}`.
 */
export class SecretsManagerClientSecret implements ClientSecretSource {
  readonly #client: SecretsManagerClient;
  readonly #secretId: string;
  readonly #cacheMs: number;
  readonly #now: () => number;
  #cached: { value: Redacted; fetchedAt: number } | undefined;
  #inFlight: Promise<Redacted> | undefined;
  #lastForcedAt: number | undefined;

  constructor(options: {
    client: SecretsManagerClient;
    secretId: string;
    cacheSeconds: number;
    now?: () => number;
  }) {
    this.#client = options.client;
    this.#secretId = options.secretId;
    this.#cacheMs = options.cacheSeconds * 1000;
    this.#now = options.now ?? Date.now;
  }

  async get(options: { forceRefresh?: boolean } = {}): Promise<Redacted> {
    const cached = this.#cached;
    const now = this.#now();
    if (cached && !options.forceRefresh && now - cached.fetchedAt < this.#cacheMs) return cached.value;
    if (cached && options.forceRefresh) {
      // At most one forced re-read per interval: a stream of forged webhook signatures (each forcing a re-read)
      // must not become a stream of GetSecretValue calls. The first one is always immediate.
      if (this.#lastForcedAt !== undefined && now - this.#lastForcedAt < MIN_FORCED_INTERVAL_MS)
        return cached.value;
      this.#lastForcedAt = now;
    }
    this.#inFlight ??= this.#fetch().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #fetch(): Promise<Redacted> {
    const result = await this.#client.send(new GetSecretValueCommand({ SecretId: this.#secretId }));
    const value = parseSecret(result.SecretString);
    this.#cached = { value, fetchedAt: this.#now() };
    return value;
  }
}

function parseSecret(raw: string | undefined): Redacted {
  const text = raw?.trim() ?? '';
  let secret = text;
  if (text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as { client_secret?: unknown };
      secret = typeof parsed.client_secret === 'string' ? parsed.client_secret : '';
    } catch {
      secret = '';
    }
  }
  if (!secret || secret.startsWith('SET-ME')) {
    throw new ConfigError(
      'the TikTok client secret is not set in Secrets Manager (see README: "Store the client secret")',
    );
  }
  return new Redacted(secret);
}

/** For the functions that call TikTok's token endpoints or check webhook signatures in AWS. */
export function secretsManagerClientSecret(config: Config): ClientSecretSource | undefined {
  const source = config.tiktok.clientSecret;
  if (!('secretArn' in source)) return undefined;
  return new SecretsManagerClientSecret({
    client: new SecretsManagerClient({ region: config.region }),
    secretId: source.secretArn,
    cacheSeconds: source.cacheSeconds,
  });
}
