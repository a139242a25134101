import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleTikTokWebhook } from '../../../shared/lifecycle/deauthorization-webhook.js';
import { runPublisher } from '../../../shared/publish/publisher.js';
import { signWebhook } from '../../../shared/tiktok/webhook-signature.js';
import { connectAccount } from '../../support/connect-driver.js';
import {
  postingDriver,
  publishUntilFinal as runUntilFinal,
  startPostingService,
  videoBytes,
} from '../../support/posting.js';
import type { TestService } from '../../support/service.js';
import { CLIENT_KEY, CLIENT_SECRET } from '../../support/service.js';

let service: TestService;
let api: ReturnType<typeof postingDriver>;
let mia: string;
let leo: string;
let clockOffset = 0;

const run = () => runPublisher(service.deps, { deadline: Date.now() + 60_000, checkWaiting: true });
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Runs the publisher until the post is final (each run: start, upload, then status checks). */
const publishUntilFinal = (openId: string, postId: string, sub = 'alice') =>
  runUntilFinal(service, sub, openId, postId);

beforeAll(async () => {
  service = await startPostingService({ overrides: { now: () => Date.now() + clockOffset } });
  api = postingDriver(service);
  mia = await connectAccount(service, 'alice', 0);
  leo = await connectAccount(service, 'alice', 1);
});
afterAll(() => service.close());

describe('creator info', () => {
  it('gives the creator’s nickname and privacy options, with duet and stitch disabled for a private account', async () => {
    const answer = await api.creatorInfo('alice', leo);
    expect(answer.statusCode).toBe(200);
    expect(answer.json).toMatchObject({
      nickname: 'Leo Bakes',
      privacyLevelOptions: ['FOLLOWER_OF_CREATOR', 'MUTUAL_FOLLOW_FRIENDS', 'SELF_ONLY'],
      duetDisabled: true,
      stitchDisabled: true,
      appAudited: true,
      postingBlockedReason: null,
    });
  });

  it('answers 404 for another user’s connection', async () => {
    const answer = await api.creatorInfo('mallory', mia);
    expect(answer.statusCode).toBe(404);
    expect(answer.json.code).toBe('connection_not_found');
  });
});

describe('a post end to end (DynamoDB Local, local S3, emulator)', () => {
  it('uploads in chunks straight from S3 and is published once, with TikTok’s post id', async () => {
    const bytes = videoBytes(200_123); // 3 chunks of 66,707 bytes… planned by the service: 64,000 × 2 + 72,123
    const uploadId = await api.uploadVideo('alice', mia, bytes);
    const created = await api.createPost('alice', mia, {
      uploadId,
      caption: 'Hello #fyp',
      privacyLevel: 'PUBLIC_TO_EVERYONE',
    });
    expect(created.statusCode).toBe(201);
    expect(created.json).toMatchObject({ status: 'scheduled', mode: 'direct', caption: 'Hello #fyp' });
    const post = await publishUntilFinal(mia, created.json.postId);
    expect(post.status).toBe('published');
    expect(post.tiktokPostId).toMatch(/^\d{15,20}$/);
    const tasks = [...service.emulator.posting.tasks.values()].filter((t) => t.publishId === post.publishId);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]?.sha256).toBe(sha256(bytes));
    expect(tasks[0]).toMatchObject({ chunkSize: 64_000, totalChunkCount: 3 });
    expect(
      service.events.published.filter(
        (e) => e.type === 'post_published' && e.details?.postId === post.postId,
      ),
    ).toHaveLength(1);
  });

  it('sends a video under the minimum chunk size as one chunk of its whole size', async () => {
    const bytes = videoBytes(4_999);
    const uploadId = await api.uploadVideo('alice', leo, bytes);
    const created = await api.createPost('alice', leo, { uploadId, privacyLevel: 'SELF_ONLY' });
    const post = await publishUntilFinal(leo, created.json.postId);
    expect(post.status).toBe('published');
    const task = [...service.emulator.posting.tasks.values()].find((t) => t.publishId === post.publishId);
    expect(task).toMatchObject({ chunkSize: 4_999, totalChunkCount: 1, sha256: sha256(bytes) });
  });

  it('sends an inbox post to the creator’s drafts', async () => {
    const uploadId = await api.uploadVideo('alice', mia, videoBytes(70_000));
    const created = await api.createPost('alice', mia, { uploadId, mode: 'inbox' });
    expect(created.statusCode).toBe(201);
    const post = await publishUntilFinal(mia, created.json.postId);
    expect(post.status).toBe('inbox');
  });
});

describe('refusals: 400 and nothing scheduled', () => {
  it('refuses a privacy level the creator is not offered', async () => {
    const uploadId = await api.uploadVideo('alice', leo, videoBytes(1_000));
    const answer = await api.createPost('alice', leo, { uploadId, privacyLevel: 'PUBLIC_TO_EVERYONE' });
    expect(answer.statusCode).toBe(400);
    expect(answer.json.code).toBe('privacy_level_not_allowed');
    expect(
      (await api.listPosts('alice', leo)).json.posts.some(
        (p: { uploadId: string }) => p.uploadId === uploadId,
      ),
    ).toBe(false);
  });

  it('refuses a direct post without a privacy level (there is no default)', async () => {
    const uploadId = await api.uploadVideo('alice', leo, videoBytes(1_000));
    const answer = await api.createPost('alice', leo, { uploadId });
    expect(answer.statusCode).toBe(400);
    expect(answer.json.code).toBe('privacy_level_not_allowed');
  });

  it('refuses an upload that is missing, another connection’s, or never sent', async () => {
    const created = await api.createUpload('alice', mia, { size: 1_000, contentType: 'video/mp4' });
    const notSent = await api.createPost('alice', mia, {
      uploadId: created.json.uploadId,
      privacyLevel: 'SELF_ONLY',
    });
    expect(notSent.json.code).toBe('upload_incomplete');
    const miaUpload = await api.uploadVideo('alice', mia, videoBytes(1_000));
    const crossed = await api.createPost('alice', leo, { uploadId: miaUpload, privacyLevel: 'SELF_ONLY' });
    expect(crossed.statusCode).toBe(400);
    expect(crossed.json.code).toBe('upload_not_found');
  });

  it('refuses a time in the past beyond the grace, and a caption over 2200 UTF-16 units', async () => {
    const uploadId = await api.uploadVideo('alice', leo, videoBytes(1_000));
    const past = new Date(Date.now() - 10 * 60_000).toISOString();
    const late = await api.createPost('alice', leo, { uploadId, privacyLevel: 'SELF_ONLY', publishAt: past });
    expect(late.statusCode).toBe(400);
    expect(late.json.code).toBe('publish_at_invalid');
    const long = await api.createPost('alice', leo, {
      uploadId,
      privacyLevel: 'SELF_ONLY',
      caption: '😀'.repeat(1101),
    });
    expect(long.statusCode).toBe(400);
  });

  it('refuses a presigned PUT with another Content-Type or size (signed headers)', async () => {
    const created = await api.createUpload('alice', mia, { size: 1_000, contentType: 'video/mp4' });
    const wrongType = await fetch(created.json.uploadUrl, {
      method: 'PUT',
      headers: { 'content-type': 'video/webm' },
      body: new Uint8Array(1_000),
    });
    expect(wrongType.status).toBe(403);
    const wrongSize = await fetch(created.json.uploadUrl, {
      method: 'PUT',
      headers: { 'content-type': 'video/mp4' },
      body: new Uint8Array(999),
    });
    expect(wrongSize.status).toBe(403);
  });
});

describe('exactly once', () => {
  it('two publishers racing for one due post send one init', async () => {
    const uploadId = await api.uploadVideo('alice', leo, videoBytes(20_000));
    const created = await api.createPost('alice', leo, { uploadId, privacyLevel: 'SELF_ONLY' });
    const before = service.emulator.calls.count('video_init');
    await Promise.all([run(), run(), run()]);
    const post = await publishUntilFinal(leo, created.json.postId);
    expect(post.status).toBe('published');
    expect(service.emulator.calls.count('video_init') - before).toBe(1);
  });

  it('a lost init answer ends failed with publish_interrupted, and init is never sent again', async () => {
    const uploadId = await api.uploadVideo('alice', leo, videoBytes(20_000));
    const created = await api.createPost('alice', leo, { uploadId, privacyLevel: 'SELF_ONLY' });
    const before = service.emulator.calls.count('video_init');
    service.emulator.faults.push({ endpoint: 'video_init', kind: 'close' });
    const post = await publishUntilFinal(leo, created.json.postId);
    expect(post).toMatchObject({ status: 'failed', failReason: 'publish_interrupted' });
    expect(service.emulator.calls.count('video_init') - before).toBe(1);
  });
});

describe('cancellation', () => {
  it('cancels a scheduled post, and answers 409 once publishing has begun', async () => {
    const uploadId = await api.uploadVideo('alice', leo, videoBytes(2_000));
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const scheduled = await api.createPost('alice', leo, {
      uploadId,
      privacyLevel: 'SELF_ONLY',
      publishAt: later,
    });
    const cancelled = await api.cancelPost('alice', leo, scheduled.json.postId);
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json.status).toBe('cancelled');
    const now = await api.createPost('alice', leo, { uploadId, privacyLevel: 'SELF_ONLY' });
    await publishUntilFinal(leo, now.json.postId);
    const refused = await api.cancelPost('alice', leo, now.json.postId);
    expect(refused.statusCode).toBe(409);
    expect(refused.json.code).toBe('post_not_cancellable');
    expect((await api.cancelPost('mallory', leo, now.json.postId)).statusCode).toBe(404);
  });
});

describe('TikTok refusals at publish time', () => {
  it('a daily cap is the post’s fail reason, not retried', async () => {
    const uploadId = await api.uploadVideo('alice', leo, videoBytes(2_000));
    const created = await api.createPost('alice', leo, { uploadId, privacyLevel: 'SELF_ONLY' });
    service.emulator.setOptions({ dailyPostCap: 1 });
    try {
      const post = await publishUntilFinal(leo, created.json.postId);
      expect(post).toMatchObject({ status: 'failed', failReason: 'spam_risk_too_many_posts' });
      const failed = service.events.published.filter(
        (e) => e.type === 'post_failed' && e.details?.postId === post.postId,
      );
      expect(failed).toHaveLength(1);
    } finally {
      service.emulator.setOptions({ dailyPostCap: 15 });
    }
  });

  it('TikTok’s processing failure is the post’s fail reason', async () => {
    const uploadId = await api.uploadVideo('alice', leo, videoBytes(2_000));
    const created = await api.createPost('alice', leo, { uploadId, privacyLevel: 'SELF_ONLY' });
    service.emulator.posting.outcomes.push({ kind: 'fail', reason: 'file_format_check_failed' });
    const post = await publishUntilFinal(leo, created.json.postId);
    expect(post).toMatchObject({ status: 'failed', failReason: 'file_format_check_failed' });
  });
});

/** Runs the publisher until the post has left `scheduled`/`publishing` (uploaded), without status checks. */
async function uploadUntilProcessing(openId: string, postId: string) {
  for (let i = 0; i < 20; i++) {
    await runPublisher(service.deps, { deadline: Date.now() + 60_000 });
    const post = (await api.getPost('alice', openId, postId)).json;
    if (post.status !== 'scheduled' && post.status !== 'publishing') return post;
  }
  const post = (await api.getPost('alice', openId, postId)).json;
  const logs = service.logs.filter((line) => line.includes('publish') || line.includes('error')).slice(-8);
  throw new Error(`never uploaded: ${JSON.stringify(post)}\n${logs.join('\n')}`);
}

function deliver(event: string, openId: string, content: Record<string, unknown>) {
  const rawBody = JSON.stringify({
    client_key: CLIENT_KEY,
    event,
    create_time: Math.floor(Date.now() / 1000),
    user_openid: openId,
    content: JSON.stringify(content),
  });
  return handleTikTokWebhook(service.deps, {
    rawBody,
    signatureHeader: signWebhook(CLIENT_SECRET, rawBody, Math.floor(Date.now() / 1000)),
  });
}

describe('status by webhook, polling as the fallback', () => {
  it('post.publish.complete publishes the post once; publicly_available adds TikTok’s post id', async () => {
    service.emulator.posting.outcomes.push({ kind: 'stuck' });
    const uploadId = await api.uploadVideo('alice', mia, videoBytes(3_000));
    const created = await api.createPost('alice', mia, { uploadId, privacyLevel: 'PUBLIC_TO_EVERYONE' });
    const processing = await uploadUntilProcessing(mia, created.json.postId);
    expect(processing.status).toBe('processing');
    const publishId = processing.publishId as string;
    expect(
      (await deliver('post.publish.complete', mia, { publish_id: publishId, publish_type: 'DIRECT_POST' }))
        .body,
    ).toMatchObject({ handled: true });
    await deliver('post.publish.complete', mia, { publish_id: publishId, publish_type: 'DIRECT_POST' });
    await deliver('post.publish.publicly_available', mia, {
      publish_id: publishId,
      post_id: '7301234567890123456',
    });
    const post = (await api.getPost('alice', mia, created.json.postId)).json;
    expect(post).toMatchObject({ status: 'published', tiktokPostId: '7301234567890123456' });
    const events = service.events.published.filter((e) => e.details?.postId === post.postId);
    expect(events.map((e) => e.type)).toEqual(['post_published']);
  });

  it('post.publish.failed fails the post with TikTok’s reason; a forged signature is refused', async () => {
    service.emulator.posting.outcomes.push({ kind: 'stuck' });
    const uploadId = await api.uploadVideo('alice', leo, videoBytes(3_000));
    const created = await api.createPost('alice', leo, { uploadId, privacyLevel: 'SELF_ONLY' });
    const processing = await uploadUntilProcessing(leo, created.json.postId);
    const rawBody = JSON.stringify({
      client_key: CLIENT_KEY,
      event: 'post.publish.failed',
      user_openid: leo,
      content: '{}',
    });
    await expect(
      handleTikTokWebhook(service.deps, {
        rawBody,
        signatureHeader: signWebhook('wrong-secret', rawBody, Math.floor(Date.now() / 1000)),
      }),
    ).rejects.toMatchObject({ status: 401 });
    await deliver('post.publish.failed', leo, {
      publish_id: processing.publishId,
      reason: 'duration_check_failed',
    });
    const post = (await api.getPost('alice', leo, created.json.postId)).json;
    expect(post).toMatchObject({ status: 'failed', failReason: 'duration_check_failed' });
  });

  it('a post TikTok never finishes ends failed with status_timeout after the bounded time', async () => {
    // An account of its own: leo's token has used up TikTok's six inits a minute in the tests before.
    const ivy = await connectAccount(service, 'alice', 2);
    service.emulator.posting.outcomes.push({ kind: 'stuck' });
    const uploadId = await api.uploadVideo('alice', ivy, videoBytes(3_000));
    const created = await api.createPost('alice', ivy, { uploadId, privacyLevel: 'SELF_ONLY' });
    expect((await uploadUntilProcessing(ivy, created.json.postId)).status).toBe('processing');
    await run();
    expect((await api.getPost('alice', ivy, created.json.postId)).json.status).toBe('processing');
    clockOffset = 61 * 60_000;
    try {
      await run();
      const post = (await api.getPost('alice', ivy, created.json.postId)).json;
      expect(post).toMatchObject({ status: 'failed', failReason: 'status_timeout' });
    } finally {
      clockOffset = 0;
    }
  });
});

describe('unaudited app', () => {
  it('TikTok refuses a public account: failed with unaudited_client_can_only_post_to_private_accounts, init once', async () => {
    const uploadId = await api.uploadVideo('alice', mia, videoBytes(3_000));
    const created = await api.createPost('alice', mia, { uploadId, privacyLevel: 'SELF_ONLY' });
    service.emulator.setOptions({ audited: false });
    try {
      const before = service.emulator.calls.count('video_init');
      const post = await publishUntilFinal(mia, created.json.postId);
      expect(post).toMatchObject({
        status: 'failed',
        failReason: 'unaudited_client_can_only_post_to_private_accounts',
      });
      expect(service.emulator.calls.count('video_init') - before).toBe(1);
    } finally {
      service.emulator.setOptions({ audited: true });
    }
  });

  it('another user cannot read or cancel the post (404)', async () => {
    const page = (await api.listPosts('alice', mia)).json;
    const postId = page.posts[0].postId;
    expect((await api.getPost('mallory', mia, postId)).statusCode).toBe(404);
    expect((await api.listPosts('mallory', mia)).statusCode).toBe(404);
  });
});
