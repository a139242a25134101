import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/local-stack.js';
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
const README_SCREENSHOT = join(rootDir, 'docs', 'connect-page.png');
const SCREENSHOT =
  process.env.UPDATE_SCREENSHOT === '1' || !existsSync(README_SCREENSHOT)
    ? README_SCREENSHOT
    : join(tmpdir(), 'tiktok-connect-connect-page.png');

/** Back on the page, it confirms before it shows anything: one more round trip on a busy machine. */
const BACK_FROM_TIKTOK = { timeout: 15_000 };

let stack: LocalStack;
let browser: Browser;

describe.skipIf(!available)('the connect page in Chromium', () => {
  beforeAll(async () => {
    stack = await startLocalStack({
      rootDir,
      dataDir: mkdtempSync(join(tmpdir(), 'tc-e2e-')),
      env: {
        PORT: '0',
        DYNAMODB_ENDPOINT: dynamodbEndpoint(),
        TABLE_NAME: `e2e-${randomUUID()}`,
        REFRESH_INTERVAL_SECONDS: '0',
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
  });

  async function signedInPage(user: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 900, height: 1100 } });
    await page.goto(`${stack.url}/platforms/connect`);
    await page.fill('#user-id', user);
    await page.click('#signin-button');
    await expect.poll(() => page.isEnabled('#connect-button')).toBe(true);
    return page;
  }

  /** Connect TikTok → the emulator's consent page → back on the platform page. */
  async function connectThroughTikTok(page: Page, options: { account?: number; decline?: boolean } = {}) {
    await page.click('#connect-button');
    await page.waitForURL(/\/v2\/auth\/authorize\//);
    expect(await page.title()).toContain('TikTok (emulator)');
    const openId = stack.emulator?.users[options.account ?? 0]?.openId as string;
    await page.check(`input[name=user][value="${openId}"]`);
    await page.click(options.decline ? '#tiktok-cancel' : '#tiktok-authorize');
    await page.waitForURL(/\/platforms\/connect/);
    // The page confirms the pending result (or shows the error) before it says anything.
    await expect.poll(() => page.isVisible('#outcome'), BACK_FROM_TIKTOK).toBe(true);
    return openId;
  }

  it('connects an account and shows its avatar, follower and like counts and latest videos with covers', async () => {
    const page = await signedInPage('e2e-alice');
    const openId = await connectThroughTikTok(page, { account: 0 });
    await expect
      .poll(() => page.textContent('#outcome'), BACK_FROM_TIKTOK)
      .toContain('Your TikTok account is connected.');
    // The page confirmed the pending result itself and took the one-time code out of the address bar.
    expect(page.url()).toBe(`${stack.url}/platforms/connect`);
    const card = page.locator(`li.account[data-open-id="${openId}"]`);
    await expect
      .poll(() => card.locator('.name').textContent())
      .toContain(stack.emulator?.users[0]?.displayName);
    await expect.poll(() => card.locator('.stats .stat').count()).toBe(4);
    expect(await card.locator('.stats').textContent()).toMatch(/followers.*following.*likes.*videos/);
    await expect.poll(() => card.locator('li.video').count()).toBe(6);
    // Images really loaded (avatar and covers served by the emulator).
    await expect
      .poll(() =>
        card
          .locator('img')
          .evaluateAll((imgs) => imgs.every((img) => (img as HTMLImageElement).naturalWidth > 0)),
      )
      .toBe(true);

    // Paging: "Load more videos" adds the next page, no duplicates.
    await card.locator('button.more').click();
    await expect.poll(() => card.locator('li.video').count()).toBe(12);
    const ids = await card
      .locator('li.video')
      .evaluateAll((items) => items.map((i) => (i as HTMLElement).dataset.videoId));
    expect(new Set(ids).size).toBe(12);

    mkdirSync(resolve(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.close();
  });

  it('disconnects an account', async () => {
    const page = await signedInPage('e2e-bob');
    const openId = await connectThroughTikTok(page, { account: 1 });
    const card = page.locator(`li.account[data-open-id="${openId}"]`);
    await card.locator('button.disconnect').click();
    await expect.poll(() => page.textContent('#outcome')).toContain('is disconnected');
    await expect.poll(() => card.count()).toBe(0);
    await page.reload();
    await expect.poll(() => page.isVisible('#accounts-empty')).toBe(true);
    await page.close();
  });

  it('says so in plain words when the user declines on TikTok', async () => {
    const page = await signedInPage('e2e-carol');
    await connectThroughTikTok(page, { decline: true });
    await expect
      .poll(() => page.textContent('#outcome'))
      .toContain('You cancelled on TikTok, so nothing was connected.');
    await expect.poll(() => page.isVisible('#accounts-empty')).toBe(true);
    await page.close();
  });

  it('asks the user to reconnect when TikTok no longer accepts the grant, and reconnecting fixes it', async () => {
    const page = await signedInPage('e2e-dave');
    const openId = await connectThroughTikTok(page, { account: 2 });
    // The user removes the app on TikTok's side and TikTok refuses the refresh token: the next TikTok call
    // (access_token_invalid → refresh → invalid_grant) marks the connection reauth_required.
    stack.emulator?.revokeUser(openId);
    stack.emulator?.faults.push({ endpoint: 'refresh', kind: 'invalid_grant' });
    const { token } = await (await fetch(`${stack.url}/dev/token?sub=e2e-dave`)).json();
    const profile = await fetch(`${stack.url}/tiktok/connections/${openId}/profile`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(profile.status).toBe(409);
    await page.reload();
    const card = page.locator(`li.account[data-open-id="${openId}"]`);
    await expect
      .poll(() => card.locator('.notice').textContent(), BACK_FROM_TIKTOK)
      .toContain('approve this app again');
    await card.locator('button.reconnect').click();
    await page.waitForURL(/\/v2\/auth\/authorize\/.*disable_auto_auth=1/);
    await page.check(`input[name=user][value="${openId}"]`);
    await page.click('#tiktok-authorize');
    await page.waitForURL(/\/platforms\/connect/);
    await expect.poll(() => card.locator('.status').textContent(), BACK_FROM_TIKTOK).toBe('Connected');
    await expect.poll(() => card.locator('.stats .stat').count()).toBe(4);
    // This account has posted nothing public: the page says so rather than showing an empty grid.
    await expect.poll(() => card.locator('.videos').textContent()).toContain('No public videos yet.');
    await page.close();
  });

  describe('account-linking CSRF: someone else’s launch link', () => {
    let redirector: Server;
    let redirectorUrl: string;
    /** Where the redirector sends the next browser that asks (the attacker’s own link shortener). */
    let redirectTarget = '';

    beforeAll(async () => {
      redirector = createServer((_request, response) => {
        response.writeHead(302, { location: redirectTarget });
        response.end();
      });
      await new Promise<void>((done) => redirector.listen(0, '127.0.0.1', done));
      redirectorUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/r/tiktok`;
    });
    afterAll(async () => {
      await new Promise((done) => redirector?.close(done));
    });

    const tokenOf = async (sub: string) =>
      ((await (await fetch(`${stack.url}/dev/token?sub=${sub}`)).json()) as { token: string }).token;
    const connectionsOf = async (sub: string) => {
      const answer = await fetch(`${stack.url}/tiktok/connections`, {
        headers: { authorization: `Bearer ${await tokenOf(sub)}` },
      });
      return ((await answer.json()) as { connections: unknown[] }).connections;
    };

    it.each([
      ['a link in a post on the platform', false],
      ['the same post linking through the attacker’s redirector', true],
    ])('attaches nothing when the victim follows %s and approves on TikTok', async (_how, viaRedirector) => {
      const attacker = `e2e-mallory-${viaRedirector ? 'r' : 'p'}`;
      const victim = `e2e-valerie-${viaRedirector ? 'r' : 'p'}`;
      // Account 1: the disconnect case above left no stored connection holding its grant.
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
