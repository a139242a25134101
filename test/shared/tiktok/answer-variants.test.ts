/**
 * Every answer variant the emulator can produce that a client must not take at face value — an error inside
 * HTTP 200, a 429 with TikTok's own Retry-After, an `error` on revoke — at every call site that can receive it:
 * token exchange, user info (at connect and for the profile), refresh, revoke, video list, video query, the
 * analytics snapshot pass (user info, video list), and publishing's creator-info route, init and status fetch.
 * Not here: video query inside the snapshot pass (snapshot-pass.test.ts has its 429) and the chunk PUT.
 * Each site must keep its promise: no TikTok text reaches a client (our problem type and TikTok's log_id do),
 * nothing half-done is stored, a Retry-After is honoured.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FaultInput } from '../../../local/tiktok-emulator/fault-queue.js';
import { runSnapshotPass } from '../../../shared/analytics/snapshot-pass.js';
import { refreshConnection } from '../../../shared/lifecycle/refresh-connection.js';
import { runPublisher } from '../../../shared/publish/publisher.js';
import { apiDriver } from '../../support/api-driver.js';
import { connectAccount, connectDriver, outcomeOf } from '../../support/connect-driver.js';
import { postingDriver, startPostingService, videoBytes } from '../../support/posting.js';
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

/**
 * The analytics snapshot pass reads user info and the video list for each due connection (shared/analytics). Its
 * promise at each site: no point stored from a refused answer, the connection still due, the next pass takes the
 * snapshot; and TikTok's own Retry-After keeps the endpoint shut at least that long.
 */
describe.each(DISPLAY_VARIANTS)('the analytics snapshot pass, when TikTok answers $name', (variant) => {
  let analytics: TestService;
  let clock = Date.UTC(2026, 11, 1, 12);
  let userIndex = 0;
  beforeAll(async () => {
    analytics = await startTestService({ overrides: { now: () => clock } });
  });
  afterAll(async () => {
    await analytics.close();
  });

  it.each(['user_info', 'video_list'] as const)(
    'at %s: nothing stored from the refused answer; the next pass takes it',
    async (endpoint) => {
      const appUser = `variants-analytics-${endpoint}-${variant.code}`;
      const openId = await connectAccount(analytics, appUser, userIndex++ % 3);
      const key = { appUser, openId };
      analytics.emulator.calls.reset();
      analytics.emulator.faults.push(variant.fault(endpoint));

      const first = await runSnapshotPass(analytics.deps);
      expect(first.due).toBe(1);
      expect(analytics.emulator.calls.list(endpoint)[0]?.status).toBe(
        variant.code === 'tiktok_rate_limited' ? 429 : 200,
      );
      const days = await analytics.deps.analytics.days(key, '2000-01-01', '2999-12-31');
      if (endpoint === 'user_info') expect(days.flatMap((day) => day.account)).toEqual([]);
      else expect(days.flatMap((day) => [...day.videos.keys()])).toEqual([]);
      if (endpoint === 'user_info') {
        // Still due: at once after an error, after TikTok's Retry-After when it said 429.
        const wait = variant.code === 'tiktok_rate_limited' ? RETRY_AFTER_SECONDS * 1000 : 0;
        expect((await analytics.deps.analytics.getState(key))?.dueAt).toBeLessThanOrEqual(clock + wait);
      }

      // Past any Retry-After: the next pass takes what was refused.
      analytics.emulator.faults.clear();
      clock += (RETRY_AFTER_SECONDS + 60) * 1000;
      await runSnapshotPass(analytics.deps);
      const after = await analytics.deps.analytics.days(key, '2000-01-01', '2999-12-31');
      expect(after.flatMap((day) => day.account).length).toBeGreaterThan(0);
      expect(after.flatMap((day) => [...day.videos.keys()]).length).toBeGreaterThan(0);
    },
  );
});

describe('the analytics snapshot pass after TikTok’s 429 with Retry-After', () => {
  let analytics: TestService;
  const clock = { now: Date.UTC(2026, 11, 1, 12) };
  beforeAll(async () => {
    analytics = await startTestService({ overrides: { now: () => clock.now } });
  });
  afterAll(async () => {
    await analytics.close();
  });

  // The pass leaves what TikTok's 429 stopped due no earlier than TikTok's Retry-After (EndpointGate.reopensAt):
  // the next pass, a minute later, does not ask again; once Retry-After has passed, it does.
  it('does not ask user_info again before TikTok’s Retry-After has passed', async () => {
    const appUser = 'variants-analytics-retry-after';
    await connectAccount(analytics, appUser, 0);
    analytics.emulator.calls.reset();
    analytics.emulator.faults.push(DISPLAY_VARIANTS[1]?.fault('user_info') as FaultInput);
    await runSnapshotPass(analytics.deps);
    expect(analytics.emulator.calls.list('user_info').map((call) => call.status)).toEqual([429]);

    analytics.emulator.calls.reset();
    clock.now += 60_000;
    await runSnapshotPass(analytics.deps);
    expect(analytics.emulator.calls.count('user_info')).toBe(0);

    analytics.emulator.faults.clear();
    clock.now += RETRY_AFTER_SECONDS * 1000;
    await runSnapshotPass(analytics.deps);
    expect(analytics.emulator.calls.list('user_info').map((call) => call.status)).toEqual([200]);
  });
});

/** Publishing's first TikTok call, the creator-info route (shared/publish): the same promise as the Display routes. */
describe.each(DISPLAY_VARIANTS)('GET …/creator-info when TikTok answers $name', (variant) => {
  let posting: TestService;
  beforeAll(async () => {
    posting = await startPostingService();
  });
  afterAll(async () => {
    await posting.close();
  });

  it('answers our problem type with TikTok’s log_id, never TikTok’s text', async () => {
    const appUser = `variants-creator-info-${variant.code}`;
    const openId = await connectAccount(posting, appUser, 0);
    posting.emulator.calls.reset();
    posting.emulator.faults.push(variant.fault('creator_info'));

    const answer = await postingDriver(posting).creatorInfo(appUser, openId);

    const rateLimited = variant.code === 'tiktok_rate_limited';
    expect(answer.statusCode).toBe(rateLimited ? 429 : 502);
    expect(answer.headers['content-type']).toContain('application/problem+json');
    expect(answer.json.code).toBe(variant.code);
    expect(answer.json.tiktokLogId).toBe(posting.emulator.calls.list('creator_info').at(-1)?.logId);
    expectNoTikTokText(answer.body ?? '');
    if (rateLimited) expect(answer.headers['retry-after']).toBe(String(RETRY_AFTER_SECONDS));
  });
});

/**
 * The publisher's init and status fetch (shared/publish). At init, a definite refusal created nothing at TikTok:
 * an error inside HTTP 200 is the post's fail reason (TikTok's code, never its text) and init is never sent again;
 * a 429 puts the post back until TikTok's Retry-After has passed, then it is published once. At the status fetch,
 * a refused answer leaves the post publishing and a later run finds it published, with one TikTok task.
 */
describe.each(DISPLAY_VARIANTS)('the publisher, when TikTok answers $name', (variant) => {
  let posting: TestService;
  let offset = 0;
  const rateLimited = variant.code === 'tiktok_rate_limited';
  beforeAll(async () => {
    posting = await startPostingService({ overrides: { now: () => Date.now() + offset } });
  });
  afterAll(async () => {
    await posting.close();
  });
  const run = () => runPublisher(posting.deps, { deadline: Date.now() + 60_000, checkWaiting: true });

  async function scheduledPost(appUser: string, userIndex: number) {
    const openId = await connectAccount(posting, appUser, userIndex);
    const driver = postingDriver(posting);
    const uploadId = await driver.uploadVideo(appUser, openId, videoBytes(3_000));
    const created = await driver.createPost(appUser, openId, { uploadId, privacyLevel: 'SELF_ONLY' });
    expect(created.statusCode).toBe(201);
    const view = async () => (await driver.getPost(appUser, openId, created.json.postId as string)).json;
    return { openId, view };
  }

  async function runUntilFinal(view: () => Promise<{ status: string }>) {
    for (let i = 0; i < 40; i++) {
      await run();
      const post = await view();
      if (['published', 'inbox', 'failed', 'cancelled'].includes(post.status)) return post;
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    return view();
  }

  it(`at init: ${rateLimited ? 'back until Retry-After has passed, then published once' : 'failed with TikTok’s code, init never sent again'}`, async () => {
    const { view } = await scheduledPost(`variants-init-${variant.code}`, 0);
    posting.emulator.calls.reset();
    posting.emulator.faults.push({ ...variant.fault('video_init'), count: 1 });
    await run();
    expect(posting.emulator.calls.count('video_init')).toBe(1);
    const refused = await view();
    expectNoTikTokText(JSON.stringify(refused));
    if (!rateLimited) {
      expect(refused).toMatchObject({ status: 'failed', failReason: 'invalid_params' });
      await run();
      expect(posting.emulator.calls.count('video_init')).toBe(1);
      return;
    }
    expect(['scheduled', 'publishing']).toContain(refused.status);
    offset = 60_000;
    await run();
    expect(posting.emulator.calls.count('video_init')).toBe(1);
    offset = (RETRY_AFTER_SECONDS + 60) * 1000;
    try {
      expect((await runUntilFinal(view)).status).toBe('published');
    } finally {
      offset = 0;
    }
    expect(posting.emulator.calls.count('video_init')).toBe(2);
  });

  it('at the status fetch: still publishing, then published once by a later run', async () => {
    const { view } = await scheduledPost(`variants-status-${variant.code}`, 1);
    posting.emulator.calls.reset();
    // A short Retry-After here: an hour would run past the publisher's status timeout.
    posting.emulator.faults.push({
      ...variant.fault('publish_status'),
      count: 1,
      ...(rateLimited ? { retryAfterSeconds: 120 } : {}),
    });
    for (let i = 0; i < 20 && posting.emulator.calls.count('publish_status') === 0; i++) await run();
    expect(posting.emulator.calls.list('publish_status')[0]?.status).toBe(rateLimited ? 429 : 200);
    if (rateLimited) {
      // A scheduled run (not checking waiting posts early) inside the Retry-After leaves the post alone.
      await runPublisher(posting.deps, { deadline: Date.now() + 60_000 });
      expect(posting.emulator.calls.count('publish_status')).toBe(1);
      offset = 180_000;
    }
    let post: { status: string };
    try {
      post = await runUntilFinal(view);
    } finally {
      offset = 0;
    }
    expectNoTikTokText(JSON.stringify(post));
    expect(post.status).toBe('published');
    expect(posting.emulator.calls.list('publish_status').some((call) => call.fault !== undefined)).toBe(true);
    expect(posting.emulator.calls.count('video_init')).toBe(1);
  });
});

describe('the publisher’s status fetch after TikTok’s 429 with Retry-After', () => {
  let posting: TestService;
  beforeAll(async () => {
    posting = await startPostingService();
  });
  afterAll(async () => {
    await posting.close();
  });

  it('schedules the next status check no sooner than TikTok’s Retry-After', async () => {
    const appUser = 'variants-status-retry-after';
    const openId = await connectAccount(posting, appUser, 2);
    const driver = postingDriver(posting);
    const uploadId = await driver.uploadVideo(appUser, openId, videoBytes(3_000));
    const created = await driver.createPost(appUser, openId, { uploadId, privacyLevel: 'SELF_ONLY' });
    const key = { appUser, openId, postId: created.json.postId as string };
    posting.emulator.faults.push({ ...(DISPLAY_VARIANTS[1] as Variant).fault('publish_status'), count: 1 });
    for (let i = 0; i < 20 && posting.emulator.calls.count('publish_status') === 0; i++) {
      await runPublisher(posting.deps, { deadline: Date.now() + 60_000, checkWaiting: true });
    }
    const refusedAt = posting.emulator.calls.list('publish_status')[0];
    expect(refusedAt?.status).toBe(429);
    const post = await posting.deps.posts.get(key);
    // The publisher's clock is read just before the call, the emulator's on arrival: a second of slack.
    expect(post?.dueAt).toBeGreaterThanOrEqual((refusedAt?.at ?? 0) + RETRY_AFTER_SECONDS * 1000 - 1000);
  });
});
