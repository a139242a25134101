import type { DisplayEndpoint } from '../display/tiktok-read.js';
import type { AnalyticsKey, AnalyticsState, TrackedVideo } from '../store/analytics-store.js';
import { MAX_VIDEOS_PER_CALL } from '../tiktok/videos.js';
import { CADENCE_TIERS, type CadenceTier } from './cadence.js';

/** What one connection owes in this pass. */
export type ConnectionWork = {
  key: AnalyticsKey;
  state: AnalyticsState;
  accountDue: boolean;
  accountTier: CadenceTier;
  /** Tracked videos whose snapshot is due, with their tier. */
  dueVideos: { video: TrackedVideo; tier: CadenceTier }[];
  tracked: TrackedVideo[];
};

export type PassCapacity = Record<DisplayEndpoint, number>;

export type PassPlan = {
  work: ConnectionWork[];
  /** Snapshots left for a later pass because the budget could not cover them, per tier. */
  deferred: Partial<Record<CadenceTier, number>>;
  /** TikTok calls the plan expects per endpoint (an upper bound: discovery pages also carry stats). */
  expectedCalls: PassCapacity;
};

/** TikTok calls a pass may plan per endpoint: the snapshots' share of the budget over one pass interval. */
export function passCapacity(input: { limitPerMinute: number; share: number; passMs: number }): PassCapacity {
  const calls = Math.floor(input.limitPerMinute * input.share * (input.passMs / 60_000));
  return { user_info: calls, video_list: calls, video_query: calls };
}

const rank = (tier: CadenceTier) => CADENCE_TIERS.indexOf(tier);
/** Oldest tier first, then the least overdue: deferring those keeps lateness even across a tier. */
const deferFirst = (a: { tier: CadenceTier; dueAt: number }, b: { tier: CadenceTier; dueAt: number }) =>
  rank(b.tier) - rank(a.tier) || b.dueAt - a.dueAt;

/**
 * Fits the due snapshots into the pass's capacity. Accounts cost a user/info call and a discovery page each;
 * videos cost a twentieth of a video/query call. When demand exceeds capacity, the oldest tiers are deferred
 * first, the least overdue first within a tier, so the cadence of a tier stretches evenly for every creator.
 */
export function planPass(work: ConnectionWork[], capacity: PassCapacity): PassPlan {
  const deferred: Partial<Record<CadenceTier, number>> = {};
  const defer = (tier: CadenceTier) => {
    deferred[tier] = (deferred[tier] ?? 0) + 1;
  };
  const planned = work.map((w) => ({ ...w, dueVideos: [...w.dueVideos] }));

  const accountCapacity = Math.min(capacity.user_info, capacity.video_list);
  const accounts = planned
    .filter((w) => w.accountDue)
    .map((w) => ({ w, tier: w.accountTier, dueAt: w.state.accountDueAt }))
    .sort(deferFirst);
  for (let i = 0; i < accounts.length - accountCapacity; i++) {
    const entry = accounts[i];
    if (!entry) break;
    entry.w.accountDue = false;
    defer(entry.tier);
  }

  const callsOf = (w: ConnectionWork) => Math.ceil(w.dueVideos.length / MAX_VIDEOS_PER_CALL);
  let queryCalls = planned.reduce((sum, w) => sum + callsOf(w), 0);
  if (queryCalls > capacity.video_query) {
    const candidates = planned
      .flatMap((w) => w.dueVideos.map((d) => ({ w, d, tier: d.tier, dueAt: d.video.dueAt })))
      .sort(deferFirst);
    for (const { w, d, tier } of candidates) {
      if (queryCalls <= capacity.video_query) break;
      const before = callsOf(w);
      w.dueVideos.splice(w.dueVideos.indexOf(d), 1);
      queryCalls -= before - callsOf(w);
      defer(tier);
    }
  }
  const accountCalls = planned.filter((w) => w.accountDue).length;
  return {
    work: planned,
    deferred,
    expectedCalls: { user_info: accountCalls, video_list: accountCalls, video_query: queryCalls },
  };
}
