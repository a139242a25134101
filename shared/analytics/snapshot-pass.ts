import { randomUUID } from 'node:crypto';
import type { ServiceDeps } from '../deps.js';
import type { DisplayEndpoint } from '../display/tiktok-read.js';
import { emitMetrics } from '../metrics.js';
import type { AnalyticsKey } from '../store/analytics-store.js';
import { accountTier, CADENCE_TIERS, type CadenceTier, videoTier } from './cadence.js';
import { EndpointGate } from './endpoint-gate.js';
import { type ConnectionWork, passCapacity, planPass } from './pass-plan.js';
import { type ConnectionOutcome, snapshotConnection } from './snapshot-connection.js';

export const ANALYTICS_METRIC_DIMENSIONS = { Service: 'tiktok-connect', Operation: 'analytics' } as const;

export type SnapshotPassReport = {
  runId: string;
  /** Connections whose snapshot was due (or every active one with `all`). */
  due: number;
  snapshotted: number;
  paused: number;
  deleted: number;
  failed: number;
  accountSnapshots: number;
  videoSnapshots: number;
  discovered: number;
  missing: number;
  breakouts: number;
  /** Snapshots the budget could not cover this pass, per cadence tier (they stay due). */
  deferred: Partial<Record<CadenceTier, number>>;
  degraded: boolean;
  tiktokCalls: Record<DisplayEndpoint, number>;
  /** Endpoints the pass stopped using (TikTok's 429, or our budget spent), and why. */
  closedEndpoints: Record<string, string>;
  rateLimited: number;
  itemsWritten: number;
  /** Connections left for the next pass because the pass ran out of time. */
  leftOver: number;
  durationMs: number;
};

/**
 * One snapshot pass: the connections due (from the sparse AnalyticsDue index), planned against the snapshots'
 * share of each endpoint's budget over one pass interval, then snapshotted a few at a time. `all` (local only)
 * enrols every connection with tokens and treats the account and every video as due. `only` is the same pass
 * for one connection (its first snapshot right after connect), if it is due; it emits no pass metrics, so the
 * cadence alarm hears only the scheduled passes.
 */
export async function runSnapshotPass(
  deps: ServiceDeps,
  options: { all?: boolean; deadline?: number; only?: AnalyticsKey } = {},
): Promise<SnapshotPassReport> {
  const settings = deps.config.analytics;
  const startedAt = deps.now();
  const wallStart = Date.now();
  const runId = randomUUID();
  const deadline = options.deadline ?? startedAt + settings.passMs - 60_000;
  const keys = options.only
    ? await dueKey(deps, options.only, startedAt)
    : options.all
      ? await enrolAll(deps, startedAt)
      : await dueKeys(deps, startedAt);

  const work: ConnectionWork[] = [];
  for (const key of keys) {
    const state = await deps.analytics.getState(key);
    if (!state) continue;
    const tracked = await deps.analytics.trackedVideos(key);
    const accountDue = options.all === true || state.accountDueAt <= startedAt;
    work.push({
      key,
      state,
      accountDue,
      accountTier: accountTier(settings, state.connectedAt, startedAt),
      tracked,
      dueVideos: tracked
        .filter((video) => options.all === true || video.dueAt <= startedAt)
        .map((video) => ({ video, tier: videoTier(settings, video.createdAt, startedAt) })),
    });
  }
  const limit = deps.config.tiktok.rateLimitPerMinute;
  const capacity = passCapacity({
    limitPerMinute: limit,
    share: settings.budgetShare,
    passMs: settings.passMs,
  });
  const plan = planPass(work, capacity);
  const gate = new EndpointGate({
    perMinuteShare: Math.max(1, Math.floor(limit * settings.budgetShare)),
    expectedCalls: plan.expectedCalls,
    deadline,
    now: deps.now,
  });

  const outcomes: ConnectionOutcome[] = [];
  let leftOver = 0;
  let next = 0;
  const worker = async () => {
    for (;;) {
      const item = plan.work[next++];
      if (!item) return;
      if (deps.now() >= deadline) {
        leftOver++;
        continue;
      }
      try {
        outcomes.push(await snapshotConnection(deps, item, gate, { everyVideo: options.all === true }));
      } catch (error) {
        deps.logger.error('analytics snapshot failed', {
          event: 'analytics_snapshot_error',
          appUser: item.key.appUser,
          openId: item.key.openId,
          error,
        });
        outcomes.push({
          status: 'failed',
          accountSnapshots: 0,
          videoSnapshots: 0,
          discovered: 0,
          missing: 0,
          breakouts: 0,
          itemsWritten: 0,
          error: 'internal',
        });
      }
    }
  };
  await Promise.all(Array.from({ length: settings.concurrency }, worker));

  const sum = (pick: (o: ConnectionOutcome) => number) => outcomes.reduce((total, o) => total + pick(o), 0);
  const count = (status: ConnectionOutcome['status']) => outcomes.filter((o) => o.status === status).length;
  const deferredTotal = Object.values(plan.deferred).reduce((a, b) => a + (b ?? 0), 0);
  const report: SnapshotPassReport = {
    runId,
    due: keys.length,
    snapshotted: count('snapshotted'),
    paused: count('paused'),
    deleted: count('deleted'),
    failed: count('failed'),
    accountSnapshots: sum((o) => o.accountSnapshots),
    videoSnapshots: sum((o) => o.videoSnapshots),
    discovered: sum((o) => o.discovered),
    missing: sum((o) => o.missing),
    breakouts: sum((o) => o.breakouts),
    deferred: plan.deferred,
    degraded: deferredTotal > 0,
    tiktokCalls: { ...gate.calls },
    closedEndpoints: gate.closedEndpoints(),
    rateLimited: gate.rateLimited,
    itemsWritten: sum((o) => o.itemsWritten),
    leftOver,
    durationMs: Date.now() - wallStart,
  };
  if (options.only) {
    deps.logger.info('analytics first snapshot', {
      event: 'analytics_first_snapshot',
      ...options.only,
      ...report,
    });
    return report;
  }
  emitPassMetrics(deps, report);
  deps.logger.info('analytics snapshot pass', { event: 'analytics_pass', ...report });
  return report;
}

function emitPassMetrics(deps: ServiceDeps, report: SnapshotPassReport): void {
  emitMetrics(
    deps.metrics,
    {
      AnalyticsCadenceDegraded: { value: report.degraded ? 1 : 0, unit: 'Count' },
      AnalyticsSnapshotsDeferred: {
        value: Object.values(report.deferred).reduce((a, b) => a + (b ?? 0), 0),
        unit: 'Count',
      },
      AnalyticsAccountSnapshots: { value: report.accountSnapshots, unit: 'Count' },
      AnalyticsVideoSnapshots: { value: report.videoSnapshots, unit: 'Count' },
      AnalyticsRateLimited: { value: report.rateLimited, unit: 'Count' },
      AnalyticsLeftOver: { value: report.leftOver, unit: 'Count' },
    },
    ANALYTICS_METRIC_DIMENSIONS,
    deps.now(),
  );
  for (const tier of CADENCE_TIERS) {
    const deferred = report.deferred[tier];
    if (!deferred) continue;
    emitMetrics(
      deps.metrics,
      { AnalyticsSnapshotsDeferred: { value: deferred, unit: 'Count' } },
      { ...ANALYTICS_METRIC_DIMENSIONS, Tier: tier },
      deps.now(),
    );
  }
}

async function dueKeys(deps: ServiceDeps, now: number): Promise<AnalyticsKey[]> {
  const due: (AnalyticsKey & { dueAt: number })[] = [];
  for await (const key of deps.analytics.dueKeys(now)) due.push(key);
  // Most overdue first across shards: if the pass runs out of time, the freshest debts wait.
  return due.sort((a, b) => a.dueAt - b.dueAt).map(({ appUser, openId }) => ({ appUser, openId }));
}

/** One connection, if its snapshot is due (a repeated trigger, or one after the pass took it, finds nothing). */
async function dueKey(deps: ServiceDeps, key: AnalyticsKey, now: number): Promise<AnalyticsKey[]> {
  const state = await deps.analytics.getState(key);
  return state && state.dueAt <= now ? [{ appUser: key.appUser, openId: key.openId }] : [];
}

/** Local `?all=1`: every connection with tokens, enrolled if it was not (it keeps its connect time if it was). */
async function enrolAll(deps: ServiceDeps, now: number): Promise<AnalyticsKey[]> {
  const keys: AnalyticsKey[] = [];
  for await (const record of deps.connections.connectionsWithTokens()) {
    const key = { appUser: record.appUser, openId: record.openId };
    await deps.analytics.enrol(key, { connectedAt: record.connectedAt, dueAt: now, now });
    keys.push(key);
  }
  return keys;
}
