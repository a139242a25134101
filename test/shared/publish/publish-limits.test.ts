/**
 * The publisher against TikTok's limits and refusals, and against its own failures: creator_info's 20 and init's
 * 6 a minute per token (the emulator counts them), an unexpected error before and after init, status/fetch's
 * answer variants, post.publish.* webhooks signed by the emulator, caps and unaudited refusals.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { detailTypeOf } from '../../../shared/events/connection-events.js';
import { buildWebhookHandler } from '../../../shared/http/lifecycle-routes.js';
import {
  MAX_ATTEMPTS_BEFORE_INIT,
  PUBLISH_LEASE_MS,
  runPublisher,
} from '../../../shared/publish/publisher.js';
import type { PostStore } from '../../../shared/store/post-store.js';
import { lambdaContext } from '../../support/api-events.js';
import type { HttpAnswer } from '../../support/connect-driver.js';
import { connectAccount } from '../../support/connect-driver.js';
import { expectNoSecretLogged } from '../../support/log-scan.js';
import {
  postingDriver,
  publishUntilFinal,
  startPostingService,
  tiktokTask,
  videoBytes,
} from '../../support/posting.js';
import { routeEvent } from '../../support/route-events.js';
import type { TestService } from '../../support/service.js';

let service: TestService;
let api: ReturnType<typeof postingDriver>;
let mia: string;
let leo: string;
let ava: string;
let clockOffset = 0;
let webhookServer: Server;
let webhookUrl: string;
/** The loopback webhook endpoint spoils the signature of the next deliveries while set. */
let tamperSignature = false;

const now = () => Date.now() + clockOffset;
/** One run of the publisher Lambda (its AWS calls checked against its role): due posts, no extra checks. */
const scheduledRun = (deps = service.depsOf('PublisherFunction')) =>
  runPublisher(deps, { deadline: Date.now() + 60_000 });
const calls = (endpoint: Parameters<TestService['emulator']['calls']['list']>[0]) =>
  service.emulator.calls.list(endpoint);

beforeAll(async () => {
  service = await startPostingService({ overrides: { now } });
  service.emulator.setOptions({ dailyPostCap: 1_000 });
  api = postingDriver(service);
  mia = await connectAccount(service, 'alice', 0);
  leo = await connectAccount(service, 'alice', 1);
  ava = await connectAccount(service, 'alice', 2);
  // POST /webhooks/tiktok on loopback: the emulator's signed deliveries, as API Gateway hands them to the Lambda.
  const webhook = buildWebhookHandler(service.depsOf('TikTokWebhookFunction'));
  webhookServer = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', async () => {
      let signature = String(req.headers['tiktok-signature'] ?? '');
      if (tamperSignature)
        signature = signature.replace(/s=([0-9a-f])/, (_, c) => `s=${c === '0' ? '1' : '0'}`);
      const answer = (await webhook(
        routeEvent({
          route: 'POST /webhooks/tiktok',
          headers: { 'content-type': 'application/json', 'tiktok-signature': signature },
          body: Buffer.concat(parts).toString('utf8'),
        }),
        lambdaContext,
      )) as HttpAnswer;
      res.writeHead(answer.statusCode ?? 500, { 'content-type': 'application/json' });
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => webhookServer.listen(0, '127.0.0.1', resolve));
  webhookUrl = `http://127.0.0.1:${(webhookServer.address() as AddressInfo).port}/webhooks/tiktok`;
});
afterEach(() => {
  clockOffset = 0;
  tamperSignature = false;
  service.emulator.faults.clear();
  service.emulator.setOptions({ webhookUrl: '' });
  // A fresh minute at TikTok for every test (creator_info 20, init 6, status 30 a minute per token).
  service.emulator.clock.offsetSeconds += 61;
  expectNoSecretLogged(service);
});
afterAll(async () => {
  await new Promise((resolve) => webhookServer.close(resolve));
  await service.close();
});

async function schedule(openId: string, body: Record<string, unknown> = { privacyLevel: 'SELF_ONLY' }) {
  const uploadId = await api.uploadVideo('alice', openId, videoBytes(3_000));
  const created = await api.createPost('alice', openId, { uploadId, ...body });
  expect(created.statusCode).toBe(201);
  return created.json.postId as string;
}

const stored = async (openId: string, postId: string) =>
  (await service.deps.posts.get({ appUser: 'alice', openId, postId })) as NonNullable<
    Awaited<ReturnType<PostStore['get']>>
  >;
const view = async (openId: string, postId: string) => (await api.getPost('alice', openId, postId)).json;
const eventsOf = (postId: string) =>
  service.events.published
    .filter((e) => e.details?.postId === postId)
    .map((e) => [detailTypeOf(e.type), e.reason]);

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 5_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('creator_info: 20 a minute per user token', () => {
  it('GET creator-info past the limit: 429 problem with Retry-After, not 500', async () => {
    const answers: number[] = [];
    for (let i = 0; i < 25 && !answers.includes(429); i++) {
      answers.push((await api.creatorInfo('alice', leo)).statusCode as number);
    }
    expect(answers.filter((status) => status === 200)).toHaveLength(20);
    const limited = await api.creatorInfo('alice', leo);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers?.['retry-after']).toBe('60');
    expect(limited.headers?.['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.json.code).toBe('tiktok_rate_limited');
  });

  it('at publish time: back to scheduled until TikTok allows it, then a fresh creator_info before the one init', async () => {
    const postId = await schedule(leo);
    const inits = calls('video_init').length;
    // The creator's token spends its minute on the composer.
    while ((await api.creatorInfo('alice', leo)).statusCode === 200);
    await scheduledRun();
    const waiting = await stored(leo, postId);
    expect(waiting).toMatchObject({ status: 'scheduled', publishAttempts: 1, failReason: undefined });
    expect(waiting.dueAt).toBeGreaterThanOrEqual(now() + 59_000); // TikTok's Retry-After: 60
    expect((await view(leo, postId)).status).toBe('scheduled');
    const limitedAt = calls('creator_info').length;
    await scheduledRun(); // not due yet: TikTok is not asked again
    expect(calls('creator_info')).toHaveLength(limitedAt);
    expect(calls('video_init')).toHaveLength(inits);

    clockOffset = 61_000;
    service.emulator.clock.offsetSeconds += 61;
    const post = await publishUntilFinal(service, 'alice', leo, postId);
    expect(post.status).toBe('published');
    expect(
      calls('video_init')
        .slice(inits)
        .map((call) => call.status),
    ).toEqual([200]);
    // The creator_info right before init was answered (fresh), after the refused one.
    const init = calls('video_init').at(-1)?.at ?? 0;
    const before = calls('creator_info').filter((call) => call.at <= init);
    expect(before.at(-1)?.status).toBe(200);
    expect(before.length).toBeGreaterThan(limitedAt);
  });

  it('a post waiting for TikTok’s limit is still the user’s to cancel: cancelled, nothing sent later', async () => {
    const postId = await schedule(leo);
    const inits = calls('video_init').length;
    service.emulator.faults.push({ endpoint: 'creator_info', kind: 'rate_limit', retryAfterSeconds: 60 });
    await scheduledRun();
    expect((await view(leo, postId)).status).toBe('scheduled');
    const cancelled = await api.cancelPost('alice', leo, postId);
    expect(cancelled.statusCode).toBe(200);
    clockOffset = 61_000;
    await scheduledRun();
    expect(await view(leo, postId)).toMatchObject({ status: 'cancelled' });
    expect(calls('video_init')).toHaveLength(inits);
    expect(eventsOf(postId)).toEqual([]);
  });

  it('limited at every try: failed tiktok_rate_limited after a bounded number of tries, init never sent', async () => {
    const postId = await schedule(leo);
    const inits = calls('video_init').length;
    const asked = calls('creator_info').length;
    service.emulator.faults.push({
      endpoint: 'creator_info',
      kind: 'rate_limit',
      retryAfterSeconds: 30,
      count: 100,
    });
    for (let run = 0; run < MAX_ATTEMPTS_BEFORE_INIT + 2; run++) {
      await scheduledRun();
      clockOffset += 16 * 60_000;
    }
    expect(await view(leo, postId)).toMatchObject({ status: 'failed', failReason: 'tiktok_rate_limited' });
    expect(calls('creator_info').length - asked).toBe(MAX_ATTEMPTS_BEFORE_INIT);
    expect(calls('video_init')).toHaveLength(inits);
    expect(eventsOf(postId)).toEqual([['tiktok.post.failed', 'tiktok_rate_limited']]);
  });
});

describe('init: 6 a minute per user token', () => {
  it('the seventh post of the minute waits and is started later, each post initialised once', async () => {
    const postIds: string[] = [];
    for (let i = 0; i < 7; i++) postIds.push(await schedule(ava));
    const inits = calls('video_init').length;
    await scheduledRun();
    const states = await Promise.all(postIds.map((postId) => stored(ava, postId)));
    const waiting = states.filter((post) => post.status === 'scheduled');
    expect(waiting).toHaveLength(1);
    expect(waiting[0]?.dueAt).toBeGreaterThanOrEqual(now() + 59_000);
    expect(
      calls('video_init')
        .slice(inits)
        .map((call) => call.status)
        .sort(),
    ).toEqual([200, 200, 200, 200, 200, 200, 429]);

    clockOffset = 61_000;
    service.emulator.clock.offsetSeconds += 61;
    for (const postId of postIds) {
      expect((await publishUntilFinal(service, 'alice', ava, postId)).status).toBe('published');
    }
    const published = await Promise.all(postIds.map((postId) => view(ava, postId)));
    // One TikTok task per post: the refused init created nothing, the later one is the post's only one.
    expect(new Set(published.map((post) => post.publishId)).size).toBe(7);
    expect(
      calls('video_init')
        .slice(inits)
        .filter((call) => call.status === 200),
    ).toHaveLength(7);
    for (const post of published) expect(tiktokTask(service, post.publishId).openId).toBe(ava);
  });
});

/** The store of `deps.posts`, with one method replaced (the rest bound to the real store). */
function postsWith(name: keyof PostStore, replacement: (...args: never[]) => unknown): PostStore {
  const real = service.deps.posts;
  return new Proxy(real, {
    get: (target, prop) => {
      if (prop === name) return replacement;
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('an unexpected error in the publisher', () => {
  /** DynamoDB failing the write that marks init as sent: nothing has gone to TikTok yet. */
  const failingInitMark = (times: number) => {
    let left = times;
    return postsWith('updateAsHolder', ((...args: Parameters<PostStore['updateAsHolder']>) => {
      if (args[2].set?.stage?.S === 'init_sent' && left-- > 0)
        return Promise.reject(new Error('ProvisionedThroughputExceededException'));
      return service.deps.posts.updateAsHolder(...args);
    }) as never);
  };

  it('before init: the post is back to scheduled at once (not held for the lease), then published, init once', async () => {
    const postId = await schedule(mia);
    const inits = calls('video_init').length;
    await scheduledRun({ ...service.depsOf('PublisherFunction'), posts: failingInitMark(1) });
    const post = await stored(mia, postId);
    expect(post).toMatchObject({ status: 'scheduled', publishAttempts: 1, leaseOwner: undefined });
    expect(post.dueAt).toBeLessThan(now() + PUBLISH_LEASE_MS);
    expect(calls('video_init')).toHaveLength(inits);
    // Still the user's to cancel while it waits.
    expect((await view(mia, postId)).status).toBe('scheduled');

    clockOffset = 61_000;
    expect((await publishUntilFinal(service, 'alice', mia, postId)).status).toBe('published');
    expect(calls('video_init')).toHaveLength(inits + 1);
  });

  it('opening the token for init fails (DynamoDB or KMS): nothing sent, back to scheduled, then published once', async () => {
    const postId = await schedule(mia);
    const inits = calls('video_init').length;
    // A direct post opens its token three times before init: the checks, creator_info, init's own. The third fails.
    const deps = service.depsOf('PublisherFunction');
    let opened = 0;
    const connections = new Proxy(deps.connections, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (prop !== 'openTokens') return typeof value === 'function' ? value.bind(target) : value;
        return (...args: unknown[]) =>
          ++opened === 3
            ? Promise.reject(new Error('KMS: ThrottlingException'))
            : (value as (...a: unknown[]) => unknown).apply(target, args);
      },
    });
    await scheduledRun({ ...deps, connections });
    expect(opened).toBeGreaterThanOrEqual(3);
    const post = await stored(mia, postId);
    expect(post).toMatchObject({ status: 'scheduled', publishAttempts: 1, leaseOwner: undefined });
    expect(calls('video_init')).toHaveLength(inits);

    clockOffset = 61_000;
    expect((await publishUntilFinal(service, 'alice', mia, postId)).status).toBe('published');
    expect(calls('video_init')).toHaveLength(inits + 1);
  });

  it('TikTok refuses the access token at init (nothing created): refreshed, retried later, published once', async () => {
    const postId = await schedule(mia);
    const before = calls('video_init').length;
    const refreshes = calls('refresh').length;
    service.emulator.faults.push({ endpoint: 'video_init', kind: 'access_token_invalid' });
    await scheduledRun();
    expect(await stored(mia, postId)).toMatchObject({ status: 'scheduled', publishAttempts: 1 });
    expect(
      calls('video_init')
        .slice(before)
        .map((call) => call.status),
    ).toEqual([401]);
    expect(calls('refresh').length).toBeGreaterThan(refreshes);

    clockOffset = 61_000;
    expect((await publishUntilFinal(service, 'alice', mia, postId)).status).toBe('published');
    expect(
      calls('video_init')
        .slice(before)
        .map((call) => call.status),
    ).toEqual([401, 200]);
  });

  it('before init, every time: failed publish_error after a bounded number of tries, init never sent', async () => {
    const postId = await schedule(mia);
    const inits = calls('video_init').length;
    const deps = { ...service.depsOf('PublisherFunction'), posts: failingInitMark(1_000) };
    for (let run = 0; run < MAX_ATTEMPTS_BEFORE_INIT + 2; run++) {
      await scheduledRun(deps);
      clockOffset += 16 * 60_000;
    }
    expect(await view(mia, postId)).toMatchObject({ status: 'failed', failReason: 'publish_error' });
    expect(calls('video_init')).toHaveLength(inits);
    expect(eventsOf(postId)).toEqual([['tiktok.post.failed', 'publish_error']]);
  });

  it('after init was sent: never given back nor restarted; publish_interrupted once the lease ends, init once', async () => {
    const postId = await schedule(mia);
    const inits = calls('video_init').length;
    const losing = postsWith('recordInit', (() =>
      Promise.reject(new Error('TransactionConflictException'))) as never);
    await scheduledRun({ ...service.depsOf('PublisherFunction'), posts: losing });
    expect(await stored(mia, postId)).toMatchObject({ status: 'publishing', stage: 'init_sent' });
    await scheduledRun();
    expect((await view(mia, postId)).status).toBe('publishing');
    clockOffset = PUBLISH_LEASE_MS + 1_000;
    await scheduledRun();
    expect(await view(mia, postId)).toMatchObject({ status: 'failed', failReason: 'publish_interrupted' });
    expect(calls('video_init')).toHaveLength(inits + 1);
  });
});

/** Runs the scheduled publisher until the post has been uploaded (`processing` or later). */
async function uploaded(openId: string, postId: string) {
  for (let i = 0; i < 10; i++) {
    await scheduledRun();
    const post = await view(openId, postId);
    if (post.status !== 'scheduled' && post.status !== 'publishing') return post;
  }
  throw new Error('never uploaded');
}

describe('status/fetch answers at the polling call site', () => {
  it('an error inside HTTP 200: checked again later, then published once', async () => {
    const postId = await schedule(leo);
    expect((await uploaded(leo, postId)).status).toBe('processing');
    const polls = calls('publish_status').length;
    service.emulator.faults.push({
      endpoint: 'publish_status',
      kind: 'error_200',
      errorCode: 'internal_error',
    });
    clockOffset = 6_000;
    await scheduledRun();
    const after = await stored(leo, postId);
    expect(after).toMatchObject({ status: 'processing', statusChecks: 1 });
    expect(after.dueAt).toBeGreaterThan(now());
    clockOffset = 20_000;
    const post = await publishUntilFinal(service, 'alice', leo, postId);
    expect(post.status).toBe('published');
    expect(calls('publish_status').slice(polls)[0]).toMatchObject({ status: 200, fault: 'error_200' });
    expect(eventsOf(postId)).toEqual([['tiktok.post.published', undefined]]);
  });

  it('429 with Retry-After: the next check waits at least that long', async () => {
    const postId = await schedule(leo);
    await uploaded(leo, postId);
    service.emulator.faults.push({
      endpoint: 'publish_status',
      kind: 'rate_limit',
      retryAfterSeconds: 300,
    });
    clockOffset = 6_000;
    await scheduledRun();
    expect((await stored(leo, postId)).dueAt).toBeGreaterThanOrEqual(now() + 299_000);
    const polls = calls('publish_status').length;
    clockOffset = 200_000;
    await scheduledRun();
    expect(calls('publish_status')).toHaveLength(polls);
    clockOffset = 310_000;
    await scheduledRun();
    expect(await view(leo, postId)).toMatchObject({ status: 'published' });
  });
});

describe('post.publish.* webhooks signed by TikTok (the emulator), polling only as the fallback', () => {
  it('complete, then publicly_available with TikTok’s post id: published once, no status/fetch needed', async () => {
    service.emulator.setOptions({ webhookUrl });
    const postId = await schedule(mia, { privacyLevel: 'PUBLIC_TO_EVERYONE' });
    const polls = calls('publish_status').length;
    const { publishId } = await uploaded(mia, postId);
    const post = await waitFor(
      () => view(mia, postId),
      (p) => p.tiktokPostId !== undefined,
    );
    expect(post).toMatchObject({ status: 'published', tiktokPostId: expect.stringMatching(/^\d+$/) });
    // The emulator records a delivery once our answer reached it, which may be just after the post changed.
    const delivered = await waitFor(
      async () => service.emulator.posting.webhooksSent.filter((w) => w.content.publish_id === publishId),
      (sent) => sent.length >= 2,
    );
    // Both are sent at once (as TikTok does): either may arrive first.
    expect(delivered.map((w) => [w.event, w.status]).sort()).toEqual([
      ['post.publish.complete', 200],
      ['post.publish.publicly_available', 200],
    ]);
    expect(calls('publish_status')).toHaveLength(polls);
    expect(eventsOf(postId)).toEqual([['tiktok.post.published', undefined]]);
  });

  it('inbox_delivered ends an inbox post as inbox; failed carries TikTok’s reason', async () => {
    service.emulator.setOptions({ webhookUrl });
    const inboxId = await schedule(ava, { mode: 'inbox' });
    await uploaded(ava, inboxId);
    expect(
      (
        await waitFor(
          () => view(ava, inboxId),
          (p) => p.status === 'inbox',
        )
      ).status,
    ).toBe('inbox');

    service.emulator.posting.outcomes.push({ kind: 'fail', reason: 'file_format_check_failed' });
    const failingId = await schedule(leo);
    await uploaded(leo, failingId);
    const failed = await waitFor(
      () => view(leo, failingId),
      (p) => p.status === 'failed',
    );
    expect(failed.failReason).toBe('file_format_check_failed');
    expect(eventsOf(failingId)).toEqual([['tiktok.post.failed', 'file_format_check_failed']]);
    const sent = await waitFor(
      async () => service.emulator.posting.webhooksSent.slice(-2),
      (last) => last.at(-1)?.event === 'post.publish.failed',
    );
    const events = sent.map((w) => [w.event, w.status]);
    expect(events).toEqual([
      ['post.publish.inbox_delivered', 200],
      ['post.publish.failed', 200],
    ]);
  });

  it('a badly signed delivery is refused (401) and changes nothing; polling then finds the outcome', async () => {
    service.emulator.setOptions({ webhookUrl });
    tamperSignature = true;
    const postId = await schedule(leo);
    const { publishId } = await uploaded(leo, postId);
    const refused = await waitFor(
      async () => service.emulator.posting.webhooksSent.filter((w) => w.content.publish_id === publishId),
      (sent) => sent.length > 0,
    );
    expect(refused.map((w) => [w.event, w.status])).toEqual([['post.publish.complete', 401]]);
    expect((await view(leo, postId)).status).toBe('processing');
    const post = await publishUntilFinal(service, 'alice', leo, postId);
    expect(post.status).toBe('published');
  });
});

describe('caps and unaudited refusals: failed with TikTok’s reason, never retried blindly', () => {
  it('reached_active_user_cap: failed after one init, not tried again', async () => {
    // A new day at TikTok with room for one posting user: mia takes it.
    service.emulator.clock.offsetSeconds += 25 * 3600;
    service.emulator.setOptions({ activeUserCap: 1 });
    try {
      const first = await schedule(mia);
      expect((await publishUntilFinal(service, 'alice', mia, first)).status).toBe('published');
      const postId = await schedule(leo);
      const inits = calls('video_init').length;
      const post = await publishUntilFinal(service, 'alice', leo, postId);
      expect(post).toMatchObject({ status: 'failed', failReason: 'reached_active_user_cap' });
      clockOffset = 60 * 60_000;
      await publishUntilFinal(service, 'alice', leo, postId);
      expect(
        calls('video_init')
          .slice(inits)
          .map((call) => call.errorCode),
      ).toEqual(['reached_active_user_cap']);
      expect(eventsOf(postId)).toEqual([['tiktok.post.failed', 'reached_active_user_cap']]);
    } finally {
      service.emulator.setOptions({ activeUserCap: 10_000 });
    }
  });

  it('an app TikTok has not audited posts SELF_ONLY only: privacy_level_option_mismatch, init once', async () => {
    // Scheduled while the app was audited, published after TikTok's view changed.
    const postId = await schedule(leo, { privacyLevel: 'FOLLOWER_OF_CREATOR' });
    service.emulator.setOptions({ audited: false });
    try {
      const inits = calls('video_init').length;
      const post = await publishUntilFinal(service, 'alice', leo, postId);
      expect(post).toMatchObject({ status: 'failed', failReason: 'privacy_level_option_mismatch' });
      expect(calls('video_init')).toHaveLength(inits + 1);
    } finally {
      service.emulator.setOptions({ audited: true });
    }
  });
});
