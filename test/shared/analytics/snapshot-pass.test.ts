import { GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runSnapshotPass } from '../../../shared/analytics/snapshot-pass.js';
import { handleTikTokWebhook } from '../../../shared/lifecycle/deauthorization-webhook.js';
import { disconnectConnection } from '../../../shared/lifecycle/disconnect.js';
import { createDynamoClient } from '../../../shared/store/dynamo-client.js';
import { signWebhook } from '../../../shared/tiktok/webhook-signature.js';
import { connectAccount } from '../../support/connect-driver.js';
import { CLIENT_KEY, CLIENT_SECRET, startTestService, type TestService } from '../../support/service.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let service: TestService;
/** The service's clock: tests move it forward to make snapshots due. */
let clock = Date.UTC(2026, 11, 1, 12);
const db = () =>
  createDynamoClient({ region: 'us-east-1', endpoint: service.env.DYNAMODB_ENDPOINT as string });

beforeAll(async () => {
  service = await startTestService({ overrides: { now: () => clock } });
});
afterAll(async () => {
  await service.close();
});
beforeEach(() => {
  service.emulator.faults.clear();
  service.emulator.calls.reset();
});

const calls = () => ({
  user_info: service.emulator.calls.count('user_info'),
  video_list: service.emulator.calls.count('video_list'),
  video_query: service.emulator.calls.count('video_query'),
});

async function itemsOf(openId: string, appUser: string) {
  const client = db();
  const { Items = [] } = await client.send(
    new QueryCommand({
      TableName: service.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: `ANALYTICS#${openId}#${appUser}` } },
    }),
  );
  client.destroy();
  return Items;
}

/** Every video point stored for the connection, as `videoId@at` strings (duplicates would show twice). */
async function videoPointsOf(openId: string, appUser: string): Promise<string[]> {
  const days = await service.deps.analytics.days({ appUser, openId }, '2000-01-01', '2999-12-31');
  return days.flatMap((day) => [...day.videos].flatMap(([id, points]) => points.map((p) => `${id}@${p.at}`)));
}

describe('the snapshot pass', () => {
  let mia = '';
  beforeAll(async () => {
    mia = await connectAccount(service, 'carol', 0);
  });

  it('takes the first snapshot of a new connection: account stats and every public video, with list pages only', async () => {
    service.emulator.calls.reset();
    const report = await runSnapshotPass(service.deps);
    expect(report.due).toBe(1);
    expect(report.accountSnapshots).toBe(1);
    expect(report.discovered).toBe(45);
    // 45 videos at 20 a page: 3 list pages carry every video's stats, so no video/query is needed.
    expect(calls()).toEqual({ user_info: 1, video_list: 3, video_query: 0 });
    expect(report.videoSnapshots).toBe(45);
    const state = await service.deps.analytics.getState({ appUser: 'carol', openId: mia });
    expect(state?.accountDueAt).toBe(clock + HOUR); // hourly in the first 48 h
    const [day] = await service.deps.analytics.days(
      { appUser: 'carol', openId: mia },
      '2026-12-01',
      '2026-12-01',
    );
    expect(day?.account).toEqual([
      expect.objectContaining({ at: clock, followerCount: service.emulator.users[0]?.followerCount }),
    ]);
  });

  it('does nothing (and calls TikTok not at all) when nothing is due', async () => {
    const report = await runSnapshotPass(service.deps);
    expect(report.due).toBe(0);
    expect(calls()).toEqual({ user_info: 0, video_list: 0, video_query: 0 });
  });

  it('an hour later snapshots the account and looks for new videos with one list page; old videos wait a week', async () => {
    clock += HOUR;
    const report = await runSnapshotPass(service.deps);
    expect(report.accountSnapshots).toBe(1);
    expect(calls()).toEqual({ user_info: 1, video_list: 1, video_query: 0 });
    // The first page's videos were not due: their stats are not stored again.
    expect(report.videoSnapshots).toBe(0);
  });

  it('re-reads due videos with video/query, 20 ids a call, beyond those the discovery page carried', async () => {
    clock += 8 * DAY;
    const report = await runSnapshotPass(service.deps);
    expect(calls()).toEqual({ user_info: 1, video_list: 1, video_query: 2 });
    expect(report.videoSnapshots).toBe(45);
    const queries = service.emulator.calls.list('video_query');
    expect(queries.every((call) => call.status === 200)).toBe(true);
  });

  it('stops using an endpoint TikTok answers 429 for, and the next pass picks up exactly what was left', async () => {
    clock += 8 * DAY;
    const before = await videoPointsOf(mia, 'carol');
    service.emulator.faults.push({ endpoint: 'video_query', kind: 'rate_limit' });
    const first = await runSnapshotPass(service.deps);
    expect(first.closedEndpoints).toEqual({ video_query: 'tiktok_rate_limited' });
    expect(first.rateLimited).toBe(1);
    // The discovery page's 20 were stored; the 25 behind the 429 were not, and stay due.
    expect(first.videoSnapshots).toBe(20);
    const state = await service.deps.analytics.getState({ appUser: 'carol', openId: mia });
    // Due again, once a minute has passed (TikTok sent no Retry-After): the next pass does not ask early.
    expect(state?.dueAt).toBeGreaterThan(clock);
    expect(state?.dueAt).toBeLessThanOrEqual(clock + 60_000);

    service.emulator.calls.reset();
    clock += 60_000;
    const second = await runSnapshotPass(service.deps);
    expect(calls()).toEqual({ user_info: 0, video_list: 0, video_query: 2 });
    expect(second.videoSnapshots).toBe(25);
    const after = await videoPointsOf(mia, 'carol');
    expect(after.length - before.length).toBe(45);
    expect(new Set(after).size).toBe(after.length);
  });

  it('never stores a point twice when a pass is repeated', async () => {
    const key = { appUser: 'carol', openId: mia };
    const before = await videoPointsOf(mia, 'carol');
    const [first] = before;
    const [id = '', at = '0'] = (first ?? '').split('@');
    await service.deps.analytics.addPoints(key, {
      videos: [{ id, point: { at: Number(at), viewCount: 1 } }],
      now: clock,
    });
    await service.deps.analytics.addPoints(key, {
      videos: [{ id, point: { at: Number(at), viewCount: 1 } }],
      now: clock,
    });
    const after = await videoPointsOf(mia, 'carol');
    // The same instant with other figures is a different point, stored once however often it is written.
    expect(after.length).toBe(before.length + 1);
  });

  it('keeps snapshots to its share of the budget that the frontend reads spend too', async () => {
    clock += 8 * DAY;
    // The frontend has spent half of this minute's video/query budget: the snapshot share (50%) is used up.
    const limit = service.deps.config.tiktok.rateLimitPerMinute;
    for (let i = 0; i < limit / 2; i++)
      await service.deps.rateBudget.spend('tiktok_video_query', limit, clock);
    const report = await runSnapshotPass(service.deps, { deadline: clock + 1000 });
    expect(report.closedEndpoints).toEqual({ video_query: 'rate_budget_exhausted' });
    expect(calls().video_query).toBe(0);
    // The frontend still has its half.
    expect((await service.deps.rateBudget.spend('tiktok_video_query', limit, clock)).granted).toBe(true);
    clock += 2 * 60_000; // the window slides on; the videos left are still due
    const next = await runSnapshotPass(service.deps);
    expect(next.videoSnapshots).toBe(25);
  });

  it('downsamples days older than 30 days to the last point of each day, and sets the retention TTL', async () => {
    const key = { appUser: 'carol', openId: mia };
    const [firstDay] = await service.deps.analytics.days(key, '2026-12-01', '2026-12-01');
    expect(firstDay?.account.length).toBe(2); // the first snapshot and the one an hour later
    clock += 40 * DAY;
    await runSnapshotPass(service.deps);
    const [reduced] = await service.deps.analytics.days(key, '2026-12-01', '2026-12-01');
    expect(reduced?.downsampled).toBe(true);
    expect(reduced?.account).toEqual([firstDay?.account[1]]);
    const client = db();
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: service.tableName,
        Key: { pk: { S: `ANALYTICS#${mia}#carol` }, sk: { S: 'DAY#2026-12-01' } },
      }),
    );
    client.destroy();
    expect(Number(Item?.ttl?.N)).toBe(Date.UTC(2026, 11, 2) / 1000 + 400 * 86_400);
  });
});

describe('history deletion', () => {
  it('deletes the history when the user disconnects', async () => {
    const openId = await connectAccount(service, 'dave', 1);
    await runSnapshotPass(service.deps);
    expect((await itemsOf(openId, 'dave')).length).toBeGreaterThan(3);
    await disconnectConnection(service.deps, { appUser: 'dave', openId });
    expect(await itemsOf(openId, 'dave')).toEqual([]);
    // and a later pass does not bring it back
    await runSnapshotPass(service.deps, { all: true });
    expect(await itemsOf(openId, 'dave')).toEqual([]);
  });

  it('deletes the history when TikTok says authorization.removed', async () => {
    const openId = await connectAccount(service, 'erin', 1);
    await runSnapshotPass(service.deps);
    expect((await itemsOf(openId, 'erin')).length).toBeGreaterThan(3);
    const rawBody = JSON.stringify({
      client_key: CLIENT_KEY,
      event: 'authorization.removed',
      create_time: Math.floor(clock / 1000) + 5,
      user_openid: openId,
      content: '{"reason":1}',
    });
    const header = signWebhook(CLIENT_SECRET, rawBody, Math.floor(clock / 1000));
    await handleTikTokWebhook(service.deps, { rawBody, signatureHeader: header });
    expect(await itemsOf(openId, 'erin')).toEqual([]);
  });

  it('keeps the history of a connection needing re-auth for the retention period, then deletes it', async () => {
    const openId = await connectAccount(service, 'frank', 1);
    const key = { appUser: 'frank', openId };
    await runSnapshotPass(service.deps);
    await service.deps.connections.markUnusable({
      key,
      status: 'reauth_required',
      reason: 'invalid_grant',
      now: clock,
    });
    clock += 2 * HOUR;
    const paused = await runSnapshotPass(service.deps);
    expect(paused.paused).toBe(1);
    expect((await itemsOf(openId, 'frank')).length).toBeGreaterThan(3);
    clock += 399 * DAY;
    await runSnapshotPass(service.deps);
    expect((await itemsOf(openId, 'frank')).length).toBeGreaterThan(3);
    clock += 2 * DAY;
    const gone = await runSnapshotPass(service.deps);
    expect(gone.deleted).toBeGreaterThanOrEqual(1);
    expect(await itemsOf(openId, 'frank')).toEqual([]);
  });
});
