import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TikTokError } from '../../../shared/errors.js';
import { Redacted } from '../../../shared/redacted.js';
import { StaticClientSecret } from '../../../shared/secrets/static-client-secret.js';
import { TikTokOAuthClient } from '../../../shared/tiktok/oauth-client.js';

/**
 * TikTok's token and revoke endpoints get the client secret with a code, verifier or token in the body. A 307 or
 * 308 would make a following client resend that body to wherever the redirect points (issue 8, finding 4): two
 * loopback servers, one answering every call with a redirect to the other, which records what reaches it.
 */
const SECRET = 'redirect-test-client-secret-0123456789';
let redirecting: Server;
let elsewhere: Server;
const reachedElsewhere: { url: string; body: string }[] = [];
let apiBaseUrl: string;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const readBody = (request: IncomingMessage) =>
  new Promise<string>((done) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => done(body));
  });

let redirectStatus = 307;

beforeAll(async () => {
  elsewhere = createServer(async (request, response) => {
    reachedElsewhere.push({ url: request.url ?? '', body: await readBody(request) });
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{}');
  });
  const elsewhereUrl = await listen(elsewhere);
  redirecting = createServer((request, response) => {
    response.writeHead(redirectStatus, { location: `${elsewhereUrl}${request.url}` });
    response.end();
  });
  apiBaseUrl = await listen(redirecting);
});
afterAll(async () => {
  await new Promise((done) => redirecting.close(done));
  await new Promise((done) => elsewhere.close(done));
});

const client = () =>
  new TikTokOAuthClient({
    clientKey: 'redirect-test-key',
    clientSecret: new StaticClientSecret(SECRET),
    apiBaseUrl,
    timeoutMs: 2000,
  });

describe.each([307, 308])('TikTok OAuth calls answered with %i', (status) => {
  it.each([
    [
      'the code exchange',
      () =>
        client().exchangeCode({
          code: new Redacted('code-abc'),
          redirectUri: 'https://api.example.test/auth/tiktok/callback',
          codeVerifier: new Redacted('verifier-xyz'),
        }),
    ],
    ['a refresh', () => client().refresh(new Redacted('rft.refresh-token'))],
    ['a revoke', () => client().revoke(new Redacted('act.access-token'))],
  ])('do not follow it for %s: nothing reaches the other server', async (_call, call) => {
    redirectStatus = status;
    reachedElsewhere.length = 0;
    const error = await call().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(TikTokError);
    expect((error as TikTokError).code).toBe('tiktok_bad_response');
    expect((error as TikTokError).retryable).toBe(false);
    expect(reachedElsewhere).toEqual([]);
  });
});
