import middy from '@middy/core';
import { completeConnect } from '../connect/complete-connect.js';
import { confirmConnect } from '../connect/confirm-connect.js';
import { launchConnect } from '../connect/launch-connect.js';
import { returnUrlWithOutcome } from '../connect/return-url.js';
import { FLOW_TTL_MS, startConnect } from '../connect/start-connect.js';
import type { ServiceDeps } from '../deps.js';
import { ConnectFlowError } from '../errors.js';
import {
  acceptsJson,
  type HttpEvent,
  readCookie,
  readHeader,
  readQuery,
  requireAppUser,
} from './api-event.js';
import { clearedNonceCookie, nonceCookie, nonceCookieName } from './cookies.js';
import { errorResponses } from './error-responses.js';
import { parseRequestPart, readJsonBody } from './request-input.js';
import { ConfirmBodySchema } from './request-schemas.js';
import { type HttpResult, json, redirect } from './responses.js';

/** GET /auth/tiktok/start — behind the JWT authorizer. */
export function buildStartHandler(deps: ServiceDeps) {
  return middy<HttpEvent, HttpResult>()
    .use(errorResponses(deps.logger))
    .handler(async (event) => {
      const appUser = requireAppUser(event);
      const query = readQuery(event, ['returnTo', 'force']);
      const result = await startConnect(deps, {
        appUser,
        returnTo: query.returnTo,
        forceConsent: query.force === '1' || query.force === 'true',
        mode: acceptsJson(event) ? 'json' : 'redirect',
      });
      if (result.mode === 'json') {
        return json(200, { authorizeUrl: result.authorizeUrl, expiresIn: result.expiresInSeconds });
      }
      return redirect(result.location, [flowCookie(deps, result.browserNonce.reveal())]);
    });
}

/** GET /auth/tiktok/launch — no authorizer: a browser navigation carrying a one-time ticket. */
export function buildLaunchHandler(deps: ServiceDeps) {
  return middy<HttpEvent, HttpResult>()
    .use(errorResponses(deps.logger))
    .handler(async (event) => {
      try {
        const { ticket } = readQuery(event, ['ticket']);
        const launch = await launchConnect(deps, { ticket, referer: readHeader(event, 'referer') });
        return redirect(launch.location, [flowCookie(deps, launch.browserNonce.reveal())]);
      } catch (error) {
        if (!(error instanceof ConnectFlowError)) throw error;
        // A person is looking at this: send them back to the app with a reason rather than show JSON.
        deps.logger.warn('connect launch refused', { event: 'connect_failed', reason: error.code, error });
        const location = returnUrlWithOutcome(deps.config.returnUrls.defaultUrl, { reason: error.code });
        return redirect(location);
      }
    });
}

/** GET /auth/tiktok/callback — no authorizer: TikTok sends the browser here. */
export function buildCallbackHandler(deps: ServiceDeps) {
  return middy<HttpEvent, HttpResult>()
    .use(errorResponses(deps.logger))
    .handler(async (event) => {
      const query = readQuery(event, ['code', 'state', 'scopes', 'error', 'error_description']);
      const browserNonce = readCookie(event, nonceCookieName(deps.config.secureCookies));
      const { location } = await completeConnect(deps, { query, browserNonce });
      return redirect(location, [clearedNonceCookie({ secure: deps.config.secureCookies })]);
    });
}

/** The confirm body is one short code; anything larger is not a confirm. */
const MAX_CONFIRM_BODY_BYTES = 1024;

/**
 * POST /auth/tiktok/confirm — behind the JWT authorizer: the signed-in user's frontend, back from TikTok with
 * `tiktok=pending&confirmation=<code>`, turns the consented result into its connection.
 */
export function buildConfirmHandler(deps: ServiceDeps) {
  return middy<HttpEvent, HttpResult>()
    .use(errorResponses(deps.logger))
    .handler(async (event) => {
      const appUser = requireAppUser(event);
      const { confirmation } = parseRequestPart(
        ConfirmBodySchema,
        readJsonBody(event, { maxBytes: MAX_CONFIRM_BODY_BYTES }),
        'body',
      );
      return json(200, await confirmConnect(deps, { appUser, confirmation }));
    });
}

function flowCookie(deps: ServiceDeps, nonce: string): string {
  return nonceCookie(nonce, { secure: deps.config.secureCookies, maxAgeSeconds: FLOW_TTL_MS / 1000 });
}
