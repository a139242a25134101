/**
 * TikTok's real chunk rules (5 MB, 64 MB, 128 MB, decimal) end to end: a file of each boundary size goes to the
 * local S3 by its presigned URL, the publisher streams it in ranged GETs to the emulator, which checks the plan
 * against its own statement of the rules and hashes what it assembled.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TIKTOK_CHUNK_RULES } from '../../../shared/publish/chunk-plan.js';
import { connectAccount } from '../../support/connect-driver.js';
import { postingDriver, publishUntilFinal, startPostingService, tiktokTask } from '../../support/posting.js';
import type { TestService } from '../../support/service.js';

const MB = 1_000_000;
let service: TestService;
let leo: string;

beforeAll(async () => {
  service = await startPostingService({ rules: TIKTOK_CHUNK_RULES });
  service.emulator.setOptions({ dailyPostCap: 1_000 });
  leo = await connectAccount(service, 'alice', 1);
});
afterAll(() => service.close());

/** Cheap, not constant bytes (a shifted or repeated chunk changes the hash). */
function bytesOf(size: number): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i += 4) bytes.writeUInt32LE(i >>> 0, Math.min(i, size - 4));
  return bytes;
}

it.each([
  // [size, chunk_size, total_chunk_count, the PUTs' sizes]
  [5 * MB - 1, 5 * MB - 1, 1, [5 * MB - 1]],
  [5 * MB, 5 * MB, 1, [5 * MB]],
  [64 * MB, 64 * MB, 1, [64 * MB]],
  [64 * MB + 1, 32 * MB, 2, [32 * MB, 32 * MB + 1]],
  [192 * MB - 1, 64 * MB, 2, [64 * MB, 128 * MB - 1]],
])(
  '%i bytes: chunks of %i, %i of them, sent as planned and published with the exact bytes',
  async (size, chunkSize, count, puts) => {
    const api = postingDriver(service);
    const bytes = bytesOf(size);
    const uploadId = await api.uploadVideo('alice', leo, bytes);
    const created = await api.createPost('alice', leo, { uploadId, privacyLevel: 'SELF_ONLY' });
    expect(created.statusCode).toBe(201);
    const post = await publishUntilFinal(service, 'alice', leo, created.json.postId);
    expect(post.status).toBe('published');
    const task = tiktokTask(service, post.publishId);
    expect(task).toMatchObject({ videoSize: size, chunkSize, totalChunkCount: count, receivedBytes: size });
    expect(task.chunkPuts.map((put) => put.last - put.first + 1)).toEqual(puts);
    expect(task.chunkPuts.every((put) => put.status === 206 || put.status === 201)).toBe(true);
    expect(task.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  },
  180_000,
);
