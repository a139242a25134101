import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectionEvent } from '../../../shared/events/connection-events.js';
import { connectAccount } from '../../support/connect-driver.js';
import { startTestService, type TestService } from '../../support/service.js';
import { snapshotFunction } from '../../support/snapshot-function.js';

/**
 * The first snapshot right after connect (day 0): the confirm publishes `tiktok.connection.connected` on the bus,
 * the stack's ConnectedFirstSnapshotRule hands it to the snapshot function. Here the confirm runs as its function
 * (ConfirmConnectFunction), the event it put on the bus is delivered as EventBridge delivers it, and the snapshot
 * function runs under its own role.
 */
const HOUR = 3_600_000;
let service: TestService;
/** A minute boundary: a budget refusal then asks to wait the whole minute, beyond the first snapshot's time. */
let clock = Date.UTC(2026, 11, 1, 12);
let run: Awaited<ReturnType<typeof snapshotFunction>>;

beforeAll(async () => {
  service = await startTestService({ overrides: { now: () => clock } });
  run = await snapshotFunction(service);
});
afterAll(async () => {
  await service.close();
});
beforeEach(() => {
  service.emulator.faults.clear();
  service.emulator.calls.reset();
  clock += HOUR;
});

const calls = () => ({
  user_info: service.emulator.calls.count('user_info'),
  video_list: service.emulator.calls.count('video_list'),
  video_query: service.emulator.calls.count('video_query'),
});

/** The event EventBridge hands the rule's target: the entry the confirm put on the bus, in its envelope. */
function delivered(openId: string, detailType = 'tiktok.connection.connected') {
  const entry = service.busEntries.findLast((e) => e.detail.openId === openId && e.detailType === detailType);
  if (!entry) throw new Error(`no ${detailType} for ${openId} on the bus`);
  const event: EventBridgeEvent<string, ConnectionEvent> = {
    version: '0',
    id: randomUUID(),
    'detail-type': entry.detailType as string,
    source: entry.source as string,
    account: '123456789012',
    time: new Date(clock).toISOString(),
    region: 'us-east-1',
    resources: [],
    detail: entry.detail,
  };
  return event;
}

async function pointsOf(appUser: string, openId: string) {
  const days = await service.deps.analytics.days({ appUser, openId }, '2000-01-01', '2999-12-31');
  return {
    account: days.flatMap((day) => day.account),
    videos: days.flatMap((day) =>
      [...day.videos].flatMap(([id, points]) => points.map((p) => ({ id, ...p }))),
    ),
  };
}

describe('the first snapshot after connect (day 0)', () => {
  it('is taken from the connected event the confirm publishes, without a pass', async () => {
    const openId = await connectAccount(service, 'amy', 1);
    const event = delivered(openId);
    expect(event.source).toBe('tiktok-connect');
    expect(await pointsOf('amy', openId)).toEqual({ account: [], videos: [] });

    service.emulator.calls.reset();
    const report = await run(event);
    expect(report).toMatchObject({ due: 1, snapshotted: 1, accountSnapshots: 1, videoSnapshots: 3 });
    // One user/info and one list page that carries all three videos with their stats.
    expect(calls()).toEqual({ user_info: 1, video_list: 1, video_query: 0 });
    const points = await pointsOf('amy', openId);
    const user = service.emulator.users[1];
    expect(points.account).toEqual([
      expect.objectContaining({ at: clock, followerCount: user?.followerCount }),
    ]);
    expect(points.videos.map((p) => p.id).sort()).toEqual(user?.videos.map((v) => v.id).sort());
    expect(points.videos.every((p) => p.at === clock)).toBe(true);

    // The next scheduled pass finds nothing due for it; a redelivered event costs no TikTok call either.
    service.emulator.calls.reset();
    expect((await run()).due).toBe(0);
    expect((await run(event)).due).toBe(0);
    expect(calls()).toEqual({ user_info: 0, video_list: 0, video_query: 0 });
  });

  it('takes a reconnected account’s snapshot from the recovered event', async () => {
    const openId = await connectAccount(service, 'bob', 2);
    await service.deps.connections.markUnusable({
      key: { appUser: 'bob', openId },
      status: 'reauth_required',
      reason: 'invalid_grant',
      now: clock,
    });
    clock += HOUR;
    await connectAccount(service, 'bob', 2);
    const report = await run(delivered(openId, 'tiktok.connection.recovered'));
    expect(report).toMatchObject({ due: 1, accountSnapshots: 1 });
  });

  for (const fault of [
    { endpoint: 'user_info', kind: 'http_500', closed: {}, firstAccountPoints: 0 },
    {
      endpoint: 'user_info',
      kind: 'rate_limit',
      closed: { user_info: 'tiktok_rate_limited' },
      firstAccountPoints: 0,
    },
    // The account's counters are stored, but without discovery its videos are unknown: the account stays due.
    { endpoint: 'video_list', kind: 'http_500', closed: {}, firstAccountPoints: 1 },
    {
      endpoint: 'video_list',
      kind: 'rate_limit',
      closed: { video_list: 'tiktok_rate_limited' },
      firstAccountPoints: 1,
    },
  ] as const) {
    it(`loses nothing when ${fault.endpoint} answers ${fault.kind}: the connection stays due and the next pass takes it`, async () => {
      const appUser = `cat-${fault.endpoint}-${fault.kind}`;
      const openId = await connectAccount(service, appUser, 0);
      // Several: a read retries a 5xx once.
      service.emulator.faults.push({ endpoint: fault.endpoint, kind: fault.kind, count: 3 });
      const first = await run(delivered(openId));
      expect(first.accountSnapshots).toBe(fault.firstAccountPoints);
      // A 429 closes only its endpoint: the list pages (and their stats) are still read.
      expect(first.videoSnapshots).toBe(
        fault.endpoint === 'user_info' && fault.kind === 'rate_limit' ? 45 : 0,
      );
      expect(first.closedEndpoints).toEqual(fault.closed);
      const state = await service.deps.analytics.getState({ appUser, openId });
      // Due again at once after a 5xx; a 429 without Retry-After keeps TikTok unasked for a minute.
      const wait = fault.kind === 'rate_limit' ? 60_000 : 0;
      expect(state?.accountDueAt).toBeLessThanOrEqual(clock + wait);
      expect(state?.dueAt).toBeLessThanOrEqual(clock + wait);

      service.emulator.faults.clear();
      clock += 60_000;
      const pass = await run();
      expect(pass.accountSnapshots).toBeGreaterThanOrEqual(1);
      const points = await pointsOf(appUser, openId);
      expect(points.account).toHaveLength(fault.firstAccountPoints + 1);
      expect(new Set(points.videos.map((p) => p.id)).size).toBe(service.emulator.users[0]?.videos.length);
      expect((await service.deps.analytics.getState({ appUser, openId }))?.dueAt).toBeGreaterThan(clock);
    });
  }

  it('keeps to the snapshots’ share of the budget the frontend reads spend too', async () => {
    const openId = await connectAccount(service, 'dee', 1);
    const limit = service.deps.config.tiktok.rateLimitPerMinute;
    for (let i = 0; i < limit / 2; i++) await service.deps.rateBudget.spend('tiktok_user_info', limit, clock);
    service.emulator.calls.reset();
    const report = await run(delivered(openId));
    expect(report.closedEndpoints).toEqual({ user_info: 'rate_budget_exhausted' });
    expect(calls().user_info).toBe(0);
    // The frontend keeps its half, and the account is still due for the pass.
    expect((await service.deps.rateBudget.spend('tiktok_user_info', limit, clock)).granted).toBe(true);
    expect(
      (await service.deps.analytics.getState({ appUser: 'dee', openId }))?.accountDueAt,
    ).toBeLessThanOrEqual(clock);
  });

  it('ignores the bus’s other events, and calls TikTok not at all for them', async () => {
    const openId = await connectAccount(service, 'eve', 1);
    const event = { ...delivered(openId), 'detail-type': 'tiktok.connection.disconnected' };
    service.emulator.calls.reset();
    expect(await run(event)).toEqual({
      ignored: 'detail-type tiktok.connection.disconnected starts no snapshot',
    });
    expect(calls()).toEqual({ user_info: 0, video_list: 0, video_query: 0 });
  });
});
