import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/local-stack.js';
import { dynamodbEndpoint } from '../support/dynamodb.js';
import { connectOverHttp, localUser } from '../support/local-connect.js';

/** npm start: a confirmed connection gets its day-0 snapshot in the background, as the stack's rule gives it. */
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({
    rootDir: resolve(import.meta.dirname, '../..'),
    dataDir: mkdtempSync(join(tmpdir(), 'tc-first-snapshot-')),
    env: {
      PORT: '0',
      DYNAMODB_ENDPOINT: dynamodbEndpoint(),
      TABLE_NAME: `local-${randomUUID()}`,
      REFRESH_INTERVAL_SECONDS: '0',
      PUBLISH_INTERVAL_SECONDS: '0',
    },
  });
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

type Series = {
  account: { at: string; followerCount: number }[];
  videos: { id: string; points: unknown[] }[];
};

describe('npm start: the first analytics snapshot after connect', () => {
  it('is there without a pass, and the confirm answered before it was taken', async () => {
    const emulator = stack.emulator;
    if (!emulator) throw new Error('the local stack runs the emulator');
    const { token, api } = await localUser(stack, 'day-zero');
    // The first snapshot's list page takes 5 s; nothing else of the connect flow reads the video list.
    emulator.faults.push({ endpoint: 'video_list', kind: 'slow', delayMs: 5_000 });
    const openId = await connectOverHttp(stack, api, { userIndex: 1 });

    const series = async () => {
      const answer = await fetch(`${stack.url}/tiktok/connections/${openId}/analytics`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(answer.status).toBe(200);
      return (await answer.json()) as Series;
    };
    // The confirm has answered while the snapshot still waits on TikTok's list page.
    expect((await series()).videos).toEqual([]);
    expect(emulator.calls.list('video_list').filter((call) => call.status === 200)).toEqual([]);

    // No POST /dev/analytics/snapshot: the connect alone brings the account's and its videos' first points.
    // (The local emulator's live stats post videos over time: those posted by now are listed.)
    const posted = emulator.users[1]?.videos.filter((video) => video.createTime * 1000 <= Date.now()) ?? [];
    expect(posted.length).toBeGreaterThan(0);
    await expect
      .poll(async () => (await series()).videos.length, { timeout: 30_000, interval: 250 })
      .toBe(posted.length);
    const { account, videos } = await series();
    expect(account).toEqual([expect.objectContaining({ followerCount: expect.any(Number) })]);
    expect(videos.map((video) => video.id).sort()).toEqual(posted.map((video) => video.id).sort());
    expect(videos.every((video) => video.points.length === 1)).toBe(true);
    // One snapshot, at 20 videos a list page.
    expect(emulator.calls.count('video_list')).toBe(Math.ceil(posted.length / 20));
  }, 120_000);
});
