/**
 * When a run starts posts: at their own instant when the schedule's period is looked ahead (never before it), and
 * every due post's init before any post's chunks, so a burst does not wait behind the uploads ahead of it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { planChunks } from '../../../shared/publish/chunk-plan.js';
import { runPublisher } from '../../../shared/publish/publisher.js';
import { buildPublisherHandler } from '../../../shared/publish/publisher-handler.js';
import { lambdaContext } from '../../support/api-events.js';
import { connectAccount } from '../../support/connect-driver.js';
import { expectNoSecretLogged } from '../../support/log-scan.js';
import {
  postingDriver,
  publishUntilFinal,
  SMALL_RULES,
  startPostingService,
  videoBytes,
} from '../../support/posting.js';
import type { TestService } from '../../support/service.js';

let service: TestService;
let api: ReturnType<typeof postingDriver>;
const accounts: string[] = [];

beforeAll(async () => {
  // Uploads one at a time, starts three at once.
  service = await startPostingService({
    env: { PUBLISH_CONCURRENCY: '1', PUBLISH_START_CONCURRENCY: '3', PUBLISH_LOOKAHEAD_SECONDS: '4' },
  });
  service.emulator.setOptions({ dailyPostCap: 1_000 });
  api = postingDriver(service);
  for (let i = 0; i < 3; i++) accounts.push(await connectAccount(service, 'alice', i));
});
afterEach(() => {
  // A fresh minute at TikTok for every test (init 6 a minute per token).
  service.emulator.clock.offsetSeconds += 61;
  expectNoSecretLogged(service);
});
afterAll(async () => {
  await service.close();
});

async function schedule(openId: string, size: number, publishAt?: string) {
  const uploadId = await api.uploadVideo('alice', openId, videoBytes(size));
  const created = await api.createPost('alice', openId, {
    uploadId,
    privacyLevel: 'SELF_ONLY',
    ...(publishAt ? { publishAt } : {}),
  });
  expect(created.statusCode).toBe(201);
  return created.json.postId as string;
}

const statusOf = async (openId: string, postId: string) =>
  (await api.getPost('alice', openId, postId)).json.status as string;
const initTimes = () => service.emulator.calls.list('video_init').map((call) => call.at);

describe('looking ahead by the schedule period', () => {
  it('the scheduled run takes a post due before the next run and starts it at its instant, not before', async () => {
    const publishAt = new Date(Date.now() + 2_500);
    const postId = await schedule(accounts[0] as string, 3_000, publishAt.toISOString());
    const before = initTimes().length;
    // The Lambda handler: its lookahead comes from PUBLISH_LOOKAHEAD_SECONDS (the stack sets the rule's period).
    const handler = buildPublisherHandler(service.depsOf('PublisherFunction'));
    const report = await handler(undefined, { ...lambdaContext, getRemainingTimeInMillis: () => 60_000 });
    expect(report.started).toBe(1);
    const inits = initTimes().slice(before);
    expect(inits).toHaveLength(1);
    // Never before publishAt (the claim refuses a post not yet due), and this run, not a minute later.
    expect(inits[0]).toBeGreaterThanOrEqual(publishAt.getTime());
    expect(['processing', 'published']).toContain(await statusOf(accounts[0] as string, postId));
  });

  it('without the lookahead the same run leaves it for later', async () => {
    const postId = await schedule(accounts[1] as string, 3_000, new Date(Date.now() + 2_500).toISOString());
    const report = await runPublisher(service.depsOf('PublisherFunction'), { deadline: Date.now() + 60_000 });
    expect(report.due).toBe(0);
    expect(await statusOf(accounts[1] as string, postId)).toBe('scheduled');
    await new Promise((resolve) => setTimeout(resolve, 2_600));
    expect((await publishUntilFinal(service, 'alice', accounts[1] as string, postId)).status).toBe(
      'published',
    );
  });

  it('a post due after the run would end is not waited for: the next run takes it', async () => {
    const postId = await schedule(accounts[2] as string, 3_000, new Date(Date.now() + 3_000).toISOString());
    const began = Date.now();
    const report = await runPublisher(service.depsOf('PublisherFunction'), {
      deadline: Date.now() + 11_000,
      lookaheadMs: 4_000,
    });
    expect(Date.now() - began).toBeLessThan(2_500);
    expect(report.started).toBe(0);
    expect(initTimes().filter((at) => at >= began)).toHaveLength(0);
    expect(await statusOf(accounts[2] as string, postId)).toBe('scheduled');
    await new Promise((resolve) => setTimeout(resolve, 3_000 - (Date.now() - began)));
    expect((await publishUntilFinal(service, 'alice', accounts[2] as string, postId)).status).toBe(
      'published',
    );
  });

  it('a post cancelled while the run waits for its instant is not started', async () => {
    const openId = accounts[0] as string;
    const postId = await schedule(openId, 3_000, new Date(Date.now() + 2_000).toISOString());
    const before = initTimes().length;
    const began = Date.now();
    const run = runPublisher(service.depsOf('PublisherFunction'), {
      deadline: Date.now() + 60_000,
      lookaheadMs: 4_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await api.cancelPost('alice', openId, postId)).statusCode).toBe(200);
    // The run saw the post and waited for its instant, then found it cancelled.
    expect((await run).due).toBe(1);
    expect(Date.now() - began).toBeGreaterThanOrEqual(1_900);
    expect(initTimes()).toHaveLength(before);
    expect(await statusOf(openId, postId)).toBe('cancelled');
  });
});

describe('starts before uploads', () => {
  it('every due post gets its init before any post streams its chunks; one upload at a time (PUBLISH_CONCURRENCY=1)', async () => {
    // Three multi-chunk videos due now, one per account (TikTok's init limit is per token).
    const postIds = [];
    for (const openId of accounts) postIds.push([openId, await schedule(openId, 150_000)] as const);
    const before = service.emulator.calls.list().length;
    // Chunk PUTs in flight at once, seen from the publisher's side.
    const deps = service.depsOf('PublisherFunction');
    let inFlight = 0;
    let mostInFlight = 0;
    const tiktokPosting = {
      ...deps.tiktokPosting,
      putChunk: async (...args: Parameters<typeof deps.tiktokPosting.putChunk>) => {
        mostInFlight = Math.max(mostInFlight, ++inFlight);
        try {
          return await deps.tiktokPosting.putChunk(...args);
        } finally {
          inFlight -= 1;
        }
      },
    };
    await runPublisher({ ...deps, tiktokPosting }, { deadline: Date.now() + 60_000 });
    expect(mostInFlight).toBe(1);
    const order = service.emulator.calls
      .list()
      .slice(before)
      .map((call) => call.endpoint)
      .filter((endpoint) => endpoint === 'video_init' || endpoint === 'upload_chunk');
    const firstChunk = order.indexOf('upload_chunk');
    expect(order.filter((endpoint) => endpoint === 'video_init')).toHaveLength(3);
    expect(order.lastIndexOf('video_init')).toBeLessThan(firstChunk);
    // Each upload then ran to its end in the same run, every chunk once.
    const chunks = planChunks(150_000, SMALL_RULES).totalChunkCount;
    expect(chunks).toBeGreaterThan(1);
    expect(order.filter((endpoint) => endpoint === 'upload_chunk')).toHaveLength(3 * chunks);
    for (const [openId, postId] of postIds) {
      expect(['processing', 'published']).toContain(await statusOf(openId, postId));
    }
  });
});
