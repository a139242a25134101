import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TIKTOK_CHUNK_RULES } from '../../../shared/publish/chunk-plan.js';
import { PUBLISH_LEASE_MS, runPublisher } from '../../../shared/publish/publisher.js';
import { connectAccount } from '../../support/connect-driver.js';
import { postingDriver, startPostingService, videoBytes } from '../../support/posting.js';
import type { TestService } from '../../support/service.js';

let service: TestService;
let clockOffset = 0;

beforeAll(async () => {
  // The child plans with TikTok's real rules, so this test does too (its video is one small chunk).
  service = await startPostingService({
    rules: TIKTOK_CHUNK_RULES,
    // The child opens the connection's tokens itself: sealed with the key file, not the KMS stand-in.
    tokenKeys: 'key-file',
    overrides: { now: () => Date.now() + clockOffset },
  });
});
afterAll(() => service.close());

/** A publisher run in a child process, SIGKILLed at the checkpoint: a real crash, not a thrown error. */
async function killPublisherAt(checkpoint: 'init_answered' | 'chunk_sent') {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(import.meta.dirname, '../../support/publish-child.ts')],
    {
      env: { ...process.env, ...service.env, KILL_AT: checkpoint },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`child never reached ${checkpoint}:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(`CHECKPOINT ${checkpoint}`)) {
        clearTimeout(timer);
        child.kill('SIGKILL');
        done();
      }
      if (output.includes('DONE')) fail(new Error(`child finished instead of stopping: ${output}`));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
  });
  await new Promise((done) => child.once('exit', done));
  expect(child.signalCode).toBe('SIGKILL');
}

it('a publisher killed after init answered, before recording publish_id: failed publish_interrupted, init sent once', async () => {
  const api = postingDriver(service);
  const openId = await connectAccount(service, 'crash-user', 1);
  const uploadId = await api.uploadVideo('crash-user', openId, videoBytes(3_000));
  const created = await api.createPost('crash-user', openId, { uploadId, privacyLevel: 'SELF_ONLY' });
  expect(created.statusCode).toBe(201);

  await killPublisherAt('init_answered');
  expect(service.emulator.calls.count('video_init')).toBe(1);
  // While the dead publisher's lease runs, nobody touches the post.
  await runPublisher(service.deps, { deadline: Date.now() + 30_000 });
  expect((await api.getPost('crash-user', openId, created.json.postId)).json.status).toBe('publishing');

  clockOffset = PUBLISH_LEASE_MS + 1_000;
  await runPublisher(service.deps, { deadline: Date.now() + 30_000 });
  const post = (await api.getPost('crash-user', openId, created.json.postId)).json;
  expect(post).toMatchObject({ status: 'failed', failReason: 'publish_interrupted' });
  expect(service.emulator.calls.count('video_init')).toBe(1);
  const failed = service.events.published.filter((e) => e.type === 'post_failed');
  expect(failed.map((e) => e.details?.failReason)).toEqual(['publish_interrupted']);
}, 180_000);
