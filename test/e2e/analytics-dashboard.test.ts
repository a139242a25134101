import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/local-stack.js';
import { dynamodbEndpoint } from '../support/dynamodb.js';

/** The analytics dashboard in Chromium, after five simulated days of snapshots against the live emulator. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.REQUIRE_BROWSER_TESTS === '1') {
  throw new Error(`Chromium is required for the browser tests but ${CHROMIUM} does not exist`);
}
const rootDir = resolve(import.meta.dirname, '../..');
const SCREENSHOT =
  process.env.UPDATE_SCREENSHOT === '1' || !existsSync(join(rootDir, 'docs', 'analytics-dashboard.png'))
    ? join(rootDir, 'docs', 'analytics-dashboard.png')
    : join(tmpdir(), 'tiktok-connect-analytics-dashboard.png');

let stack: LocalStack;
let browser: Browser;

describe.skipIf(!available)('the analytics dashboard in Chromium', () => {
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
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('shows follower growth, top videos, breakouts, the heatmap and hashtags after simulated days', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 1900 } });
    await page.goto(`${stack.url}/platforms/connect`);
    await page.fill('#user-id', 'e2e-analytics');
    await page.click('#signin-button');
    await expect.poll(() => page.isEnabled('#connect-button')).toBe(true);
    await page.click('#connect-button');
    await page.waitForURL(/\/v2\/auth\/authorize\//);
    const openId = stack.emulator?.users[0]?.openId as string;
    await page.check(`input[name=user][value="${openId}"]`);
    await page.click('#tiktok-authorize');
    await page.waitForURL(/\/platforms\/connect/);
    // The page confirms the pending connection by itself; only a confirmed connection has history to simulate.
    await expect.poll(() => page.textContent('#outcome'), { timeout: 30_000 }).toMatch(/is connected\.$/);

    const simulated = await fetch(`${stack.url}/dev/analytics/simulate?days=5`, { method: 'POST' });
    expect(simulated.status).toBe(200);
    expect((await simulated.json()).videoSnapshots).toBeGreaterThan(0);

    await page.click('#analytics-link');
    await page.waitForURL(/\/platforms\/analytics/);
    await expect.poll(() => page.getAttribute('body', 'data-ready'), { timeout: 60_000 }).toBe('true');
    expect(await page.locator('#followers-chart canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('#views-chart canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('#top-videos tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('#hashtags tbody tr').count()).toBeGreaterThan(0);
    expect(await page.textContent('#hashtags')).toContain('#fyp');
    expect(await page.textContent('#followers-now')).not.toBe('–');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  }, 600_000);
});
