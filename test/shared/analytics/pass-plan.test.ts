import { describe, expect, it } from 'vitest';
import type { CadenceTier } from '../../../shared/analytics/cadence.js';
import { type ConnectionWork, passCapacity, planPass } from '../../../shared/analytics/pass-plan.js';
import type { TrackedVideo } from '../../../shared/store/analytics-store.js';

const video = (id: string, dueAt: number): TrackedVideo => ({
  id,
  createdAt: 0,
  description: undefined,
  hashtags: [],
  dueAt,
  lastAt: undefined,
  latest: undefined,
  missingCount: 0,
  velocity24h: undefined,
  breakoutAt: undefined,
});

function work(openId: string, accountTier: CadenceTier, videos: [number, CadenceTier][]): ConnectionWork {
  return {
    key: { appUser: 'u', openId },
    state: {
      appUser: 'u',
      openId,
      connectedAt: 0,
      accountDueAt: 100,
      accountLastAt: undefined,
      dueAt: 0,
      downsampledThrough: undefined,
      pausedReason: undefined,
      pausedSince: undefined,
    },
    accountDue: true,
    accountTier,
    tracked: [],
    dueVideos: videos.map(([dueAt, tier], i) => ({ video: video(`${openId}-${i}`, dueAt), tier })),
  };
}

describe('planning a pass against the budget', () => {
  it('plans everything when the share covers it', () => {
    const plan = planPass([work('a', 'account', [[1, 'video_new']])], {
      user_info: 5,
      video_list: 5,
      video_query: 5,
    });
    expect(plan.deferred).toEqual({});
    expect(plan.expectedCalls).toEqual({ user_info: 1, video_list: 1, video_query: 1 });
  });

  it('defers the oldest video tier first, evenly across creators, until the query calls fit', () => {
    const old = (n: number): [number, CadenceTier][] => Array.from({ length: n }, (_, i) => [i, 'video_old']);
    const fresh = (n: number): [number, CadenceTier][] =>
      Array.from({ length: n }, (_, i) => [i, 'video_new']);
    const plan = planPass(
      [work('a', 'account', [...fresh(20), ...old(20)]), work('b', 'account', [...fresh(20), ...old(20)])],
      { user_info: 10, video_list: 10, video_query: 2 },
    );
    expect(plan.deferred).toEqual({ video_old: 40 });
    expect(plan.expectedCalls.video_query).toBe(2);
    for (const w of plan.work) expect(w.dueVideos.every((d) => d.tier === 'video_new')).toBe(true);
  });

  it('defers settled accounts (6-hourly) before accounts in their first 48 hours', () => {
    const plan = planPass(
      [work('a', 'account', []), work('b', 'account_young', []), work('c', 'account', [])],
      {
        user_info: 1,
        video_list: 1,
        video_query: 1,
      },
    );
    expect(plan.deferred).toEqual({ account: 2 });
    expect(plan.work.filter((w) => w.accountDue).map((w) => w.key.openId)).toEqual(['b']);
  });

  it('gives a pass the snapshots’ share of the per-minute limit over its interval', () => {
    expect(passCapacity({ limitPerMinute: 600, share: 0.5, passMs: 15 * 60_000 })).toEqual({
      user_info: 4500,
      video_list: 4500,
      video_query: 4500,
    });
  });
});
