import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/local-stack.js';
import { signWebhook } from '../../shared/tiktok/webhook-signature.js';
import { dynamodbEndpoint } from '../support/dynamodb.js';

/**
 * The demo connect page in a real browser (Debian's Chromium through playwright-core), against the local stack
 * and the TikTok emulator: what a person sees and clicks. CI installs Chromium (.ci/run) and sets
 * REQUIRE_BROWSER_TESTS=1, so a missing browser fails there instead of skipping.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.REQUIRE_BROWSER_TESTS === '1') {
  throw new Error(`Chromium is required for the browser tests but ${CHROMIUM} does not exist`);
}
const rootDir = resolve(import.meta.dirname, '../..');
/** The README's screenshot: rewritten when missing or with UPDATE_SCREENSHOT=1, else kept (no churn in git). */
const screenshotPath = (file: string) =>
  process.env.UPDATE_SCREENSHOT === '1' || !existsSync(join(rootDir, 'docs', file))
    ? join(rootDir, 'docs', file)
    : join(tmpdir(), `tiktok-connect-${file}`);
const SCREENSHOT = screenshotPath('connect-page.png');
const MOBILE_SCREENSHOT = screenshotPath('connect-page-mobile.png');
/** The page and the stack share two busy cores with other tests: give the page time. */
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 20_000 });

let stack: LocalStack;
let browser: Browser;
/** A frontend on a second origin (another loopback port), listed in ALLOWED_RETURN_ORIGINS. */
let otherFrontend: Server;
let otherOrigin: string;

describe.skipIf(!available)('the connect page in Chromium', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    otherFrontend = await startOtherFrontend();
    const address = otherFrontend.address();
    otherOrigin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    stack = await startLocalStack({
      rootDir,
      dataDir: mkdtempSync(join(tmpdir(), 'tc-e2e-')),
      env: {
        PORT: '0',
        DYNAMODB_ENDPOINT: dynamodbEndpoint(),
        TABLE_NAME: `e2e-${randomUUID()}`,
        REFRESH_INTERVAL_SECONDS: '0',
        ALLOWED_RETURN_ORIGINS: otherOrigin,
      },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    otherFrontend?.closeAllConnections();
    await new Promise((done) => otherFrontend?.close(done));
  });

  async function signedInPage(user: string, viewport = { width: 900, height: 1100 }): Promise<Page> {
    const page = await browser.newPage({ viewport });
    await page.goto(`${stack.url}/platforms/connect`);
    await signIn(page, user);
    return page;
  }

  async function signIn(page: Page, user: string) {
    await page.fill('#user-id', user);
    await page.click('#signin-button');
    await poll(() => page.isEnabled('#connect-button')).toBe(true);
  }

  /** On the emulator's consent page: pick an account (and untick permissions), approve or cancel, come back. */
  async function consent(
    page: Page,
    options: { account?: number; decline?: boolean; untick?: string[] } = {},
  ) {
    await page.waitForURL(/\/v2\/auth\/authorize\//);
    expect(await page.title()).toContain('TikTok (emulator)');
    const openId = stack.emulator?.users[options.account ?? 0]?.openId as string;
    await page.check(`input[name=user][value="${openId}"]`);
    for (const scope of options.untick ?? []) await page.uncheck(`input[name=scope][value="${scope}"]`);
    await page.click(options.decline ? '#tiktok-cancel' : '#tiktok-authorize');
    return openId;
  }

  /** Connect TikTok → the emulator's consent page → back on the platform page, which confirms by itself. */
  async function connectThroughTikTok(
    page: Page,
    options: { account?: number; decline?: boolean; untick?: string[] } = {},
  ) {
    await page.click('#connect-button');
    const openId = await consent(page, options);
    await page.waitForURL(/\/platforms\/connect/);
    // The page confirms the pending result (or shows the error) before it says anything.
    await poll(() => page.isVisible('#outcome')).toBe(true);
    return openId;
  }

  async function token(sub: string): Promise<string> {
    return ((await (await fetch(`${stack.url}/dev/token?sub=${sub}`)).json()) as { token: string }).token;
  }

  /** TikTok no longer accepts this grant: the next TikTok call marks the connection reauth_required. */
  async function breakGrant(sub: string, openId: string) {
    stack.emulator?.revokeUser(openId);
    stack.emulator?.faults.push({ endpoint: 'refresh', kind: 'invalid_grant' });
    const profile = await fetch(`${stack.url}/tiktok/connections/${openId}/profile`, {
      headers: { authorization: `Bearer ${await token(sub)}` },
    });
    expect(profile.status).toBe(409);
  }

  it('connects an account and shows its avatar, follower and like counts and latest videos with covers', async () => {
    const page = await signedInPage('e2e-alice');
    const openId = await connectThroughTikTok(page, { account: 0 });
    const user = stack.emulator?.users[0];
    await poll(() => page.textContent('#outcome')).toMatch(/is connected\.$/);
    // The confirm step's parameters are gone from the address bar: a reload does not repeat it.
    expect(page.url()).toBe(`${stack.url}/platforms/connect`);
    const card = page.locator(`li.account[data-open-id="${openId}"]`);
    await poll(() => card.locator('.name').textContent()).toContain(user?.displayName);
    await poll(() => card.locator('.stats .stat').count()).toBe(4);
    expect(await card.locator('.stats').textContent()).toMatch(/followers.*following.*likes.*videos/);
    await poll(() => card.locator('li.video').count()).toBe(6);
    expect(await card.locator('.status').textContent()).toBe('Connected');
    expect(await card.locator('.loading').isHidden()).toBe(true);
    await poll(() =>
      card
        .locator('img')
        .evaluateAll((imgs) => imgs.every((img) => (img as HTMLImageElement).naturalWidth > 0)),
    ).toBe(true);

    // Paging: "Load more videos" adds the next page, no duplicates.
    await card.locator('button.more').click();
    await poll(() => card.locator('li.video').count()).toBe(12);
    const ids = await card
      .locator('li.video')
      .evaluateAll((items) => items.map((i) => (i as HTMLElement).dataset.videoId));
    expect(new Set(ids).size).toBe(12);

    mkdirSync(resolve(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.close();
  });

  it('asks before disconnecting, keeps the account on "Keep", disconnects on confirmation', async () => {
    const page = await signedInPage('e2e-bob');
    const openId = await connectThroughTikTok(page, { account: 1 });
    const card = page.locator(`li.account[data-open-id="${openId}"]`);
    await poll(() => card.locator('.stats .stat').count()).toBe(4);
    const revokesBefore = stack.emulator?.calls.count('revoke');
    await card.locator('button.disconnect').click();
    expect(await card.locator('.question').textContent()).toContain('Disconnect');
    await card.locator('button.keep').click();
    expect(await card.locator('button.disconnect').count()).toBe(1);
    expect(stack.emulator?.calls.count('revoke')).toBe(revokesBefore);
    await card.locator('button.disconnect').click();
    await card.locator('button.confirm-disconnect').click();
    await poll(() => page.textContent('#outcome')).toContain('is disconnected');
    await poll(() => card.count()).toBe(0);
    await page.reload();
    await poll(() => page.isVisible('#accounts-empty')).toBe(true);
    await page.close();
  });

  it('says so in plain words when the user declines on TikTok', async () => {
    const page = await signedInPage('e2e-carol');
    await connectThroughTikTok(page, { decline: true });
    await poll(() => page.textContent('#outcome')).toContain(
      'You cancelled on TikTok, so nothing was connected.',
    );
    await poll(() => page.isVisible('#accounts-empty')).toBe(true);
    await page.close();
  });

  it('asks the user to reconnect when TikTok no longer accepts the grant, and reconnecting fixes it', async () => {
    const page = await signedInPage('e2e-dave');
    const openId = await connectThroughTikTok(page, { account: 2 });
    await breakGrant('e2e-dave', openId);
    await page.reload();
    const card = page.locator(`li.account[data-open-id="${openId}"]`);
    await poll(() => card.locator('.notice').textContent()).toContain('approve this app again');
    await card.locator('button.reconnect').click();
    await page.waitForURL(/\/v2\/auth\/authorize\/.*disable_auto_auth=1/);
    await page.check(`input[name=user][value="${openId}"]`);
    await page.click('#tiktok-authorize');
    await page.waitForURL(/\/platforms\/connect/);
    await poll(() => card.locator('.status').textContent()).toBe('Connected');
    await poll(() => card.locator('.stats .stat').count()).toBe(4);
    expect(await page.textContent('#outcome')).toMatch(/is connected\.$/);
    // This account has posted nothing public: the page says so rather than showing an empty grid.
    await poll(() => card.locator('.videos').textContent()).toContain('No public videos yet.');
    await page.close();
  });

  it('says plainly when a reconnect brings back another TikTok account than the one that needed it', async () => {
    const page = await signedInPage('e2e-erin');
    const first = await connectThroughTikTok(page, { account: 0 });
    const second = await connectThroughTikTok(page, { account: 1 });
    await breakGrant('e2e-erin', second);
    await page.reload();
    const card = page.locator(`li.account[data-open-id="${second}"]`);
    await card.locator('button.reconnect').click();
    // TikTok's browser session is still account 0's: the user approves that one again.
    await consent(page, { account: 0 });
    await page.waitForURL(/\/platforms\/connect/);
    const secondName = `@${stack.emulator?.users[1]?.username}`;
    await poll(() => page.textContent('#outcome')).toContain(
      `not ${secondName}, which still needs reconnecting`,
    );
    expect(await page.getAttribute('#outcome', 'class')).toBe('error');
    await poll(() => card.locator('.status').textContent()).toBe('Reconnect needed');
    await poll(() => page.locator(`li.account[data-open-id="${first}"] .status`).textContent()).toBe(
      'Connected',
    );
    await page.close();
  });

  it('names a permission the user left out, offers Reconnect, and does not show the badge green', async () => {
    const page = await signedInPage('e2e-frank');
    const openId = await connectThroughTikTok(page, { account: 1, untick: ['video.list'] });
    const card = page.locator(`li.account[data-open-id="${openId}"]`);
    await poll(() => card.locator('.status').textContent()).toBe('Connected, permissions missing');
    expect(await card.locator('.status').getAttribute('class')).not.toContain('active');
    expect(await card.locator('.notice').textContent()).toContain('your public videos');
    expect(await card.locator('button.reconnect').count()).toBe(1);
    // What the page can show, it shows; where videos would be, the 403 is said in the same words.
    await poll(() => card.locator('.stats .stat').count()).toBe(4);
    await card.locator('button.reconnect').click();
    await page.waitForURL(/\/v2\/auth\/authorize\/.*disable_auto_auth=1/);
    await page.close();
  });

  it('clears the connected notice on sign-out and when another user signs in', async () => {
    const page = await signedInPage('e2e-gina');
    await connectThroughTikTok(page, { account: 0 });
    await poll(() => page.textContent('#outcome')).toMatch(/is connected\.$/);
    await page.click('#signout-button');
    await poll(() => page.isHidden('#outcome')).toBe(true);
    // …and stays hidden: nothing still in flight from the signed-out session brings it back.
    await page.waitForTimeout(500);
    expect(await page.isHidden('#outcome')).toBe(true);
    await signIn(page, 'e2e-gina');
    await page.reload();
    await connectThroughTikTok(page, { account: 0 });
    await poll(() => page.isVisible('#outcome')).toBe(true);
    await page.click('#signout-button');
    await signIn(page, 'e2e-other-user');
    await poll(() => page.isHidden('#outcome')).toBe(true);
    // …and stays hidden: nothing still in flight from the signed-out session brings it back.
    await page.waitForTimeout(500);
    expect(await page.isHidden('#outcome')).toBe(true);
    await poll(() => page.isVisible('#accounts-empty')).toBe(true);
    await page.close();
  });

  it('shows that it is loading while TikTok is slow, hides TikTok’s own error text, and retries', async () => {
    const page = await signedInPage('e2e-hana');
    const openId = await connectThroughTikTok(page, { account: 0 });
    const card = page.locator(`li.account[data-open-id="${openId}"]`);
    await poll(() => card.locator('.stats .stat').count()).toBe(4);
    stack.emulator?.faults.push({ endpoint: 'user_info', kind: 'slow', delayMs: 2500 });
    await page.reload();
    await poll(() => card.locator('.loading').isVisible()).toBe(true);
    expect(await card.getAttribute('aria-busy')).toBe('true');
    await poll(() => card.locator('.stats .stat').count()).toBe(4);
    await poll(() => card.locator('.loading').isHidden()).toBe(true);

    // TikTok fails (with its own message inside HTTP 200) on the call and both retries.
    stack.emulator?.faults.push({
      endpoint: 'user_info',
      kind: 'error_200',
      errorCode: 'internal_error',
      count: 3,
    });
    await page.reload();
    await poll(() => card.locator('.notice').isVisible()).toBe(true);
    const notice = (await card.locator('.notice').textContent()) ?? '';
    expect(notice).toContain('Please try again');
    expect(notice).not.toMatch(/TikTok:|internal_error|log_id|Something went wrong/i);
    await card.locator('button.retry').click();
    await poll(() => card.locator('.stats .stat').count()).toBe(4);
    expect(await card.locator('.notice').isHidden()).toBe(true);
    await page.close();
  });

  it('fits a 390 px wide phone screen: no sideways scrolling, every button inside its card', async () => {
    const page = await signedInPage('e2e-ivan', { width: 390, height: 844 });
    const openId = await connectThroughTikTok(page, { account: 0 });
    await connectThroughTikTok(page, { account: 1, untick: ['user.info.stats'] });
    const card = page.locator(`li.account[data-open-id="${openId}"]`);
    await poll(() => card.locator('li.video').count()).toBe(6);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const escaping = await page.evaluate(() =>
      [...document.querySelectorAll('button')]
        .filter((b) => b.offsetParent !== null)
        .filter((b) => {
          const box = b.getBoundingClientRect();
          const container = (b.closest('li.account') ?? b.closest('section')) as HTMLElement;
          const outer = container.getBoundingClientRect();
          return box.left < outer.left - 0.5 || box.right > outer.right + 0.5 || box.right > 390;
        })
        .map((b) => b.textContent),
    );
    expect(escaping).toEqual([]);
    mkdirSync(resolve(MOBILE_SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: MOBILE_SCREENSHOT, fullPage: true });
    await page.close();
  });

  it('lets the user remove a card TikTok revoked (the deauthorization webhook)', async () => {
    const page = await signedInPage('e2e-jack');
    const openId = await connectThroughTikTok(page, { account: 2 });
    const body = JSON.stringify({
      client_key: 'local-client-key',
      event: 'authorization.removed',
      create_time: Math.floor(Date.now() / 1000),
      user_openid: openId,
      content: JSON.stringify({ reason: 1 }),
    });
    const delivered = await fetch(`${stack.url}/webhooks/tiktok`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'tiktok-signature': signWebhook('local-client-secret', body, Math.floor(Date.now() / 1000)),
      },
      body,
    });
    expect(delivered.status).toBe(200);
    await page.reload();
    const card = page.locator(`li.account[data-open-id="${openId}"]`);
    await poll(() => card.locator('.status').textContent()).toBe('Removed on TikTok');
    await card.locator('button.disconnect').click();
    expect(await card.locator('.question').textContent()).toContain('Remove');
    await card.locator('button.confirm-disconnect').click();
    await poll(() => card.count()).toBe(0);
    await page.reload();
    await poll(() => page.isVisible('#accounts-empty')).toBe(true);
    await page.close();
  });

  it('the consent checkbox says what it does and sends the user through TikTok’s consent page', async () => {
    const page = await signedInPage('e2e-kim');
    expect(await page.isHidden('#force-hint')).toBe(true);
    await page.check('#force-consent');
    expect(await page.isVisible('#force-hint')).toBe(true);
    expect(await page.textContent('#connect-button')).toBe('Connect TikTok (choose account)');
    await page.click('#connect-button');
    await page.waitForURL(/\/v2\/auth\/authorize\/.*disable_auto_auth=1/);
    await page.close();
  });

  it('validates the user id with a pattern that is valid under the v flag', async () => {
    const page = await browser.newPage();
    await page.goto(`${stack.url}/platforms/connect`);
    const validity = await page.evaluate(() => {
      const input = document.getElementById('user-id') as HTMLInputElement;
      new RegExp(`^(?:${input.pattern})$`, 'v');
      input.value = 'not valid!';
      const bad = input.validity.patternMismatch;
      input.value = 'user.name@example-1_2';
      return { bad, good: input.validity.valid };
    });
    expect(validity).toEqual({ bad: true, good: true });
    await page.close();
  });

  it('serves a frontend on a second origin (CORS) when ALLOWED_RETURN_ORIGINS lists it, and only then', async () => {
    const page = await browser.newPage();
    await page.goto(`${otherOrigin}/app`);
    const userToken = await token('e2e-second-origin');
    // The whole round trip from the other origin with the typed client: start, TikTok, back there, confirm.
    const authorizeUrl = await page.evaluate(
      async ({ api, jwt, returnTo }) => {
        const client = (window as never as { TikTokConnect: typeof import('../../client/index.js') })
          .TikTokConnect;
        const tiktok = client.createTikTokConnectClient({ baseUrl: api, getAccessToken: () => jwt });
        return (await tiktok.startConnect({ returnTo })).authorizeUrl;
      },
      { api: stack.url, jwt: userToken, returnTo: `${otherOrigin}/app` },
    );
    await page.evaluate((url) => location.assign(url), authorizeUrl);
    const openId = await consent(page, { account: 0 });
    await page.waitForURL(new RegExp(`^${otherOrigin}/app\\?tiktok=`));
    const seen = await page.evaluate(
      async ({ api, jwt }) => {
        const client = (window as never as { TikTokConnect: typeof import('../../client/index.js') })
          .TikTokConnect;
        const tiktok = client.createTikTokConnectClient({ baseUrl: api, getAccessToken: () => jwt });
        const finished = await tiktok.finishConnect(location.href);
        const connections = await tiktok.listConnections();
        const { profile } = await tiktok.profile(connections[0]?.openId ?? '');
        return {
          finished: finished.kind,
          openIds: connections.map((c) => c.openId),
          name: profile.displayName,
        };
      },
      { api: stack.url, jwt: userToken },
    );
    expect(seen).toEqual({
      finished: 'connected',
      openIds: [openId],
      name: stack.emulator?.users[0]?.displayName,
    });

    // The same page on an origin not listed (localhost is not 127.0.0.1 to a browser): the browser refuses.
    const unlisted = otherOrigin.replace('127.0.0.1', 'localhost');
    await page.goto(`${unlisted}/app`);
    const refused = await page.evaluate(
      async ({ api, jwt }) => {
        const client = (window as never as { TikTokConnect: typeof import('../../client/index.js') })
          .TikTokConnect;
        const tiktok = client.createTikTokConnectClient({ baseUrl: api, getAccessToken: () => jwt });
        try {
          await tiktok.listConnections();
          return 'allowed';
        } catch (error) {
          return (error as Error).name;
        }
      },
      { api: stack.url, jwt: userToken },
    );
    expect(refused).toBe('TypeError');
    await page.close();
  });

  describe('account-linking CSRF: someone else’s launch link', () => {
    let redirector: Server;
    let redirectorUrl: string;
    /** Where the redirector sends the next browser that asks (the attacker’s own link shortener). */
    let redirectTarget = '';

    const tokenOf = async (sub: string) =>
      ((await (await fetch(`${stack.url}/dev/token?sub=${sub}`)).json()) as { token: string }).token;
    const connectionsOf = async (sub: string) => {
      const answer = await fetch(`${stack.url}/tiktok/connections`, {
        headers: { authorization: `Bearer ${await tokenOf(sub)}` },
      });
      return ((await answer.json()) as { connections: unknown[] }).connections;
    };

    beforeAll(async () => {
      redirector = createServer((_request, response) => {
        response.writeHead(302, { location: redirectTarget });
        response.end();
      });
      await new Promise<void>((done) => redirector.listen(0, '127.0.0.1', done));
      redirectorUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/r/tiktok`;

      // The cases above left account 1 stored for e2e-erin (waiting for a reconnect), e2e-frank (a permission
      // missing) and e2e-ivan (the phone screen). They disconnect it, so no stored connection holds its grant any
      // more: the grant the victim gives below is held by nobody and must be revoked.
      const openId = stack.emulator?.users[1]?.openId as string;
      for (const holder of ['e2e-erin', 'e2e-frank', 'e2e-ivan']) {
        const disconnected = await fetch(`${stack.url}/tiktok/connections/${openId}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${await tokenOf(holder)}` },
        });
        expect(disconnected.status, `${holder}: ${await disconnected.text()}`).toBe(200);
      }
    });
    afterAll(async () => {
      await new Promise((done) => redirector?.close(done));
    });

    it.each([
      ['a link in a post on the platform', false],
      ['the same post linking through the attacker’s redirector', true],
    ])('attaches nothing when the victim follows %s and approves on TikTok', async (_how, viaRedirector) => {
      const attacker = `e2e-mallory-${viaRedirector ? 'r' : 'p'}`;
      const victim = `e2e-valerie-${viaRedirector ? 'r' : 'p'}`;
      // Account 1: no stored connection holds its grant (see beforeAll).
      const account = stack.emulator?.users[1];
      if (!account) throw new Error('the emulator has no second account');
      // The attacker starts a connect for himself and plants the launch link.
      const started = await fetch(`${stack.url}/auth/tiktok/start`, {
        headers: {
          authorization: `Bearer ${await tokenOf(attacker)}`,
          accept: 'application/json',
        },
      });
      const { authorizeUrl: launchLink } = (await started.json()) as { authorizeUrl: string };
      redirectTarget = launchLink;
      const planted = viaRedirector ? redirectorUrl : launchLink;

      // The victim, signed in on the platform, reads the attacker's post (a page of the allowed origin).
      const page = await signedInPage(victim);
      const postUrl = `${stack.url}/platforms/posts/${attacker}`;
      await page.route(postUrl, (route) =>
        route.fulfill({
          contentType: 'text/html',
          body: `<!doctype html><p>Check out my new feature!</p><a id="planted" href="${planted}">Try it</a>`,
        }),
      );
      await page.goto(postUrl);
      await page.click('#planted');
      // The Referer was the platform's page: the launch went through to TikTok's normal consent page.
      await page.waitForURL(/\/v2\/auth\/authorize\//);
      await page.check(`input[name=user][value="${account.openId}"]`);
      const revokesBefore = stack.emulator?.calls.count('revoke') ?? 0;
      await page.click('#tiktok-authorize');
      await page.waitForURL(/\/platforms\/connect/);

      // Back on the platform, her page confirms with her own token: refused, nothing connected.
      await expect.poll(() => page.textContent('#outcome')).toContain('started by someone else');
      expect(page.url()).toBe(`${stack.url}/platforms/connect`);
      expect(await connectionsOf(attacker)).toEqual([]);
      expect(await connectionsOf(victim)).toEqual([]);
      // The grant she gave was revoked at TikTok rather than left live for nobody.
      expect(stack.emulator?.calls.count('revoke')).toBe(revokesBefore + 1);
      await page.close();
    });
  });
});

/** A separate frontend app: one page and the typed client bundled as `window.TikTokConnect`. */
async function startOtherFrontend(): Promise<Server> {
  const { build } = await import('esbuild');
  const bundle = await build({
    entryPoints: [join(rootDir, 'client/index.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'TikTokConnect',
    platform: 'browser',
  });
  const script = bundle.outputFiles[0]?.text ?? '';
  const server = createServer((request, response) => {
    if (request.url?.startsWith('/client.js')) {
      response.writeHead(200, { 'content-type': 'text/javascript' });
      response.end(script);
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(
      '<!doctype html><title>Another frontend</title><script src="/client.js"></script><h1>App</h1>',
    );
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return server;
}
