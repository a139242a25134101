import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Scope } from './scopes.js';

/** TikTok authorization codes are short-lived; 5 minutes here. */
export const AUTHORIZATION_CODE_TTL_MS = 5 * 60_000;

export type AuthorizationCode = {
  openId: string;
  scopes: Scope[];
  redirectUri: string;
  codeChallenge: string;
  codeChallengeMethod: 'S256';
  expiresAt: number;
};

/** One access token and the refresh token issued with it; rotation replaces both. */
export type Grant = {
  openId: string;
  scopes: Scope[];
  accessToken: string;
  accessExpiresAt: number;
  refreshToken: string;
  refreshExpiresAt: number;
};

export type Lifetimes = { accessTokenTtlSeconds: number; refreshTokenTtlSeconds: number };

export type CodeRedemption =
  | { outcome: 'redeemed'; code: AuthorizationCode }
  | { outcome: 'unknown' | 'used' | 'expired' };

export type RefreshOutcome =
  | { outcome: 'rotated'; grant: Grant }
  | { outcome: 'invalid' }
  | { outcome: 'expired' };

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** What survives a restart of the emulator: the live grants (codes live 5 minutes and are not kept). */
type PersistedState = { version: 1; issued: number; grants: Grant[] };

export class TokenStore {
  /** Where the grants are kept between runs (the local stack: `.data/tiktok-emulator.json`); undefined = memory. */
  readonly #stateFile: string | undefined;
  #saveTimer: NodeJS.Timeout | undefined;
  readonly #codes = new Map<string, AuthorizationCode>();
  readonly #usedCodes = new Set<string>();
  readonly #byAccessToken = new Map<string, Grant>();
  readonly #byRefreshToken = new Map<string, Grant>();
  #issued = 0;
  /** Every code, token and verifier that passed through, for tests that prove none of them reached a log. */
  readonly #secretsSeen = new Set<string>();

  constructor(options: { stateFile?: string | undefined } = {}) {
    this.#stateFile = options.stateFile;
    if (this.#stateFile) this.#load(this.#stateFile);
  }

  /** Writes pending changes now (close() calls it, so a restart right after a refresh keeps the new tokens). */
  flush(): void {
    if (this.#saveTimer) clearTimeout(this.#saveTimer);
    this.#saveTimer = undefined;
    if (!this.#stateFile) return;
    const state: PersistedState = {
      version: 1,
      issued: this.#issued,
      grants: [...this.#byAccessToken.values()],
    };
    mkdirSync(dirname(this.#stateFile), { recursive: true });
    // Write then rename: a crash mid-write leaves the previous file, never half of one.
    const temporary = `${this.#stateFile}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(state), { mode: 0o600 });
    renameSync(temporary, this.#stateFile);
  }

  #changed(): void {
    // Coalesce bursts (a refresh pass rotates many grants) into one write.
    if (!this.#stateFile || this.#saveTimer) return;
    this.#saveTimer = setTimeout(() => this.flush(), 20);
    this.#saveTimer.unref();
  }

  #load(stateFile: string): void {
    let text: string;
    try {
      text = readFileSync(stateFile, 'utf8');
    } catch {
      return; // first run
    }
    const state = JSON.parse(text) as PersistedState;
    if (state.version !== 1 || !Array.isArray(state.grants)) {
      throw new Error(`${stateFile} is not a TikTok emulator state file; delete it to start afresh`);
    }
    this.#issued = state.issued;
    for (const grant of state.grants) {
      this.#byAccessToken.set(grant.accessToken, grant);
      this.#byRefreshToken.set(grant.refreshToken, grant);
      this.remember(grant.accessToken);
      this.remember(grant.refreshToken);
    }
  }

  remember(value: string | null | undefined): void {
    if (value) this.#secretsSeen.add(value);
  }

  secretsSeen(): string[] {
    return [...this.#secretsSeen];
  }

  issueCode(code: Omit<AuthorizationCode, 'expiresAt'>): string {
    // Real codes carry '*' and '!', so a client that decodes the callback twice (or not at all) breaks here too.
    const value = `${randomAlphanumeric(48)}*${randomInt(10)}!${randomInt(1000, 10_000)}`;
    this.#codes.set(value, {
      ...code,
      scopes: [...code.scopes],
      expiresAt: Date.now() + AUTHORIZATION_CODE_TTL_MS,
    });
    this.remember(value);
    return value;
  }

  /** Single use: the code is gone after the first redemption attempt, whatever its outcome. */
  redeemCode(value: string): CodeRedemption {
    const code = this.#codes.get(value);
    if (code === undefined) return { outcome: this.#usedCodes.has(value) ? 'used' : 'unknown' };
    this.#codes.delete(value);
    this.#usedCodes.add(value);
    if (code.expiresAt <= Date.now()) return { outcome: 'expired' };
    return { outcome: 'redeemed', code };
  }

  issueGrant(openId: string, scopes: Scope[], lifetimes: Lifetimes): Grant {
    const now = Date.now();
    const grant: Grant = {
      openId,
      scopes: [...scopes],
      accessToken: this.#token('act.'),
      accessExpiresAt: now + lifetimes.accessTokenTtlSeconds * 1000,
      refreshToken: this.#token('rft.'),
      refreshExpiresAt: now + lifetimes.refreshTokenTtlSeconds * 1000,
    };
    this.#byAccessToken.set(grant.accessToken, grant);
    this.#byRefreshToken.set(grant.refreshToken, grant);
    this.#changed();
    return grant;
  }

  findByAccessToken(accessToken: string): Grant | undefined {
    const grant = this.#byAccessToken.get(accessToken);
    return grant !== undefined && grant.accessExpiresAt > Date.now() ? grant : undefined;
  }

  /** Newer TikTok docs: refresh tokens always rotate and the previous pair stops working at once. */
  rotate(refreshToken: string, lifetimes: Lifetimes): RefreshOutcome {
    const grant = this.#byRefreshToken.get(refreshToken);
    if (grant === undefined) return { outcome: 'invalid' };
    if (grant.refreshExpiresAt <= Date.now()) return { outcome: 'expired' };
    this.#forget(grant);
    return { outcome: 'rotated', grant: this.issueGrant(grant.openId, grant.scopes, lifetimes) };
  }

  /** As when the user removes the app: every token of that user stops working. */
  revokeUser(openId: string): void {
    for (const grant of this.#byAccessToken.values()) {
      if (grant.openId === openId) this.#forget(grant);
    }
  }

  /** client_credentials tokens (§6) are valid for nothing in the Display API, so they are not stored. */
  issueClientToken(): string {
    return this.#token('clt.');
  }

  #forget(grant: Grant): void {
    this.#byAccessToken.delete(grant.accessToken);
    this.#byRefreshToken.delete(grant.refreshToken);
    this.#changed();
  }

  #token(prefix: string): string {
    this.#issued += 1;
    // Every other token carries '!' like real ones ("act.…!2403"), to catch clients that mangle it in form bodies.
    const suffix = this.#issued % 2 === 1 ? `!${randomInt(1000, 10_000)}` : '';
    const token = `${prefix}${randomAlphanumeric(60)}${suffix}`;
    this.remember(token);
    return token;
  }
}

function randomAlphanumeric(length: number): string {
  const bytes = randomBytes(length);
  let value = '';
  for (const byte of bytes) value += ALPHANUMERIC[byte % ALPHANUMERIC.length];
  return value;
}
