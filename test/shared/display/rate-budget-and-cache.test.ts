import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiDriver } from '../../support/api-driver.js';
import { connectAccount } from '../../support/connect-driver.js';
import { startTestService, type TestService } from '../../support/service.js';

/** Early in the current minute, so a test's calls share one rate window whatever the wall clock says. */
function pinClock(service: TestService): { advance(ms: number): void } {
  let now = Math.floor(Date.now() / 60_000) * 60_000 + 5_000;
  service.deps.now = () => now;
  return {
    advance: (ms) => {
      now += ms;
    },
  };
}

describe('the app-wide rate budget per TikTok endpoint', () => {
  let service: TestService;
  let api: ReturnType<typeof apiDriver>;
  let openId: string;

  beforeAll(async () => {
    service = await startTestService({ env: { TIKTOK_RATE_LIMIT_PER_MINUTE: '2' } });
    pinClock(service);
    api = apiDriver(service);
    openId = await connectAccount(service, 'busy', 0);
  });
  afterAll(async () => {
    await service.close();
  });

  it('answers 429 with Retry-After once it is spent, without calling TikTok; other endpoints keep theirs', async () => {
    service.emulator.calls.reset();
    expect((await api.profile('busy', openId)).statusCode).toBe(200);
    expect((await api.profile('busy', openId)).statusCode).toBe(200);

    const refused = await api.profile('busy', openId);
    expect(refused.statusCode).toBe(429);
    expect(refused.json.code).toBe('rate_budget_exhausted');
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(service.emulator.calls.count('user_info')).toBe(2);

    expect((await api.videos('busy', openId)).statusCode).toBe(200);
  });

  it('is shared: another app user’s request draws from the same budget', async () => {
    const other = await connectAccount(service, 'also-busy', 1);
    const answer = await api.profile('also-busy', other);
    expect(answer.statusCode).toBe(429);
  });
});

describe('the display cache (DISPLAY_CACHE_SECONDS)', () => {
  let service: TestService;
  let api: ReturnType<typeof apiDriver>;
  let clock: { advance(ms: number): void };
  let openId: string;

  beforeAll(async () => {
    service = await startTestService({ env: { DISPLAY_CACHE_SECONDS: '30' }, stack: 'display-cache' });
    clock = pinClock(service);
    api = apiDriver(service);
    openId = await connectAccount(service, 'dashboard', 0);
  });
  afterAll(async () => {
    await service.close();
  });

  it('serves a repeated profile or video page from the cache, for the same connection and request only', async () => {
    service.emulator.calls.reset();
    const first = await api.profile('dashboard', openId);
    const second = await api.profile('dashboard', openId);
    expect([first.json.cached, second.json.cached]).toEqual([false, true]);
    expect(second.json.profile).toEqual(first.json.profile);
    expect(second.json.fetchedAt).toBe(first.json.fetchedAt);
    expect(second.json.tiktokLogId).toBe(first.json.tiktokLogId);
    expect(service.emulator.calls.count('user_info')).toBe(1);

    const page = await api.videos('dashboard', openId, 'limit=5');
    expect((await api.videos('dashboard', openId, 'limit=5')).json.cached).toBe(true);
    const next = await api.videos('dashboard', openId, `limit=5&cursor=${page.json.cursor}`);
    expect(next.json.cached).toBe(false);
    expect(service.emulator.calls.count('video_list')).toBe(2);

    // The cache never answers for someone else.
    expect((await api.profile('intruder', openId)).statusCode).toBe(404);
  });

  it('asks TikTok again once the entry is older than the setting; video queries are never cached', async () => {
    service.emulator.calls.reset();
    await api.profile('dashboard', openId);
    clock.advance(31_000);
    expect((await api.profile('dashboard', openId)).json.cached).toBe(false);
    const id = service.emulator.users[0]!.videos[0]!.id;
    await api.queryVideos('dashboard', openId, [id]);
    await api.queryVideos('dashboard', openId, [id]);
    expect(service.emulator.calls.count('video_query')).toBe(2);
  });
});
