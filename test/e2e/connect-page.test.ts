import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
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
    return openId;
  }

  it('connects an account and shows its avatar, follower and like counts and latest videos with covers', async () => {
    const page = await signedInPage('e2e-alice');
    const openId = await connectThroughTikTok(page, { account: 0 });
    await expect.poll(() => page.textContent('#outcome')).toContain('Your TikTok account is connected.');
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
    await expect.poll(() => card.locator('.notice').textContent()).toContain('approve this app again');
    await card.locator('button.reconnect').click();
    await page.waitForURL(/\/v2\/auth\/authorize\/.*disable_auto_auth=1/);
    await page.check(`input[name=user][value="${openId}"]`);
    await page.click('#tiktok-authorize');
    await page.waitForURL(/\/platforms\/connect/);
    await expect.poll(() => card.locator('.status').textContent()).toBe('Connected');
    await expect.poll(() => card.locator('.stats .stat').count()).toBe(4);
    // This account has posted nothing public: the page says so rather than showing an empty grid.
    await expect.poll(() => card.locator('.videos').textContent()).toContain('No public videos yet.');
    await page.close();
  });
});
