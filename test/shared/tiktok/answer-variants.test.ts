/**
 * Every answer variant the emulator can produce that a client must not take at face value — an error inside
 * HTTP 200, a 429 with TikTok's own Retry-After, an `error` on revoke — at every call site that can receive it:
 * token exchange, user info (at connect and for the profile), refresh, revoke, video list, video query.
 * Each site must keep its promise: no TikTok text reaches a client (our problem type and TikTok's log_id do),
 * nothing half-done is stored, a Retry-After is honoured.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FaultInput } from '../../../local/tiktok-emulator/fault-queue.js';
import { refreshConnection } from '../../../shared/lifecycle/refresh-connection.js';
import { apiDriver } from '../../support/api-driver.js';
import { connectAccount, connectDriver, outcomeOf } from '../../support/connect-driver.js';
import { startTestService, type TestService } from '../../support/service.js';

let service: TestService;
let api: ReturnType<typeof apiDriver>;

beforeAll(async () => {
  service = await startTestService();
  api = apiDriver(service);
});
afterAll(async () => {
  await service.close();
});
beforeEach(() => {
  service.emulator.faults.clear();
  service.emulator.calls.reset();
});

/** The human texts the emulator puts in its error answers: none may reach a client. */
const TIKTOK_TEXTS = [
  'Something went wrong',
  'Client key or secret is incorrect',
  'Rate limit exceeded',
  'API rate limit was exceeded',
];

type Variant = { name: string; fault: (endpoint: FaultInput['endpoint']) => FaultInput; code: string };

const RETRY_AFTER_SECONDS = 3600;
const OAUTH_VARIANTS: Variant[] = [
  {
    name: 'an error inside HTTP 200',
    fault: (endpoint) => ({ endpoint, kind: 'error_200', errorCode: 'invalid_request', count: 5 }),
    code: 'tiktok_invalid_request',
  },
  {
    name: 'a 429 with TikTok’s own Retry-After',
    fault: (endpoint) => ({ endpoint, kind: 'rate_limit', retryAfterSeconds: RETRY_AFTER_SECONDS, count: 5 }),
    code: 'tiktok_rate_limited',
  },
];
const DISPLAY_VARIANTS: Variant[] = [
  {
    name: 'an error inside HTTP 200',
    fault: (endpoint) => ({ endpoint, kind: 'error_200', errorCode: 'invalid_params', count: 5 }),
    code: 'tiktok_invalid_request',
  },
  OAUTH_VARIANTS[1] as Variant,
];

function expectNoTikTokText(text: string): void {
  for (const tiktokText of TIKTOK_TEXTS) expect(text).not.toContain(tiktokText);
}

let userCount = 0;
const newUser = (site: string) => `variants-${site}-${++userCount}`;

describe.each(OAUTH_VARIANTS)('TikTok answers $name', (variant) => {
  it('at the token exchange: back to the app with our reason only, nothing stored', async () => {
    const appUser = newUser('token');
    const driver = connectDriver(service);
    const { authorizeUrl, cookies } = await driver.begin({ sub: appUser });
    const consent = driver.consent(authorizeUrl, { userIndex: 0 });
    service.emulator.faults.push(variant.fault('token'));

    const outcome = outcomeOf(await driver.callback(consent.query, cookies));

    expect(outcome.tiktok).toBe('error');
    expect(outcome.reason).toBe(variant.code);
    expectNoTikTokText(outcome.url.toString());
    expect(await service.deps.connections.listForUser(appUser)).toEqual([]);
    const logId = service.emulator.calls.list('token')[0]?.logId;
    expect(service.logs.some((line) => line.includes(`"tiktokLogId":"${logId}"`))).toBe(true);
  });

  it('at user info during connect: back with our reason, nothing stored, the unsaved grant revoked', async () => {
    const appUser = newUser('connect-user-info');
    const driver = connectDriver(service);
    const { authorizeUrl, cookies } = await driver.begin({ sub: appUser });
    const consent = driver.consent(authorizeUrl, { userIndex: 2 });
    // The user-info variants of the Display API.
    const displayVariant = DISPLAY_VARIANTS[OAUTH_VARIANTS.indexOf(variant)] as Variant;
    service.emulator.faults.push(displayVariant.fault('user_info'));

    const outcome = outcomeOf(await driver.callback(consent.query, cookies));

    expect(outcome.tiktok).toBe('error');
    expect(outcome.reason).toBe(displayVariant.code);
    expectNoTikTokText(outcome.url.toString());
    expect(await service.deps.connections.listForUser(appUser)).toEqual([]);
    expect(service.emulator.calls.count('revoke')).toBe(1);
  });

  it('at the refresh: the connection keeps its tokens and is tried again later, no sooner than Retry-After', async () => {
    const appUser = newUser('refresh');
    const openId = await connectAccount(service, appUser, 1);
    const before = await service.deps.connections.get(appUser, openId);
    service.emulator.calls.reset();
    service.emulator.faults.push(variant.fault('refresh'));
    const startedAt = Date.now();

    const outcome = await refreshConnection(service.deps, {
      key: { appUser, openId },
      owner: 'variants',
      deadline: Date.now() + 60_000,
    });

    expect(outcome).toMatchObject({ kind: 'retry_later', reason: variant.code });
    const after = await service.deps.connections.get(appUser, openId);
    expect(after?.status).toBe('refresh_failing');
    expect(after?.sealedTokens).toBeDefined();
    const tokensBefore = await service.deps.connections.openTokens(before as never);
    const tokensAfter = await service.deps.connections.openTokens(after as never);
    expect(tokensAfter.refreshToken.reveal()).toBe(tokensBefore.refreshToken.reveal());
    if (variant.code === 'tiktok_rate_limited') {
      expect(after?.refreshDueAt).toBeGreaterThanOrEqual(startedAt + RETRY_AFTER_SECONDS * 1000);
    }
  });

  it('at the revoke (disconnect): said not revoked, the tokens deleted anyway', async () => {
    const appUser = newUser('revoke');
    // A TikTok account no other test user holds, so the disconnect does revoke.
    const openId = await connectAccount(service, appUser, 0);
    for (const key of await service.deps.connections.findByOpenId(openId)) {
      if (key.appUser !== appUser)
        await service.deps.connections.markUnusable({
          key,
          status: 'disconnected',
          reason: 'test',
          now: Date.now(),
        });
    }
    service.emulator.faults.push(variant.fault('revoke'));

    const answer = await api.disconnect(appUser, openId);

    expect(answer.statusCode).toBe(200);
    expect(answer.json).toMatchObject({
      revokedAtTikTok: false,
      revocation: 'failed',
      revokeFailure: variant.code,
    });
    expectNoTikTokText(answer.body ?? '');
    expect((await service.deps.connections.get(appUser, openId))?.sealedTokens).toBeUndefined();
  });
});

describe.each(DISPLAY_VARIANTS)('TikTok’s Display API answers $name', (variant) => {
  const sites = [
    { site: 'profile', endpoint: 'user_info', call: (u: string, o: string) => api.profile(u, o) },
    { site: 'video list', endpoint: 'video_list', call: (u: string, o: string) => api.videos(u, o) },
    {
      site: 'video query',
      endpoint: 'video_query',
      call: (u: string, o: string) => api.queryVideos(u, o, ['7300000000000000001']),
    },
  ] as const;

  it.each(sites)(
    'at the $site route: our problem type and TikTok’s log_id, never TikTok’s text',
    async ({ endpoint, call }) => {
      const appUser = newUser(endpoint);
      const openId = await connectAccount(service, appUser, 0);
      service.emulator.calls.reset();
      service.emulator.faults.push(variant.fault(endpoint));

      const answer = await call(appUser, openId);

      const rateLimited = variant.code === 'tiktok_rate_limited';
      expect(answer.statusCode).toBe(rateLimited ? 429 : 502);
      expect(answer.headers['content-type']).toContain('application/problem+json');
      expect(answer.json.type).toBe(`urn:tiktok-connect:problem:${variant.code}`);
      expect(answer.json.code).toBe(variant.code);
      const calls = service.emulator.calls.list(endpoint);
      expect(answer.json.tiktokLogId).toBe(calls.at(-1)?.logId);
      expectNoTikTokText(answer.body ?? '');
      if (rateLimited) {
        expect(answer.headers['retry-after']).toBe(String(RETRY_AFTER_SECONDS));
        expect(calls).toHaveLength(1); // a 429 is not retried against TikTok
      }
    },
  );
});
