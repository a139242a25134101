import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { expect } from 'vitest';
import { httpApiEvent, lambdaContext } from './api-events.js';
import { handlerOf } from './function-handlers.js';
import { expectContract } from './openapi-contract.js';
import type { TestService } from './service.js';

export type HttpAnswer = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
};

/**
 * Drives the four connect handlers with real API Gateway v2 events, as a browser, TikTok and a frontend would; each runs as
 * its function of the stack, under the policy check.
 */
export function connectDriver(service: TestService) {
  const startHandler = handlerOf(service, 'StartConnectFunction');
  const launchHandler = handlerOf(service, 'LaunchConnectFunction');
  const callbackHandler = handlerOf(service, 'CallbackFunction');
  const confirmHandler = handlerOf(service, 'ConfirmConnectFunction');

  const driver = {
    async start(input: { sub?: string; query?: string; accept?: string } = {}): Promise<HttpAnswer> {
      const event = httpApiEvent({
        path: '/auth/tiktok/start',
        query: input.query,
        sub: input.sub ?? 'alice',
        headers: { accept: input.accept ?? 'text/html' },
      });
      return (await (
        await startHandler
      )(event, lambdaContext)) as HttpAnswer;
    },

    /** A top-level navigation from the app's page (so with its Referer), unless told otherwise. */
    async launch(
      query: string,
      cookies: string[] = [],
      referer: string | null = 'https://app.example.test/settings/tiktok',
    ): Promise<HttpAnswer> {
      const headers: Record<string, string> = referer === null ? {} : { referer };
      const event = httpApiEvent({ path: '/auth/tiktok/launch', query, cookies, headers });
      return (await (
        await launchHandler
      )(event, lambdaContext)) as HttpAnswer;
    },

    async callback(query: string, cookies: string[] = []): Promise<HttpAnswer> {
      const event = httpApiEvent({ path: '/auth/tiktok/callback', query, cookies });
      return (await (
        await callbackHandler
      )(event, lambdaContext)) as HttpAnswer;
    },

    /**
     * The frontend's POST /auth/tiktok/confirm as `sub` (after the JWT authorizer), checked against openapi.json.
     * `body` replaces the JSON body (for malformed ones).
     */
    async confirm(
      confirmation: string,
      sub: string,
      body: string = JSON.stringify({ confirmation }),
    ): Promise<HttpAnswer & { json: Record<string, unknown> }> {
      const event = httpApiEvent({
        method: 'POST',
        path: '/auth/tiktok/confirm',
        sub,
        body,
        headers: { 'content-type': 'application/json' },
      });
      const answer = (await (await confirmHandler)(event, lambdaContext)) as HttpAnswer;
      expectContract('POST', '/auth/tiktok/confirm', answer);
      return { ...answer, json: answer.body ? JSON.parse(answer.body) : {} };
    },

    /** A callback answer that must be `tiktok=pending`, confirmed by `sub`: the connected open_id. */
    async confirmCallback(answer: HttpAnswer, sub: string): Promise<string> {
      const confirmation = pendingConfirmation(answer);
      const confirmed = await driver.confirm(confirmation, sub);
      expect(confirmed.statusCode, confirmed.body).toBe(200);
      expect(confirmed.json.status).toBe('connected');
      return confirmed.json.openId as string;
    },

    /** What TikTok's consent page does when the user approves: a code for this authorize URL. */
    consent(authorizeUrl: string, options: { userIndex?: number; scopes?: string[] } = {}) {
      const url = new URL(authorizeUrl);
      const user = service.emulator.users[options.userIndex ?? 0];
      if (!user) throw new Error('no such emulator user');
      const scopes = options.scopes ?? (url.searchParams.get('scope') ?? '').split(',');
      const code = service.emulator.issueCode({
        userId: user.openId,
        scopes,
        redirectUri: url.searchParams.get('redirect_uri') ?? '',
        codeChallenge: url.searchParams.get('code_challenge') ?? '',
        codeChallengeMethod: 'S256',
      });
      const state = url.searchParams.get('state') ?? '';
      const query = new URLSearchParams({ code, scopes: scopes.join(','), state }).toString();
      return { code, state, user, query };
    },

    /** Start in redirect mode and return the TikTok URL and the browser's cookie. */
    async begin(input: { sub?: string; query?: string } = {}) {
      const answer = await driver.start(input);
      expect(answer.statusCode).toBe(302);
      return { authorizeUrl: answer.headers.location as string, cookies: browserCookies(answer) };
    },
  };
  return driver;
}

/** The `name=value` pairs a browser would send back, from an answer's Set-Cookie list. */
export function browserCookies(answer: HttpAnswer): string[] {
  return (answer.cookies ?? [])
    .map((cookie) => cookie.split(';')[0] ?? '')
    .filter((pair) => !pair.endsWith('='));
}

export function outcomeOf(answer: HttpAnswer): { tiktok: string | null; reason: string | null; url: URL } {
  expect(answer.statusCode).toBe(302);
  const url = new URL(answer.headers.location as string);
  return { tiktok: url.searchParams.get('tiktok'), reason: url.searchParams.get('reason'), url };
}

/** The confirmation code of a callback that kept its result pending (`tiktok=pending&confirmation=…`). */
export function pendingConfirmation(answer: HttpAnswer): string {
  const outcome = outcomeOf(answer);
  expect(outcome.tiktok, outcome.url.toString()).toBe('pending');
  const confirmation = outcome.url.searchParams.get('confirmation') ?? '';
  expect(confirmation).toMatch(/^[A-Za-z0-9_-]{43}$/);
  return confirmation;
}

/** Connects one emulator account for an app user through the real handlers (callback, confirm); its open_id. */
export async function connectAccount(service: TestService, appUser: string, userIndex = 0): Promise<string> {
  const driver = connectDriver(service);
  const { authorizeUrl, cookies } = await driver.begin({ sub: appUser });
  const consent = driver.consent(authorizeUrl, { userIndex });
  const answer = await driver.callback(consent.query, cookies);
  expect(await driver.confirmCallback(answer, appUser)).toBe(consent.user.openId);
  return consent.user.openId;
}
