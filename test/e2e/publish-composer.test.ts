import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/local-stack.js';
import { dynamodbEndpoint } from '../support/dynamodb.js';
import { recordWebm, withDuration } from '../support/webm-fixture.js';

/**
 * The demo composer in Chromium against the local stack (DynamoDB Local, the local S3 server, the TikTok emulator):
 * a person connects an account, opens "Post a video", and the page must follow TikTok's Content Sharing Guidelines
 * (what TikTok's Direct Post audit checks) while the file really goes browser → presigned S3 URL → publisher →
 * chunked PUTs to the emulator.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.REQUIRE_BROWSER_TESTS === '1') {
  throw new Error(`Chromium is required for the browser tests but ${CHROMIUM} does not exist`);
}
const rootDir = resolve(import.meta.dirname, '../..');
/** The docs' screenshot: rewritten when missing or with UPDATE_SCREENSHOT=1, else kept (no churn in git). */
const DOCS_SCREENSHOT = join(rootDir, 'docs', 'publish-composer.png');
const SCREENSHOT =
  process.env.UPDATE_SCREENSHOT === '1' || !existsSync(DOCS_SCREENSHOT)
    ? DOCS_SCREENSHOT
    : join(tmpdir(), 'tiktok-connect-publish-composer.png');
/** A time zone far from UTC, so a schedule read as UTC (or UTC sent as local) shows. */
const TIME_ZONE = 'America/Los_Angeles';
/** Emulator accounts: Mia's is public, Leo's private. */
const MIA = 0;
const LEO = 1;

type CreatorInfo = {
  privacyLevelOptions: string[];
  commentDisabled: boolean;
  duetDisabled: boolean;
  stitchDisabled: boolean;
  maxVideoPostDurationSec: number;
  nickname: string;
};
type Post = { postId: string; status: string; publishAt?: string; failReason?: string; caption?: string };

let stack: LocalStack;
let browser: Browser;
let context: BrowserContext;
/** A real 2-second WebM, and the same file claiming 11 minutes (longer than any account may post). */
let shortVideo: Buffer;
let longVideo: Buffer;

async function startStack(env: Record<string, string> = {}): Promise<LocalStack> {
  return startLocalStack({
    rootDir,
    dataDir: mkdtempSync(join(tmpdir(), 'tc-e2e-publish-')),
    env: {
      PORT: '0',
      DYNAMODB_ENDPOINT: dynamodbEndpoint(),
      TABLE_NAME: `e2e-publish-${randomUUID()}`,
      REFRESH_INTERVAL_SECONDS: '0',
      ...env,
    },
  });
}

async function tokenFor(user: string): Promise<string> {
  const { token } = await (await fetch(`${stack.url}/dev/token?sub=${encodeURIComponent(user)}`)).json();
  return token as string;
}

async function apiGet<T>(user: string, path: string): Promise<T> {
  const response = await fetch(`${stack.url}${path}`, {
    headers: { authorization: `Bearer ${await tokenFor(user)}` },
  });
  expect(response.status, `${path}: ${await response.clone().text()}`).toBe(200);
  return (await response.json()) as T;
}

/** Sign in on the connect page, connect an emulator account, then follow the card's "Post a video" link. */
async function openComposer(user: string, account: number, viewport = { width: 900, height: 1100 }) {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  await page.goto(`${stack.url}/platforms/connect`);
  await page.fill('#user-id', user);
  await page.click('#signin-button');
  await expect.poll(() => page.isEnabled('#connect-button')).toBe(true);
  await page.click('#connect-button');
  await page.waitForURL(/\/v2\/auth\/authorize\//);
  const openId = stack.emulator?.users[account]?.openId as string;
  await page.check(`input[name=user][value="${openId}"]`);
  await page.click('#tiktok-authorize');
  await page.waitForURL(/\/platforms\/connect/);
  await page.locator(`li.account[data-open-id="${openId}"] a.publish`).click();
  await page.waitForURL(/\/platforms\/publish\?openId=/);
  const creator = await apiGet<CreatorInfo>(user, `/tiktok/connections/${openId}/creator-info`);
  await expect.poll(() => page.textContent('#creator-nickname')).toBe(creator.nickname);
  return { page, openId, creator };
}

async function chooseVideo(page: Page, buffer: Buffer, name = 'clip.webm') {
  await page.setInputFiles('#video-file', { name, mimeType: 'video/webm', buffer });
}

async function postStatus(user: string, openId: string, postId: string): Promise<Post> {
  return apiGet<Post>(user, `/tiktok/connections/${openId}/posts/${postId}`);
}

describe.skipIf(!available)('the publish composer in Chromium', () => {
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run'],
    });
    context = await browser.newContext({ timezoneId: TIME_ZONE, locale: 'en-US' });
    const page = await context.newPage();
    await page.setContent('<title>recorder</title>');
    const recorded = await recordWebm(page, { seconds: 2, label: 'tiktok-connect' });
    shortVideo = withDuration(recorded, 2);
    longVideo = withDuration(recorded, 11 * 60);
    await page.close();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  describe('for an audited app', () => {
    beforeAll(async () => {
      stack = await startStack();
    });
    afterAll(async () => {
      await stack?.close();
    });

    it('shows the creator, offers only their privacy levels with none chosen, and keeps interactions off', async () => {
      // Leo's account is private: TikTok turns duets and stitches off for it, comments stay the creator's choice.
      const { page, creator } = await openComposer('e2e-pub-rules', LEO);
      expect([creator.commentDisabled, creator.duetDisabled, creator.stitchDisabled]).toEqual([
        false,
        true,
        true,
      ]);
      // Privacy: exactly creator_info's options, behind a placeholder that stays selected.
      const options = await page
        .locator('#privacy option')
        .evaluateAll((all) => all.map((o) => (o as HTMLOptionElement).value));
      expect(options).toEqual(['', ...creator.privacyLevelOptions]);
      expect(await page.inputValue('#privacy')).toBe('');
      // Comment/duet/stitch unchecked, and greyed out exactly where creator_info says the creator turned them off.
      for (const [id, disabled] of [
        ['#allow-comment', creator.commentDisabled],
        ['#allow-duet', creator.duetDisabled],
        ['#allow-stitch', creator.stitchDisabled],
      ] as const) {
        expect(await page.isChecked(id)).toBe(false);
        expect(await page.isDisabled(id)).toBe(disabled);
      }
      expect(await page.isVisible('#unaudited-notice')).toBe(false);
      expect(await page.textContent('#consent')).toBe(
        "By posting, you agree to TikTok's Music Usage Confirmation.",
      );

      // A file and a caption are not enough: the user must choose who sees the video.
      await chooseVideo(page, shortVideo);
      await expect.poll(() => page.isVisible('#preview')).toBe(true);
      expect(await page.textContent('#video-info')).toContain('0:02');
      expect(await page.isDisabled('#post-button')).toBe(true);
      expect(await page.textContent('#form-problem')).toBe('Choose who can view this video.');

      // Too long for this account: refused in the browser, before any upload.
      await chooseVideo(page, longVideo, 'long.webm');
      await expect.poll(() => page.textContent('#video-info')).toContain('11:00 long');
      expect(await page.isVisible('#preview')).toBe(false);
      expect(await page.textContent('#form-problem')).toBe('Choose a video.');
      await page.close();
    });

    it('applies the commercial-content rules: a choice is required and branded content cannot be private', async () => {
      const { page, creator } = await openComposer('e2e-pub-brand', MIA);
      await chooseVideo(page, shortVideo);
      const publicLevel = creator.privacyLevelOptions.find((level) => level !== 'SELF_ONLY') as string;
      await page.selectOption('#privacy', publicLevel);
      await expect.poll(() => page.isEnabled('#post-button')).toBe(true);

      await page.check('#disclose');
      expect(await page.isDisabled('#post-button')).toBe(true);
      expect(await page.textContent('#form-problem')).toBe(
        'You need to indicate if your content promotes yourself, a third party, or both.',
      );
      await page.check('#brand-organic');
      expect(await page.textContent('#disclosure-label')).toContain('"Promotional content"');
      expect(await page.isEnabled('#post-button')).toBe(true);

      await page.check('#brand-content');
      expect(await page.textContent('#disclosure-label')).toContain('"Paid partnership"');
      expect(await page.textContent('#consent')).toBe(
        "By posting, you agree to TikTok's Branded Content Policy and Music Usage Confirmation.",
      );
      // Branded content: "Only me" is greyed out…
      expect(await page.locator('#privacy option[value="SELF_ONLY"]').isDisabled()).toBe(true);
      // …and with "Only me" chosen, branded content cannot be ticked.
      await page.uncheck('#brand-content');
      await page.selectOption('#privacy', 'SELF_ONLY');
      expect(await page.isDisabled('#brand-content')).toBe(true);
      expect(await page.isVisible('#brand-content-private')).toBe(true);
      await page.close();
    });

    it('uploads, posts now and sees it published; schedules another in local time and cancels it', async () => {
      const user = 'e2e-pub-flow';
      const { page, openId } = await openComposer(user, MIA);
      const s3Puts: number[] = [];
      page.on('requestfinished', (request) => {
        if (request.method() === 'PUT') s3Puts.push(request.postDataBuffer()?.length ?? 0);
      });

      // 1. Post now.
      await chooseVideo(page, shortVideo, 'morning-run.webm');
      await page.fill('#caption', 'Morning run along the river #running');
      await page.selectOption('#privacy', 'SELF_ONLY');
      await page.click('#post-button');
      await expect.poll(() => page.textContent('#outcome')).toContain('Posting now');
      expect(s3Puts).toEqual([shortVideo.length]);
      const first = page.locator('#post-list li.post').first();
      const postedId = (await first.getAttribute('data-post-id')) as string;
      expect(postedId).toBeTruthy();
      // The publisher's run (the local stack also runs it every few seconds) takes it to TikTok and follows it.
      await expect
        .poll(
          async () => {
            await fetch(`${stack.url}/dev/posts/run`, { method: 'POST' });
            return (await postStatus(user, openId, postedId)).status;
          },
          { timeout: 30_000, interval: 500 },
        )
        .toBe('published');
      await expect
        .poll(() => page.locator(`li.post[data-post-id="${postedId}"] .status`).textContent(), {
          timeout: 15_000,
        })
        .toBe('Published');

      // 2. Schedule for tomorrow 09:30 in the browser's time zone: the API gets that instant in UTC.
      await chooseVideo(page, shortVideo, 'tomorrow.webm');
      await page.fill('#caption', 'Tomorrow morning');
      await page.selectOption('#privacy', 'SELF_ONLY');
      await page.check('input[name=when][value=later]');
      expect(await page.textContent('#time-zone')).toContain(TIME_ZONE);
      const local = await page.evaluate(() => {
        const d = new Date(Date.now() + 86_400_000);
        const pad = (n: number) => String(n).padStart(2, '0');
        return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T09:30`;
      });
      await page.fill('#publish-at', local);
      expect(await page.textContent('#post-button')).toBe('Schedule');
      await page.click('#post-button');
      await expect.poll(() => page.textContent('#outcome')).toContain('Scheduled for');
      const scheduled = page.locator('#post-list li.post.scheduled');
      await expect.poll(() => scheduled.count()).toBe(1);
      const scheduledId = (await scheduled.getAttribute('data-post-id')) as string;
      const stored = await postStatus(user, openId, scheduledId);
      expect(stored.status).toBe('scheduled');
      const expected = await page.evaluate((value) => new Date(value).toISOString(), local);
      expect(Date.parse(stored.publishAt as string)).toBe(Date.parse(expected));
      // 09:30 in Los Angeles is 16:30 or 17:30 UTC, never 09:30.
      expect(new Date(stored.publishAt as string).getUTCHours()).toBeGreaterThanOrEqual(16);

      // A run now leaves it alone (not due); then the user cancels it.
      await fetch(`${stack.url}/dev/posts/run`, { method: 'POST' });
      expect((await postStatus(user, openId, scheduledId)).status).toBe('scheduled');
      await scheduled.locator('button.cancel').click();
      await expect.poll(() => page.textContent('#outcome')).toContain('cancelled');
      await expect
        .poll(() => page.locator(`li.post[data-post-id="${scheduledId}"] .status`).textContent())
        .toBe('Cancelled');
      expect((await postStatus(user, openId, scheduledId)).status).toBe('cancelled');
      await page.close();
    });

    it('fits a 390 px phone screen without sideways scrolling, and is the docs screenshot', async () => {
      const { page } = await openComposer('e2e-pub-phone', MIA, { width: 390, height: 844 });
      await chooseVideo(page, shortVideo, 'morning-run.webm');
      await page.fill('#caption', 'Morning run along the river #running #sunrise');
      await page.selectOption('#privacy', 'SELF_ONLY');
      await page.check('input[name=when][value=later]');
      await expect.poll(() => page.isEnabled('#post-button')).toBe(true);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await page.close();

      // The docs' picture: a desktop-width composer, filled in, above a list with a published and a scheduled post.
      const { page: desktop } = await openComposer('e2e-pub-shot', MIA);
      await chooseVideo(desktop, shortVideo, 'morning-run.webm');
      await desktop.fill('#caption', 'Morning run along the river #running #sunrise');
      await desktop.selectOption('#privacy', 'SELF_ONLY');
      await desktop.check('#allow-comment');
      await desktop.check('input[name=when][value=later]');
      await desktop.click('#post-button');
      await expect.poll(() => desktop.textContent('#outcome')).toContain('Scheduled for');
      await chooseVideo(desktop, shortVideo, 'sunset.webm');
      await desktop.fill('#caption', 'Sunset session, part 2 #running');
      await desktop.selectOption('#privacy', 'SELF_ONLY');
      await desktop.check('#disclose');
      await desktop.check('#brand-organic');
      await desktop.evaluate(() => document.getElementById('outcome')?.setAttribute('hidden', ''));
      await desktop.evaluate(() => (document.getElementById('preview-video') as HTMLVideoElement).pause());
      mkdirSync(resolve(SCREENSHOT, '..'), { recursive: true });
      await desktop.screenshot({ path: SCREENSHOT, fullPage: true });
      await desktop.close();
    });
  });

  describe('for an app TikTok has not audited yet', () => {
    beforeAll(async () => {
      stack = await startStack({ TIKTOK_EMULATOR_UNAUDITED: 'true' });
    });
    afterAll(async () => {
      await stack?.close();
    });

    it('says posts are private-only, offers only "Only me", still with no default', async () => {
      const { page, creator } = await openComposer('e2e-pub-unaudited', LEO);
      expect(creator.privacyLevelOptions).toEqual(['SELF_ONLY']);
      await expect.poll(() => page.isVisible('#unaudited-notice')).toBe(true);
      expect(await page.textContent('#unaudited-notice')).toContain('Only me');
      expect(await page.inputValue('#privacy')).toBe('');
      await chooseVideo(page, shortVideo);
      await expect.poll(() => page.textContent('#form-problem')).toBe('Choose who can view this video.');
      await page.selectOption('#privacy', 'SELF_ONLY');
      await expect.poll(() => page.isEnabled('#post-button')).toBe(true);
      await page.close();
    });

    it('stops before composing when the account is public, and says why', async () => {
      const { page } = await openComposer('e2e-pub-public', MIA);
      await expect
        .poll(() => page.textContent('#cannot-post'))
        .toContain('your TikTok account must be set to private');
      expect(await page.isDisabled('#video-file')).toBe(true);
      expect(await page.isDisabled('#post-button')).toBe(true);
      await page.close();
    });
  });
});
