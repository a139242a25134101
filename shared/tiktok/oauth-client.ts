import { TikTokError } from '../errors.js';
import { Redacted } from '../redacted.js';
import type { ClientSecretSource } from '../secrets/client-secret.js';
import { oauthErrorFrom } from './oauth-errors.js';
import { parseScopeList } from './scopes.js';
import { type FetchLike, isRecord, sendTikTokRequest, type TikTokHttpResponse } from './tiktok-http.js';

export type TikTokTokenSet = {
  openId: string;
  accessToken: Redacted;
  refreshToken: Redacted;
  /** Epoch milliseconds, computed from `expires_in` / `refresh_expires_in` when TikTok answered. */
  accessExpiresAt: number;
  refreshExpiresAt: number;
  scopes: string[];
  logId: string | undefined;
};

export type TikTokOAuthClientOptions = {
  clientKey: string;
  clientSecret: ClientSecretSource;
  apiBaseUrl: string;
  timeoutMs: number;
  now?: () => number;
  fetch?: FetchLike;
};

/**
 * TikTok's token endpoints (tiktok-api.md §3–§5): form-encoded bodies with `client_key`, trailing slashes kept,
 * and errors that may arrive inside HTTP 200.
 */
export class TikTokOAuthClient {
  readonly #options: TikTokOAuthClientOptions;
  readonly #now: () => number;

  constructor(options: TikTokOAuthClientOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  exchangeCode(input: {
    code: Redacted;
    redirectUri: string;
    codeVerifier: Redacted;
    /** When the caller must answer (epoch ms): both tries together end by then. */
    deadline?: number | undefined;
  }): Promise<TikTokTokenSet> {
    return this.#tokenRequest(
      {
        grant_type: 'authorization_code',
        code: input.code.reveal(),
        redirect_uri: input.redirectUri,
        code_verifier: input.codeVerifier.reveal(),
      },
      input.deadline,
    );
  }

  refresh(refreshToken: Redacted): Promise<TikTokTokenSet> {
    return this.#tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken.reveal() });
  }

  /** Revokes the user's grant (TikTok takes the access token). Success is an empty body or `{}`. */
  async revoke(
    accessToken: Redacted,
    options: { deadline?: number | undefined } = {},
  ): Promise<{ logId: string | undefined }> {
    const response = await this.#postWithSecretRetry(
      '/v2/oauth/revoke/',
      { token: accessToken.reveal() },
      options.deadline,
    );
    const body = response.body;
    const error = isRecord(body) ? body.error : undefined;
    if (response.status >= 200 && response.status < 300 && (error === undefined || error === '')) {
      return { logId: response.logId };
    }
    throw oauthErrorFrom(response, error, isRecord(body) ? body.error_description : undefined);
  }

  async #tokenRequest(fields: Record<string, string>, deadline?: number): Promise<TikTokTokenSet> {
    const requestedAt = this.#now();
    const response = await this.#postWithSecretRetry('/v2/oauth/token/', fields, deadline);
    return parseTokenResponse(response, requestedAt);
  }

  /** `invalid_client` may mean the secret was rotated under us: re-read it once and try again once. */
  async #postWithSecretRetry(
    path: string,
    fields: Record<string, string>,
    deadline: number | undefined,
  ): Promise<TikTokHttpResponse> {
    const first = await this.#post(path, fields, false, deadline);
    if (!isInvalidClient(first)) return first;
    return this.#post(path, fields, true, deadline);
  }

  async #post(
    path: string,
    fields: Record<string, string>,
    forceSecretRefresh: boolean,
    deadline: number | undefined,
  ): Promise<TikTokHttpResponse> {
    const secret = await this.#options.clientSecret.get({ forceRefresh: forceSecretRefresh });
    const body = new URLSearchParams({
      client_key: this.#options.clientKey,
      client_secret: secret.reveal(),
      ...fields,
    });
    return sendTikTokRequest({
      url: `${this.#options.apiBaseUrl}${path}`,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: body.toString(),
      timeoutMs: this.#options.timeoutMs,
      deadline,
      fetch: this.#options.fetch,
      // Every call here carries the client secret, and a code, verifier or token: never resend it elsewhere.
      redirect: 'error',
    });
  }
}

function isInvalidClient(response: TikTokHttpResponse): boolean {
  return isRecord(response.body) && response.body.error === 'invalid_client';
}

/**
 * A tolerant but strict-enough parser: any `error`, or a missing `access_token`, is a failure whatever the status;
 * numbers sent as strings are accepted; expiries come from the response, never assumed.
 */
export function parseTokenResponse(response: TikTokHttpResponse, requestedAt: number): TikTokTokenSet {
  const body = response.body;
  if (!isRecord(body)) throw oauthErrorFrom(response, undefined, undefined);
  // Some TikTok answers nest the payload under `data` (older shapes); accept both.
  const payload = isRecord(body.data) && body.access_token === undefined ? body.data : body;
  const errorValue = payload.error ?? body.error;
  if ((typeof errorValue === 'string' && errorValue !== '') || typeof payload.access_token !== 'string') {
    throw oauthErrorFrom(response, errorValue, payload.error_description ?? body.error_description);
  }
  const accessToken = payload.access_token;
  const refreshToken = payload.refresh_token;
  const openId = payload.open_id;
  const expiresIn = positiveNumber(payload.expires_in);
  const refreshExpiresIn = positiveNumber(payload.refresh_expires_in);
  const missing = [
    accessToken === '' && 'access_token',
    (typeof refreshToken !== 'string' || refreshToken === '') && 'refresh_token',
    (typeof openId !== 'string' || openId === '') && 'open_id',
    expiresIn === undefined && 'expires_in',
    refreshExpiresIn === undefined && 'refresh_expires_in',
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new TikTokError('tiktok_bad_response', `TikTok's token answer lacks ${missing.join(', ')}`, {
      logId: response.logId,
      httpStatus: response.status,
      retryable: false,
    });
  }
  return {
    openId: openId as string,
    accessToken: new Redacted(accessToken),
    refreshToken: new Redacted(refreshToken as string),
    accessExpiresAt: requestedAt + (expiresIn as number) * 1000,
    refreshExpiresAt: requestedAt + (refreshExpiresIn as number) * 1000,
    scopes: parseScopeList(typeof payload.scope === 'string' ? payload.scope : undefined),
    logId: response.logId,
  };
}

function positiveNumber(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}
