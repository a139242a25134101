import type { ServiceDeps } from '../deps.js';
import { AppError, ConnectFlowError, type ErrorCode, RequestError, TikTokError } from '../errors.js';
import { Redacted } from '../redacted.js';
import { sha256Hex } from '../store/hashing.js';
import type { OAuthFlow } from '../store/oauth-state-store.js';
import type { TikTokTokenSet } from '../tiktok/oauth-client.js';
import { parseScopeList, userFieldsForScopes } from '../tiktok/scopes.js';
import { emitTikTokError } from '../tiktok/tiktok-error-metrics.js';
import { CONNECT_METRIC_DIMENSIONS, emitConnectFailed } from './connect-metrics.js';
import { RANDOM_TOKEN_PATTERN, randomToken } from './flow-secrets.js';
import { releaseUnusedGrant } from './release-grant.js';
import { returnUrlWithOutcome } from './return-url.js';

export type CallbackQuery = {
  code?: string | undefined;
  state?: string | undefined;
  scopes?: string | undefined;
  error?: string | undefined;
  error_description?: string | undefined;
};

const MAX_CODE_LENGTH = 2048;
/** How long a consented result waits for the starting user's confirm; then its grant is revoked. */
export const PENDING_CONNECT_TTL_MS = 10 * 60 * 1000;
const TIKTOK_ERROR_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * The callback: consume the flow once, exchange the code, read the profile the granted scopes allow, then keep
 * the result pending under a one-time confirmation code for the starting user's frontend to confirm. Every failure after the flow is known sends the browser back to its return URL
 * with a reason; failures before that (no or unknown state) are a 400 for the caller to show.
 */
export async function completeConnect(
  deps: ServiceDeps,
  input: { query: CallbackQuery; browserNonce: string | undefined },
): Promise<{ location: string }> {
  try {
    return await consumeFlowAndConnect(deps, input);
  } catch (error) {
    // Failures before the flow is known (no, unknown or used state; the store down) become an error answer.
    emitConnectFailed(deps, reasonOf(error));
    throw error;
  }
}

async function consumeFlowAndConnect(
  deps: ServiceDeps,
  input: { query: CallbackQuery; browserNonce: string | undefined },
): Promise<{ location: string }> {
  const { query } = input;
  if (!query.state) {
    throw new RequestError(
      'state_missing',
      query.error
        ? `TikTok returned ${safeReason(query.error)} without a state`
        : 'The callback has no state',
    );
  }
  if (!RANDOM_TOKEN_PATTERN.test(query.state))
    throw new RequestError('state_invalid', 'Unknown or already used state');
  const nonce =
    input.browserNonce && RANDOM_TOKEN_PATTERN.test(input.browserNonce) ? input.browserNonce : undefined;

  let flow: OAuthFlow;
  try {
    flow = await deps.states.consumeFlow(
      sha256Hex(query.state),
      nonce ? sha256Hex(nonce) : undefined,
      deps.now(),
    );
  } catch (error) {
    if (error instanceof ConnectFlowError && error.returnTo) return failed(deps, error.returnTo, error, {});
    throw error;
  }
  const log = { appUser: flow.appUser };

  if (query.error) {
    const reason = safeReason(query.error);
    const code = reason === 'access_denied' ? 'access_denied' : 'authorization_failed';
    return failed(deps, flow.returnTo, new ConnectFlowError(code, `TikTok: ${reason}`), {
      ...log,
      tiktokError: reason,
    });
  }
  if (!query.code || query.code.length > MAX_CODE_LENGTH) {
    return failed(
      deps,
      flow.returnTo,
      new ConnectFlowError('code_missing', 'The callback has no usable code'),
      log,
    );
  }

  let tokens: TikTokTokenSet;
  try {
    tokens = await deps.tiktokOAuth.exchangeCode({
      code: new Redacted(query.code),
      redirectUri: flow.redirectUri,
      codeVerifier: flow.codeVerifier,
    });
  } catch (error) {
    return failed(deps, flow.returnTo, error, log);
  }
  const connectLog = { ...log, openId: tokens.openId, tiktokLogId: tokens.logId };

  // The token answer's `scope` is authoritative; the callback's `scopes` only fills in if TikTok left it out.
  const granted = tokens.scopes.length > 0 ? tokens.scopes : parseScopeList(query.scopes);
  try {
    if (!granted.includes('user.info.basic')) {
      throw new ConnectFlowError(
        'scope_missing',
        'user.info.basic was not granted: the account cannot be identified',
      );
    }
    const { profile } = await deps.tiktokUserInfo(tokens.accessToken, userFieldsForScopes(granted));
    if (profile.openId !== tokens.openId) {
      throw new TikTokError('tiktok_bad_response', 'TikTok user info names another open_id than the token', {
        retryable: false,
      });
    }
    // Not a connection yet: the browser that comes back here may not belong to the user who started (a launch
    // link opened by someone else). The starting user's own frontend must confirm (confirm-connect.ts).
    const confirmation = randomToken();
    const createdAt = deps.now();
    await deps.pendingConnects.save({
      codeHash: sha256Hex(confirmation),
      appUser: flow.appUser,
      openId: tokens.openId,
      grant: { ...tokens, scopes: granted },
      profile: {
        displayName: profile.displayName,
        avatarUrl: profile.avatarUrl,
        username: profile.username,
        unionId: profile.unionId,
      },
      createdAt,
      expiresAt: createdAt + PENDING_CONNECT_TTL_MS,
    });
    const missing = flow.requestedScopes.filter((scope) => !granted.includes(scope));
    deps.logger.info('connect consented, waiting for confirmation', {
      event: 'connect_pending',
      ...connectLog,
      grantedScopes: granted,
      scopesNotGranted: missing,
    });
    return { location: returnUrlWithOutcome(flow.returnTo, { confirmation }) };
  } catch (error) {
    // Nothing was stored: give the grant back (unless a stored connection still uses it).
    await releaseUnusedGrant(deps, tokens, deps.logger.child(connectLog));
    return failed(deps, flow.returnTo, error, connectLog);
  }
}

function failed(deps: ServiceDeps, returnTo: string, error: unknown, fields: Record<string, unknown>) {
  const reason = reasonOf(error);
  const level =
    error instanceof AppError && error.status < 500 && !(error instanceof TikTokError) ? 'warn' : 'error';
  deps.logger[level]('connect failed', { event: 'connect_failed', reason, ...fields, error });
  emitConnectFailed(deps, reason);
  emitTikTokError(deps, CONNECT_METRIC_DIMENSIONS, error);
  return { location: returnUrlWithOutcome(returnTo, { reason }) };
}

function reasonOf(error: unknown): ErrorCode {
  return error instanceof AppError ? error.code : 'internal';
}

function safeReason(value: string): string {
  return TIKTOK_ERROR_PATTERN.test(value) ? value : 'authorization_failed';
}
