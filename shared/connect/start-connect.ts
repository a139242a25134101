import type { ServiceDeps } from '../deps.js';
import { Redacted } from '../redacted.js';
import { sha256Hex } from '../store/hashing.js';
import { buildAuthorizeUrl } from '../tiktok/authorize-url.js';
import { codeChallengeS256, createCodeVerifier } from '../tiktok/pkce.js';
import { randomToken } from './flow-secrets.js';
import { sealWithTicket } from './launch-ticket.js';
import { resolveReturnTo } from './return-url.js';

export const FLOW_TTL_MS = 10 * 60 * 1000;
export const LAUNCH_TTL_MS = 2 * 60 * 1000;

export type StartConnectInput = {
  appUser: string;
  returnTo: string | undefined;
  forceConsent: boolean;
  /**
   * `redirect`: the browser itself called /start, so the nonce cookie can be set now and the answer is a 302.
   * `json`: a frontend called with fetch and a bearer token; a cookie set on that answer may be a third-party
   * cookie the browser drops, so the browser instead opens a one-time launch URL on our own origin, which sets
   * the cookie in a top-level navigation and then redirects to TikTok.
   */
  mode: 'redirect' | 'json';
};

export type StartConnectResult =
  | { mode: 'redirect'; location: string; browserNonce: Redacted }
  | { mode: 'json'; authorizeUrl: string; expiresInSeconds: number };

export async function startConnect(deps: ServiceDeps, input: StartConnectInput): Promise<StartConnectResult> {
  const { config, now } = deps;
  const returnTo = resolveReturnTo(input.returnTo, config.returnUrls);
  const state = randomToken();
  const codeVerifier = createCodeVerifier();
  const createdAt = now();
  const authorizeUrl = buildAuthorizeUrl({
    authorizeEndpoint: config.tiktok.authorizeUrl,
    clientKey: config.tiktok.clientKey,
    scopes: config.tiktok.scopes,
    redirectUri: config.tiktok.redirectUri,
    state,
    codeChallenge: codeChallengeS256(codeVerifier, config.tiktok.pkceEncoding),
    forceConsent: input.forceConsent,
  });
  const flow = {
    stateHash: sha256Hex(state),
    appUser: input.appUser,
    codeVerifier: new Redacted(codeVerifier),
    redirectUri: config.tiktok.redirectUri,
    returnTo,
    requestedScopes: config.tiktok.scopes,
    createdAt,
    expiresAt: createdAt + FLOW_TTL_MS,
  };
  const log = deps.logger.child({ appUser: input.appUser });

  if (input.mode === 'redirect') {
    const browserNonce = randomToken();
    await deps.states.saveFlow({ ...flow, nonceHash: sha256Hex(browserNonce) });
    log.info('connect started', { event: 'connect_started', mode: 'redirect' });
    return { mode: 'redirect', location: authorizeUrl, browserNonce: new Redacted(browserNonce) };
  }

  const ticket = randomToken();
  // A launch link can be opened by someone other than the user who asked for it (a forwarded link, a CSRF):
  // TikTok must then show its consent page rather than approve silently for whoever is signed in there.
  const consentingUrl = new URL(authorizeUrl);
  consentingUrl.searchParams.set('disable_auto_auth', '1');
  await deps.states.saveFlow(
    { ...flow, nonceHash: undefined },
    {
      ticketHash: sha256Hex(ticket),
      sealedAuthorizeUrl: sealWithTicket(ticket, consentingUrl.toString()),
      expiresAt: createdAt + LAUNCH_TTL_MS,
    },
  );
  log.info('connect started', { event: 'connect_started', mode: 'json' });
  const launchUrl = new URL('launch', config.tiktok.redirectUri);
  launchUrl.searchParams.set('ticket', ticket);
  return { mode: 'json', authorizeUrl: launchUrl.toString(), expiresInSeconds: LAUNCH_TTL_MS / 1000 };
}
