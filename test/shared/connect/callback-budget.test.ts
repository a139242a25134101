import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callbackDeadlines } from '../../../shared/connect/callback-budget.js';
import { buildCallbackHandler } from '../../../shared/http/connect-routes.js';
import { httpApiEvent, lambdaContext } from '../../support/api-events.js';
import { connectDriver, type HttpAnswer, outcomeOf } from '../../support/connect-driver.js';
import { startTestService, type TestService } from '../../support/service.js';

/** The callback's TikTok calls may take 1.5 s together here (10 s in a deployment). */
const BUDGET_MS = 1500;

let service: TestService;
let driver: ReturnType<typeof connectDriver>;

beforeAll(async () => {
  // The usual per-call timeout is far longer than the budget: only the budget can end the calls in time.
  service = await startTestService({
    env: { CALLBACK_TIKTOK_BUDGET_MS: String(BUDGET_MS), TIKTOK_HTTP_TIMEOUT_MS: '8000' },
  });
  driver = connectDriver(service);
});
afterAll(async () => {
  await service.close();
});
beforeEach(() => {
  service.emulator.faults.clear();
  service.emulator.calls.reset();
});

/** The callback as Lambda runs it, with `remainingMs` left on the clock. */
async function callbackWithin(remainingMs: number, query: string, cookies: string[]) {
  const handler = buildCallbackHandler(service.deps);
  const context = { ...lambdaContext, getRemainingTimeInMillis: () => remainingMs } as Context;
  const started = Date.now();
  const answer = (await handler(
    httpApiEvent({ path: '/auth/tiktok/callback', query, cookies }),
    context,
  )) as HttpAnswer;
  return { answer, tookMs: Date.now() - started };
}

describe('callback time budget', () => {
  it('redirects back to the app with tiktok=error&reason=tiktok_timeout when the code exchange is slow', async () => {
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'budget-slow-token' });
    service.emulator.faults.push({ endpoint: 'token', kind: 'slow', delayMs: 6000 });
    const { answer, tookMs } = await callbackWithin(15_000, driver.consent(authorizeUrl).query, cookies);
    const outcome = outcomeOf(answer);
    expect(outcome.tiktok).toBe('error');
    expect(outcome.reason).toBe('tiktok_timeout');
    expect(outcome.url.origin).toBe(new URL(service.deps.config.returnUrls.defaultUrl).origin);
    expect(tookMs).toBeGreaterThanOrEqual(BUDGET_MS - 50);
    expect(tookMs).toBeLessThan(BUDGET_MS + 1500);
  });

  it('ends the user info call by the same deadline, and still gives the grant back within its extra time', async () => {
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'budget-slow-user' });
    service.emulator.faults.push({ endpoint: 'token', kind: 'slow', delayMs: 700 });
    service.emulator.faults.push({ endpoint: 'user_info', kind: 'slow', delayMs: 6000 });
    const { answer, tookMs } = await callbackWithin(15_000, driver.consent(authorizeUrl).query, cookies);
    expect(outcomeOf(answer)).toMatchObject({ tiktok: 'error', reason: 'tiktok_timeout' });
    // Exchange and user info share the 1.5 s; the revoke gets up to 2 s more.
    expect(tookMs).toBeLessThan(BUDGET_MS + 2000 + 1000);
    expect(service.emulator.calls.count('revoke')).toBe(1);
  });

  it("takes the Lambda's remaining time into account: little time left means a shorter budget", async () => {
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'budget-lambda-short' });
    service.emulator.faults.push({ endpoint: 'token', kind: 'slow', delayMs: 6000 });
    // 5.6 s left: 3 s for storing and answering, 2 s for a revoke, 0.6 s for TikTok.
    const { answer, tookMs } = await callbackWithin(5600, driver.consent(authorizeUrl).query, cookies);
    expect(outcomeOf(answer)).toMatchObject({ tiktok: 'error', reason: 'tiktok_timeout' });
    expect(tookMs).toBeLessThan(BUDGET_MS);
  });

  it('does not call TikTok at all when no time is left, and still redirects', async () => {
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'budget-none-left' });
    const { answer } = await callbackWithin(4000, driver.consent(authorizeUrl).query, cookies);
    expect(outcomeOf(answer)).toMatchObject({ tiktok: 'error', reason: 'tiktok_timeout' });
    expect(service.emulator.calls.count('token')).toBe(0);
  });

  it('connects as usual when TikTok answers within the budget', async () => {
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'budget-fine' });
    service.emulator.faults.push({ endpoint: 'token', kind: 'slow', delayMs: 300 });
    const consent = driver.consent(authorizeUrl);
    const { answer } = await callbackWithin(15_000, consent.query, cookies);
    expect(await driver.confirmCallback(answer, 'budget-fine')).toBe(consent.user.openId);
    expect(service.emulator.calls.count('revoke')).toBe(0);
  });
});

describe('callbackDeadlines', () => {
  it('gives TikTok the configured budget when the Lambda has time enough, and a revoke 2 s more', () => {
    expect(callbackDeadlines(10_000, 15_000, 1000)).toEqual({ tiktok: 11_000, revoke: 13_000 });
  });

  it('cuts the budget to what the Lambda has left after storing and a revoke', () => {
    expect(callbackDeadlines(10_000, 9000, 1000)).toEqual({ tiktok: 5000, revoke: 7000 });
    expect(callbackDeadlines(10_000, 1000, 1000)).toEqual({ tiktok: 1000, revoke: 3000 });
  });
});
