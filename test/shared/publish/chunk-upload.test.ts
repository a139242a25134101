/**
 * The chunked PUT to TikTok's upload URL when things go wrong: a 416 (TikTok and we disagree on how far the
 * upload got), 5xx answers, a run that runs out of Lambda time mid-upload, an upload URL past its hour. DynamoDB
 * Local, the local S3 and the emulator; the emulator hashes the bytes it assembled and logs every PUT it got.
 */
import { createHash } from 'node:crypto';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runPublisher } from '../../../shared/publish/publisher.js';
import { buildPublisherHandler } from '../../../shared/publish/publisher-handler.js';
import { num } from '../../../shared/store/attributes.js';
import { postItemKey } from '../../../shared/store/post-store.js';
import { connectAccount } from '../../support/connect-driver.js';
import { localDynamoClient } from '../../support/dynamodb.js';
import { expectNoSecretLogged } from '../../support/log-scan.js';
import {
  postingDriver,
  publishUntilFinal,
  startPostingService,
  tiktokTask,
  videoBytes,
} from '../../support/posting.js';
import type { TestService } from '../../support/service.js';

let service: TestService;
let api: ReturnType<typeof postingDriver>;
let leo: string;
let clockOffset = 0;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
/** 200,123 bytes with the tests' chunk rules: 64,000 + 64,000 + a last chunk of 72,123. */
const SIZE = 200_123;
const RANGES = [
  [0, 63_999],
  [64_000, 127_999],
  [128_000, 200_122],
];

beforeAll(async () => {
  service = await startPostingService({ overrides: { now: () => Date.now() + clockOffset } });
  // Many posts from one creator here: the daily cap is tested elsewhere (publishing.test.ts).
  service.emulator.setOptions({ dailyPostCap: 1_000 });
  api = postingDriver(service);
  leo = await connectAccount(service, 'alice', 1);
});
afterEach(() => {
  clockOffset = 0;
  service.emulator.faults.clear();
  // A fresh minute at TikTok for every test: init allows 6 a minute per token.
  service.emulator.clock.offsetSeconds += 61;
  expectNoSecretLogged(service);
});
afterAll(() => service.close());

async function schedule(bytes: Buffer) {
  const uploadId = await api.uploadVideo('alice', leo, bytes);
  const created = await api.createPost('alice', leo, { uploadId, privacyLevel: 'SELF_ONLY' });
  expect(created.statusCode).toBe(201);
  return created.json.postId as string;
}

/** The publisher Lambda's deps: its AWS calls checked against its role in the synthesized stack. */
const publisher = () => service.depsOf('PublisherFunction');
const keyOf = (postId: string) => ({ appUser: 'alice', openId: leo, postId });
const initsSince = (before: number) => service.emulator.calls.count('video_init') - before;
/** The byte ranges TikTok took (206/201), in the order it took them. */
const accepted = (publishId: string) =>
  tiktokTask(service, publishId)
    .chunkPuts.filter((put) => put.status === 206 || put.status === 201)
    .map((put) => [put.first, put.last]);

/** The scheduled publisher Lambda with this much time left: the run stops before it would overrun. */
function publisherWithTimeLeft(ms: number) {
  const handler = buildPublisherHandler(publisher());
  return handler({}, { getRemainingTimeInMillis: () => ms } as Context);
}

/** One run that stops for lack of time after the first chunk (that chunk is slow: the next would not fit). */
async function uploadFirstChunkOnly(postId: string) {
  service.emulator.faults.push({ endpoint: 'upload_chunk', kind: 'slow', delayMs: 1_500 });
  await publisherWithTimeLeft(23_000);
  const post = await service.deps.posts.get(keyOf(postId));
  expect(post).toMatchObject({ status: 'publishing', stage: 'uploading', nextChunk: 1, totalChunks: 3 });
  return post as NonNullable<typeof post>;
}

describe('a 416 from the upload URL: resynchronised from TikTok’s own count', () => {
  it('a chunk TikTok took whose answer was lost is not counted twice: published with the exact bytes', async () => {
    const bytes = videoBytes(SIZE);
    const postId = await schedule(bytes);
    const inits = service.emulator.calls.count('video_init');
    // Chunk 0 reaches TikTok, the answer does not: the retry of chunk 0 gets 416.
    service.emulator.faults.push({ endpoint: 'upload_chunk', kind: 'answer_lost' });
    const post = await publishUntilFinal(service, 'alice', leo, postId);
    expect(post.status).toBe('published');
    const task = tiktokTask(service, post.publishId);
    expect(task.chunkPuts.map((put) => put.status)).toEqual([206, 416, 206, 201]);
    expect(accepted(post.publishId)).toEqual(RANGES);
    expect(task.receivedBytes).toBe(SIZE);
    expect(task.sha256).toBe(sha256(bytes));
    expect(initsSince(inits)).toBe(1);
  });

  it('the last chunk’s 201 lost: TikTok has every byte, so the upload is done (not stuck resending it)', async () => {
    const bytes = videoBytes(SIZE);
    const postId = await schedule(bytes);
    // Chunks 0 and 1 pass (a zero-delay `slow` lets a call through), chunk 2's answer is lost.
    service.emulator.faults.push({ endpoint: 'upload_chunk', kind: 'slow', count: 2 });
    service.emulator.faults.push({ endpoint: 'upload_chunk', kind: 'answer_lost' });
    const post = await publishUntilFinal(service, 'alice', leo, postId);
    expect(post.status).toBe('published');
    const task = tiktokTask(service, post.publishId);
    expect(task.chunkPuts.map((put) => put.status)).toEqual([206, 206, 201, 416]);
    expect(task.sha256).toBe(sha256(bytes));
    expect(task.status).toBe('PUBLISH_COMPLETE');
  });

  it('our record ahead of TikTok’s count: the upload goes back to the chunk TikTok expects', async () => {
    const bytes = videoBytes(SIZE);
    const postId = await schedule(bytes);
    const inits = service.emulator.calls.count('video_init');
    await uploadFirstChunkOnly(postId);
    // The stored progress says two chunks were sent; TikTok has one.
    await localDynamoClient().send(
      new UpdateItemCommand({
        TableName: service.tableName,
        Key: postItemKey(keyOf(postId)),
        UpdateExpression: 'SET nextChunk = :two',
        ExpressionAttributeValues: { ':two': num(2) },
      }),
    );
    const post = await publishUntilFinal(service, 'alice', leo, postId);
    expect(post.status).toBe('published');
    const task = tiktokTask(service, post.publishId);
    expect(task.chunkPuts.map((put) => [put.first, put.status])).toEqual([
      [0, 206],
      [128_000, 416],
      [64_000, 206],
      [128_000, 201],
    ]);
    expect(task.sha256).toBe(sha256(bytes));
    expect(initsSince(inits)).toBe(1);
  });

  it('status/fetch rate-limited while resynchronising: the post waits for a later run, then goes on', async () => {
    const bytes = videoBytes(SIZE);
    const postId = await schedule(bytes);
    service.emulator.faults.push({ endpoint: 'upload_chunk', kind: 'answer_lost' });
    service.emulator.faults.push({ endpoint: 'publish_status', kind: 'rate_limit', retryAfterSeconds: 60 });
    await runPublisher(publisher(), { deadline: Date.now() + 60_000 });
    const waiting = await service.deps.posts.get(keyOf(postId));
    // TikTok only asked us to wait: not counted as a failed run, and not due again before its Retry-After.
    expect(waiting).toMatchObject({
      status: 'publishing',
      stage: 'uploading',
      nextChunk: 0,
      uploadRetries: 0,
    });
    expect(waiting?.dueAt).toBeGreaterThanOrEqual(Date.now() + 59_000);
    clockOffset = 60_000;
    const post = await publishUntilFinal(service, 'alice', leo, postId);
    expect(post.status).toBe('published');
    expect(accepted(post.publishId)).toEqual(RANGES);
    expect(tiktokTask(service, post.publishId).sha256).toBe(sha256(bytes));
  });
});

describe('a chunk PUT answered 5xx', () => {
  it('once: the chunk is sent again, TikTok takes each chunk once, published', async () => {
    const bytes = videoBytes(SIZE);
    const postId = await schedule(bytes);
    const puts = service.emulator.calls.count('upload_chunk');
    service.emulator.faults.push({ endpoint: 'upload_chunk', kind: 'http_500' });
    const post = await publishUntilFinal(service, 'alice', leo, postId);
    expect(post.status).toBe('published');
    expect(accepted(post.publishId)).toEqual(RANGES);
    expect(tiktokTask(service, post.publishId).sha256).toBe(sha256(bytes));
    // The 500 (answered before the emulator took the chunk) and the three chunks.
    const calls = service.emulator.calls.list('upload_chunk').slice(puts);
    expect(calls.map((call) => call.status)).toEqual([500, 206, 206, 201]);
  });

  it('every time: a bounded number of tries over a few runs, then failed with a reason (never stuck)', async () => {
    const postId = await schedule(videoBytes(SIZE));
    const puts = service.emulator.calls.count('upload_chunk');
    service.emulator.faults.push({ endpoint: 'upload_chunk', kind: 'http_503', count: 1_000 });
    let post = (await api.getPost('alice', leo, postId)).json;
    for (let run = 0; run < 6 && post.status !== 'failed'; run++) {
      await runPublisher(publisher(), { deadline: Date.now() + 60_000 });
      post = (await api.getPost('alice', leo, postId)).json;
      if (post.status !== 'failed') {
        // Given back for later, not held: due again within minutes.
        const stored = await service.deps.posts.get(keyOf(postId));
        expect(stored?.dueAt).toBeGreaterThan(Date.now() + clockOffset);
        expect(stored?.dueAt).toBeLessThan(Date.now() + clockOffset + 5 * 60_000);
        clockOffset += 5 * 60_000;
      }
    }
    expect(post).toMatchObject({ status: 'failed', failReason: 'tiktok_upload_unavailable' });
    // Three runs of three tries each, on chunk 0 only.
    expect(service.emulator.calls.count('upload_chunk') - puts).toBe(9);
    const failed = service.events.published.filter(
      (e) => e.type === 'post_failed' && e.details?.postId === postId,
    );
    expect(failed.map((e) => e.reason)).toEqual(['tiktok_upload_unavailable']);
  });
});

describe('resume', () => {
  it('a run out of Lambda time records progress per chunk; the next run goes on at the next chunk, init once', async () => {
    const bytes = videoBytes(SIZE);
    const postId = await schedule(bytes);
    const inits = service.emulator.calls.count('video_init');
    const stopped = await uploadFirstChunkOnly(postId);
    // Given back at once (not held for the lease), progress visible in the API.
    expect(stopped.dueAt).toBeLessThanOrEqual(Date.now());
    const view = (await api.getPost('alice', leo, postId)).json;
    expect(view).toMatchObject({ status: 'publishing', upload: { chunksSent: 1, totalChunks: 3 } });
    expect(accepted(stopped.publishId as string)).toEqual([RANGES[0]]);

    const post = await publishUntilFinal(service, 'alice', leo, postId);
    expect(post.status).toBe('published');
    // No chunk before the recorded one sent again: exactly three PUTs, in order.
    expect(tiktokTask(service, post.publishId).chunkPuts.map((put) => [put.first, put.last])).toEqual(RANGES);
    expect(tiktokTask(service, post.publishId).sha256).toBe(sha256(bytes));
    expect(initsSince(inits)).toBe(1);
  });

  it('three publishers racing to resume one post: each remaining chunk is sent once', async () => {
    const bytes = videoBytes(SIZE);
    const postId = await schedule(bytes);
    await uploadFirstChunkOnly(postId);
    const run = () => runPublisher(publisher(), { deadline: Date.now() + 60_000 });
    await Promise.all([run(), run(), run()]);
    const post = await publishUntilFinal(service, 'alice', leo, postId);
    expect(post.status).toBe('published');
    expect(tiktokTask(service, post.publishId).chunkPuts.map((put) => [put.first, put.last])).toEqual(RANGES);
    expect(tiktokTask(service, post.publishId).sha256).toBe(sha256(bytes));
  });

  it('the upload URL’s hour passed before the rest: failed upload_url_expired, never a second init', async () => {
    const postId = await schedule(videoBytes(SIZE));
    const inits = service.emulator.calls.count('video_init');
    const stopped = await uploadFirstChunkOnly(postId);
    clockOffset = 61 * 60_000;
    service.emulator.clock.offsetSeconds += 61 * 60;
    const post = await publishUntilFinal(service, 'alice', leo, postId);
    expect(post).toMatchObject({ status: 'failed', failReason: 'upload_url_expired' });
    expect(initsSince(inits)).toBe(1);
    expect(tiktokTask(service, stopped.publishId as string).chunkPuts).toHaveLength(1);
  });

  it('TikTok says the URL expired (403) while we thought it lived: failed upload_url_expired, init once', async () => {
    const postId = await schedule(videoBytes(SIZE));
    const inits = service.emulator.calls.count('video_init');
    const stopped = await uploadFirstChunkOnly(postId);
    service.emulator.clock.offsetSeconds += 61 * 60;
    const post = await publishUntilFinal(service, 'alice', leo, postId);
    expect(post).toMatchObject({ status: 'failed', failReason: 'upload_url_expired' });
    expect(initsSince(inits)).toBe(1);
    const puts = tiktokTask(service, stopped.publishId as string).chunkPuts;
    expect(puts.map((put) => put.status)).toEqual([206, 403]);
  });
});

it('the log scan catches an upload URL, its token or a presigned S3 URL in a log line, in any encoding', async () => {
  const uploadId = await api.uploadVideo('alice', leo, videoBytes(1_000));
  expect(uploadId).toBeTruthy();
  const presigned = service.secrets.find((secret) => secret.includes('X-Amz-Signature')) as string;
  const uploadUrl = service.emulator.secretsSeen().find((secret) => secret.includes('/upload/?')) as string;
  const uploadToken = new URL(uploadUrl).searchParams.get('upload_token') as string;
  const leaks = [
    `{"url":${JSON.stringify(uploadUrl)}}`,
    `token=${encodeURIComponent(uploadToken)}`,
    Buffer.from(presigned).toString('base64'),
    new URL(presigned).searchParams.get('X-Amz-Signature') as string,
  ];
  for (const line of leaks) {
    expect(() => expectNoSecretLogged({ ...service, logs: [line] })).toThrow(/upload URL/);
  }
});
