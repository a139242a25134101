import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/local-stack.js';
import { ROUTES } from '../../shared/http/route-table.js';
import { dynamodbEndpoint } from '../support/dynamodb.js';
import { cookieBrowser } from '../support/local-connect.js';
import { acceptsConnections, networkAddress } from '../support/raw-http.js';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({
    rootDir: resolve(import.meta.dirname, '../..'),
    dataDir: mkdtempSync(join(tmpdir(), 'tc-local-')),
    env: {
      PORT: '0',
      DYNAMODB_ENDPOINT: dynamodbEndpoint(),
      TABLE_NAME: `local-${randomUUID()}`,
      // Minute-long tokens: due for refresh at once (the refresh-ahead window is 30 minutes).
      TIKTOK_EMULATOR_ACCESS_TTL_SECONDS: '60',
      REFRESH_INTERVAL_SECONDS: '0',
    },
  });
});
afterAll(async () => {
  await stack?.close();
});

function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[match[1] as string] = (match[2] as string).replace(/&amp;/g, '&').replace(/&quot;/g, '"');
  }
  return fields;
}

describe('npm start: the local stack', () => {
  it('runs the whole connect flow over HTTP through the same handlers, the local authorizer and the emulator', async () => {
    const b = cookieBrowser();
    const { token } = await (await b.fetch(`${stack.url}/dev/token?sub=local-e2e`)).json();

    const anonymous = await b.fetch(`${stack.url}/auth/tiktok/start`);
    expect(anonymous.status).toBe(401);

    const started = await b.fetch(`${stack.url}/auth/tiktok/start`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    });
    expect(started.status).toBe(200);
    const { authorizeUrl } = await started.json();

    // The browser navigates there from the app's page, so it sends that page as Referer.
    const launched = await b.fetch(authorizeUrl, { headers: { referer: `${stack.url}/platforms/connect` } });
    expect(launched.status).toBe(302);
    const tiktokUrl = launched.headers.get('location') as string;
    expect(tiktokUrl.startsWith(stack.emulator?.authorizeUrl as string)).toBe(true);

    const consentPage = await b.fetch(tiktokUrl);
    expect(consentPage.status).toBe(200);
    const html = await consentPage.text();
    expect(html).toContain('id="tiktok-authorize"');
    const form = new URLSearchParams(hiddenFields(html));
    form.set('decision', 'authorize');
    form.set('user', stack.emulator?.users[0]?.openId as string);
    for (const scope of ['user.info.profile', 'user.info.stats', 'video.list']) form.append('scope', scope);
    const decided = await b.fetch(new URL('/v2/auth/authorize/decision', tiktokUrl).toString(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    expect(decided.status).toBe(302);
    const callbackUrl = decided.headers.get('location') as string;
    expect(callbackUrl.startsWith(`${stack.url}/auth/tiktok/callback?`)).toBe(true);

    const done = await b.fetch(callbackUrl);
    expect(done.status).toBe(302);
    const back = new URL(done.headers.get('location') as string);
    expect(`${back.origin}${back.pathname}`).toBe(`${stack.url}/platforms/connect`);
    expect(back.searchParams.get('tiktok')).toBe('pending');
    const before = await b.fetch(`${stack.url}/tiktok/connections`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect((await before.json()).connections).toHaveLength(0);

    // The page's own script confirms with the signed-in user's token.
    const confirmed = await b.fetch(`${stack.url}/auth/tiktok/confirm`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ confirmation: back.searchParams.get('confirmation') }),
    });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.json()).toEqual({
      status: 'connected',
      openId: stack.emulator?.users[0]?.openId,
    });

    const listed = await b.fetch(`${stack.url}/tiktok/connections`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const { connections } = await listed.json();
    expect(connections).toHaveLength(1);
    expect(connections[0].displayName).toBe(stack.emulator?.users[0]?.displayName);
    expect(connections[0].avatarUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/avatars\//);
    expect(JSON.stringify(connections)).not.toMatch(/act\.|rft\./);
  });

  it('runs a refresh pass on demand (npm run refresh) through the scheduled handler module', async () => {
    const first = await (await fetch(`${stack.url}/dev/refresh`, { method: 'POST' })).json();
    expect(first.due).toBe(1);
    expect(first.refreshed).toBe(1);
    const { token } = await (await fetch(`${stack.url}/dev/token?sub=local-e2e`)).json();
    const { connections } = await (
      await fetch(`${stack.url}/tiktok/connections`, { headers: { authorization: `Bearer ${token}` } })
    ).json();
    expect(connections[0].status).toBe('active');
  });

  it('serves the demo page and refuses tokens from elsewhere', async () => {
    const page = await fetch(`${stack.url}/platforms/connect`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Connect TikTok');
    const forged = await fetch(`${stack.url}/tiktok/connections`, {
      headers: { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' },
    });
    expect(forged.status).toBe(401);
    expect((await fetch(`${stack.url}/nope`)).status).toBe(404);
  });

  const lanAddress = networkAddress();
  it.skipIf(!lanAddress)(
    'listens on loopback only (no HOST set), and so does DynamoDB Local: nothing answers on the network address',
    async () => {
      expect(stack.host).toBe('127.0.0.1');
      const apiPort = Number(new URL(stack.url).port);
      const dynamoPort = Number(new URL(dynamodbEndpoint()).port);
      expect(await acceptsConnections('127.0.0.1', apiPort)).toBe(true);
      expect(await acceptsConnections('127.0.0.1', dynamoPort)).toBe(true);
      expect(await acceptsConnections(lanAddress as string, apiPort)).toBe(false);
      expect(await acceptsConnections(lanAddress as string, dynamoPort)).toBe(false);
      const emulatorPort = Number(new URL(stack.emulator?.apiBaseUrl as string).port);
      expect(await acceptsConnections(lanAddress as string, emulatorPort)).toBe(false);
    },
  );

  it('sends Referrer-Policy, X-Frame-Options and a frame-ancestors CSP on every route’s answer and the demo page', async () => {
    const { token } = await (await fetch(`${stack.url}/dev/token?sub=headers-user`)).json();
    const answers: [string, Response][] = [];
    for (const route of ROUTES) {
      const path = route.path.replace('{openId}', 'no-such-open-id');
      for (const authorization of [undefined, `Bearer ${token}`]) {
        const response = await fetch(`${stack.url}${path}`, {
          method: route.method,
          redirect: 'manual',
          headers: { ...(authorization ? { authorization } : {}), 'content-type': 'application/json' },
          ...(route.method === 'POST' ? { body: '{}' } : {}),
        });
        await response.arrayBuffer();
        answers.push([`${route.method} ${path} ${authorization ? 'signed in' : 'anonymous'}`, response]);
      }
    }
    for (const path of ['/nope', '/openapi.json', '/dev/token?sub=x', '/']) {
      const response = await fetch(`${stack.url}${path}`, { redirect: 'manual' });
      await response.arrayBuffer();
      answers.push([path, response]);
    }
    for (const [name, response] of answers) {
      if (name === '/openapi.json') continue; // a static file: checked with the demo page below
      expect(response.headers.get('referrer-policy'), name).toBe('no-referrer');
      expect(response.headers.get('x-frame-options'), name).toBe('DENY');
      expect(response.headers.get('content-security-policy'), name).toContain("frame-ancestors 'none'");
    }
    for (const file of [
      '/platforms/connect',
      '/platforms/connect.js',
      '/platforms/connect.css',
      '/openapi.json',
    ]) {
      const response = await fetch(`${stack.url}${file}`);
      await response.arrayBuffer();
      expect(response.headers.get('x-frame-options'), file).toBe('DENY');
      expect(response.headers.get('content-security-policy'), file).toContain("frame-ancestors 'none'");
      // Origin only: the launch needs it, nothing more leaves the page.
      expect(response.headers.get('referrer-policy'), file).toBe('strict-origin');
    }
  });
});
