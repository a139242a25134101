import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAccount } from '../../support/connect-driver.js';
import { startTestService, type TestService } from '../../support/service.js';
import { snapshotFunction } from '../../support/snapshot-function.js';

/**
 * When the budget share cannot cover the cadence: the pass defers the oldest tiers first and says so in the
 * metrics the AnalyticsCadenceDegradedAlarm watches. A budget of 2 calls a minute with 1-minute passes leaves
 * the snapshots one call per endpoint per pass.
 */
const DAY = 86_400_000;
let service: TestService;
let clock = Date.UTC(2026, 11, 1, 12);
let pass: Awaited<ReturnType<typeof snapshotFunction>>;
let key = { appUser: 'hal', openId: '' };
beforeAll(async () => {
  service = await startTestService({
    overrides: { now: () => clock },
    env: {
      TIKTOK_RATE_LIMIT_PER_MINUTE: '2',
      TIKTOK_USER_RATE_SHARE_PERCENT: '100',
      ANALYTICS_PASS_MINUTES: '1',
    },
  });
  pass = await snapshotFunction(service);
  key = { appUser: 'hal', openId: await connectAccount(service, 'hal', 2) };
  // 60 videos due at once: 20 in each of the 3-hourly, daily and weekly tiers (3 video/query calls' worth).
  const ages = { new: DAY, recent: 20 * DAY, old: 100 * DAY };
  let serial = 0;
  for (const age of Object.values(ages)) {
    for (let i = 0; i < 20; i++) {
      const createdAt = clock - age - i * 60_000;
      await service.deps.analytics.trackVideo(
        key,
        {
          id: String(7_100_000_000_000_000_000n + BigInt(++serial)),
          createdAt,
          description: '',
          hashtags: [],
        },
        { dueAt: clock, now: clock },
      );
    }
  }
});
afterAll(async () => {
  await service.close();
});

/** One pass two minutes on (the rate budget's window has moved), with the metric documents it wrote. */
async function nextPass() {
  clock += 2 * 60_000;
  service.metricLines.length = 0;
  const report = await pass();
  const documents = service.metricLines.map((line) => JSON.parse(line));
  const total = (name: string) =>
    documents.find((doc) => doc[name] !== undefined && doc.Tier === undefined)?.[name];
  const perTier = Object.fromEntries(
    documents
      .filter((doc) => doc.Tier !== undefined)
      .map((doc) => [doc.Tier, doc.AnalyticsSnapshotsDeferred]),
  );
  const dimensions = documents.find((doc) => doc.AnalyticsCadenceDegraded !== undefined)?._aws
    .CloudWatchMetrics[0];
  return {
    report,
    degraded: total('AnalyticsCadenceDegraded'),
    deferred: total('AnalyticsSnapshotsDeferred'),
    perTier,
    dimensions,
  };
}

describe('cadence degradation when the budget share cannot cover it', () => {
  it('defers the weekly, then the daily videos, keeps the 3-hourly ones, and reports it in the metrics', async () => {
    const first = await nextPass();
    expect(first.report.deferred).toEqual({ video_old: 20, video_recent: 20 });
    expect(first.report.degraded).toBe(true);
    expect(first.report.tiktokCalls).toEqual({ user_info: 1, video_list: 1, video_query: 1 });
    expect(first.degraded).toBe(1);
    expect(first.deferred).toBe(40);
    expect(first.perTier).toEqual({ video_old: 20, video_recent: 20 });
    // The metric the alarm watches: namespace and dimensions as the stack's alarm names them.
    expect(first.dimensions).toMatchObject({
      Namespace: 'TikTokConnect',
      Dimensions: [['Service', 'Operation', 'Stack']],
    });
  });

  it('takes what was deferred in the next passes, oldest tier last, and then says the cadence is whole', async () => {
    const second = await nextPass();
    expect(second.report.deferred).toEqual({ video_old: 20 });
    expect(second.degraded).toBe(1);
    const third = await nextPass();
    expect(third.report.deferred).toEqual({});
    expect(third.report.tiktokCalls.video_query).toBe(1);
    expect(third.degraded).toBe(0);
    expect(third.deferred).toBe(0);
    // Every one of the 60 was asked for once: nothing deferred was lost.
    const asked = service.emulator.calls.list('video_query').length;
    expect(asked).toBe(3);
  });
});
