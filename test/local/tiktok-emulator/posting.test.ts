/**
 * The emulator's Content Posting API is the referee of the publisher's tests: each rule the publisher relies on is
 * checked here against raw HTTP, so a rule the emulator stopped enforcing would show.
 */
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TikTokEmulator } from '../../../local/tiktok-emulator/index.js';
import { ALL_SCOPES, CLIENT_SECRET, connectUser, startEmulator, userNamed } from './emulator-fixture.js';

let emulator: TikTokEmulator;
let token: string;

const SMALL = { minChunkBytes: 5_000, maxChunkBytes: 64_000, maxFinalChunkBytes: 128_000 };

beforeEach(async () => {
  emulator = await startEmulator({ chunkRules: SMALL, processingMs: 10 });
  const leo = userNamed(emulator, 'Leo Bakes').openId;
  token = (await connectUser(emulator, leo, [...ALL_SCOPES, 'video.publish', 'video.upload'])).access_token;
});
afterEach(() => emulator.close());

/** The `{data, error}` envelope, with the fields these tests read. */
type TikTokAnswer = {
  data: { upload_url: string; publish_id: string; uploaded_bytes?: number };
  error: { code: string; message: string };
};

async function call(path: string, body: unknown = {}) {
  const response = await fetch(`${emulator.apiBaseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as TikTokAnswer,
  };
}

const init = (source: Record<string, unknown>, privacy = 'SELF_ONLY') =>
  call('/v2/post/publish/video/init/', {
    post_info: { title: 'x', privacy_level: privacy },
    source_info: { source: 'FILE_UPLOAD', ...source },
  });

function put(url: string, first: number, last: number, total: number, length = last - first + 1) {
  return fetch(url, {
    method: 'PUT',
    headers: {
      'content-type': 'video/mp4',
      'content-range': `bytes ${first}-${last}/${total}`,
    },
    body: new Uint8Array(length),
  }).then((response) => response.status);
}

describe('init', () => {
  it.each([
    [{ video_size: 200_000, chunk_size: 64_000, total_chunk_count: 4 }, /floor/],
    [{ video_size: 200_000, chunk_size: 4_000, total_chunk_count: 50 }, /5 MB to 64 MB/],
    [{ video_size: 100_000, chunk_size: 100_000, total_chunk_count: 1 }, /5 MB to 64 MB/],
    [{ video_size: 4_000, chunk_size: 1_000, total_chunk_count: 4 }, /one chunk/],
    [{ video_size: 200_000, chunk_size: 50_000, total_chunk_count: 4 }, undefined],
    [{ video_size: 260_000, chunk_size: 64_000, total_chunk_count: 4 }, undefined],
  ])('checks the chunk plan %o', async (source, problem) => {
    const answer = await init(source);
    if (problem === undefined) {
      expect(answer.status).toBe(200);
      expect(answer.json.data.upload_url).toMatch(/^http/);
    } else {
      expect(answer.status).toBe(400);
      expect(answer.json.error.code).toBe('invalid_params');
      expect(answer.json.error.message).toMatch(problem);
    }
  });

  it('allows 6 a minute per token, then 429 with Retry-After; a minute later at TikTok, again', async () => {
    const source = { video_size: 1_000, chunk_size: 1_000, total_chunk_count: 1 };
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await init(source)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429]);
    const limited = await init(source);
    expect(limited.headers.get('retry-after')).toBe('60');
    expect(limited.json.error.code).toBe('rate_limit_exceeded');
    emulator.clock.offsetSeconds += 61;
    expect((await init(source)).status).toBe(200);
  });

  it('creator_info allows 20 a minute per token', async () => {
    const statuses = [];
    for (let i = 0; i < 21; i++) statuses.push((await call('/v2/post/publish/creator_info/query/')).status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(20);
    expect(statuses.at(-1)).toBe(429);
  });

  it('an unaudited app: SELF_ONLY only, private accounts only', async () => {
    emulator.setOptions({ audited: false });
    const source = { video_size: 1_000, chunk_size: 1_000, total_chunk_count: 1 };
    const followers = await init(source, 'FOLLOWER_OF_CREATOR');
    expect(followers.json.error.code).toBe('privacy_level_option_mismatch');
    expect((await init(source, 'SELF_ONLY')).status).toBe(200);
    const mia = userNamed(emulator, 'Mia Moves').openId;
    token = (await connectUser(emulator, mia, [...ALL_SCOPES, 'video.publish'])).access_token;
    const publicAccount = await init(source, 'SELF_ONLY');
    expect(publicAccount.json.error.code).toBe('unaudited_client_can_only_post_to_private_accounts');
  });
});

describe('the upload URL', () => {
  it('takes the planned chunks in order only: 416 out of order, 400 for a wrong end or length; hashes them', async () => {
    const created = await init({ video_size: 200_000, chunk_size: 64_000, total_chunk_count: 3 });
    const { upload_url: url, publish_id: publishId } = created.json.data;
    expect(await put(url, 64_000, 127_999, 200_000)).toBe(416);
    expect(await put(url, 0, 63_998, 200_000)).toBe(400);
    expect(await put(url, 0, 63_999, 200_000, 63_000)).toBe(400);
    expect(await put(url, 0, 63_999, 200_001)).toBe(400);
    expect(await put(url, 0, 63_999, 200_000)).toBe(206);
    expect(await put(url, 0, 63_999, 200_000)).toBe(416); // the same chunk again
    expect(await put(url, 64_000, 127_999, 200_000)).toBe(206);
    expect(await put(url, 128_000, 199_999, 200_000)).toBe(201);
    const task = emulator.posting.tasks.get(publishId);
    expect(task?.receivedBytes).toBe(200_000);
    expect(task?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(task?.chunkPuts.map((p) => p.status)).toEqual([416, 400, 400, 400, 206, 416, 206, 201]);
    const status = await call('/v2/post/publish/status/fetch/', { publish_id: publishId });
    expect(status.json.data.uploaded_bytes).toBe(200_000);
  });

  it('expires after its hour at TikTok (403), and is unknown with another token (404)', async () => {
    const created = await init({ video_size: 200_000, chunk_size: 64_000, total_chunk_count: 3 });
    const url: string = created.json.data.upload_url;
    expect(await put(url.replace(/upload_token=[^&]+/, 'upload_token=forged'), 0, 63_999, 200_000)).toBe(404);
    emulator.clock.offsetSeconds += 3_601;
    expect(await put(url, 0, 63_999, 200_000)).toBe(403);
  });

  it('answer_lost: the chunk is stored, the connection drops before the answer', async () => {
    const created = await init({ video_size: 200_000, chunk_size: 64_000, total_chunk_count: 3 });
    const { upload_url: url, publish_id: publishId } = created.json.data;
    emulator.faults.push({ endpoint: 'upload_chunk', kind: 'answer_lost' });
    await expect(put(url, 0, 63_999, 200_000)).rejects.toThrow();
    expect(emulator.posting.tasks.get(publishId)?.receivedBytes).toBe(64_000);
    expect(await put(url, 0, 63_999, 200_000)).toBe(416);
  });
});

it('signs post.publish.* webhooks as TikTok documents (HMAC-SHA256 of "<t>.<body>" with the client secret)', async () => {
  const received: { signature: string; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (part) => {
      body += part;
    });
    req.on('end', () => {
      received.push({ signature: String(req.headers['tiktok-signature']), body });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    emulator.setOptions({ webhookUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` });
    const created = await init({ video_size: 1_000, chunk_size: 1_000, total_chunk_count: 1 });
    expect(await put(created.json.data.upload_url, 0, 999, 1_000)).toBe(201);
    for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const [delivery] = received;
    const match = /^t=(\d+),s=([0-9a-f]{64})$/.exec(delivery?.signature ?? '');
    expect(match).not.toBeNull();
    const expected = createHmac('sha256', CLIENT_SECRET)
      .update(`${match?.[1]}.${delivery?.body}`)
      .digest('hex');
    expect(match?.[2]).toBe(expected);
    const payload = JSON.parse(delivery?.body ?? '{}');
    expect(payload.event).toBe('post.publish.complete');
    expect(JSON.parse(payload.content).publish_id).toBe(created.json.data.publish_id);
  } finally {
    server.close();
  }
});
