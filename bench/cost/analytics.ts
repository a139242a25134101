/**
 * The monthly AWS cost of analytics snapshots, kept apart from the connection service's bill so its figures stay
 * comparable. From what `npm run bench:analytics` measured (bench/results/analytics.json and analytics.md), the
 * analytics settings (shared/config.ts defaults), the store's encoding (shared/store/analytics-store.ts) and the
 * assumptions in `AnalyticsUsage`. Every figure is a line item with quantity and unit price.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnalyticsSettings } from '../../shared/config.js';
import { GB, PRICES } from './prices.js';
import type { StackFacts } from './stack-facts.js';

/** What bench/analytics.ts wrote. */
export type AnalyticsMeasured = {
  /** Videos per account in the bench (the 90-day query used 1,000). */
  videos: number;
  perAccountDay: { user_info: number; video_list: number; video_query: number };
  itemsPerSnapshot: number;
  /** Accounts the snapshot budget (50% of 600 a minute per endpoint) covers at the default cadence. */
  capacityAccounts: number;
  /** Estimated RCU of the 90-day series read of an account with `seriesVideos` videos. */
  seriesRcu: number;
  seriesVideos: number;
  seriesDays: number;
  seriesMs: number;
  /** Day-0 pass: wall time and TikTok calls (calls one after another), at `latencyMs` per call. */
  passSeconds: number;
  passCalls: number;
  latencyMs: number;
};

export type AnalyticsUsage = {
  daysPerMonth: number;
  videosPerAccount: number;
  /** Videos a video/list page or a video/query call carries (TikTok's maximum: 20). */
  videosPerCall: number;
  /** Dashboard views a week per account, each reading `dashboardDays` of history. */
  dashboardViewsPerWeek: number;
  dashboardDays: number;
  /** The snapshot function's timeout (the stack's 14 minutes): a pass is billed at most this long. */
  timeoutMs: number;
  /** TikTok's latency per call in AWS (the service model's figure). */
  tiktokLatencyMs: number;
  /** Bytes of one stored point in a String Set (see bytesPerPoint). */
  videoPointBytes: number;
  accountPointBytes: number;
  /** `v` + a 19-digit TikTok video id: the attribute holding a video's points in a day item. */
  videoAttributeBytes: number;
  /** pk (ANALYTICS#<open_id>#<app user>), sk (DAY#YYYY-MM-DD), kind, ttl, downsampled, attribute names. */
  dayItemFixedBytes: number;
  /** A VIDEO# catalogue item (id, createdAt, caption, hashtags, schedule, latest point). */
  videoItemBytes: number;
};

export type AnalyticsLine = { item: string; quantity: number; unit: string; unitPrice: number };

export type AnalyticsCost = {
  accounts: number;
  lines: AnalyticsLine[];
  total: number;
  /** Share of the default cadence the snapshot budget covers (1 up to capacityAccounts). */
  cadenceShare: number;
  snapshotsPerAccountDay: number;
  passSeconds: number;
  /** What a pass would take at the measured pace, uncapped by the timeout. */
  neededSeconds: number;
  storageBytesPerAccount: number;
  videoSnapshotsPerAccountDay: number;
  msPerCall: number;
  rcuPerView: number;
  fullDayBytes: number;
  downsampledDayBytes: number;
};

const OVERHEAD = 100; // DynamoDB's storage overhead per item

/** Reads bench/results/analytics.json and the two figures only analytics.md has (day-0 pass time, series ms). */
export function readAnalyticsMeasured(results: string): AnalyticsMeasured {
  const jsonFile = join(results, 'analytics.json');
  const mdFile = join(results, 'analytics.md');
  if (!existsSync(jsonFile) || !existsSync(mdFile))
    throw new Error('bench/results/analytics.json or analytics.md is missing: run `npm run bench:analytics`');
  const json = JSON.parse(readFileSync(jsonFile, 'utf8')) as Omit<
    AnalyticsMeasured,
    'seriesVideos' | 'seriesDays' | 'seriesMs' | 'passSeconds' | 'passCalls' | 'latencyMs'
  >;
  const md = readFileSync(mdFile, 'utf8');
  const row = (label: string) => {
    const line = md.split('\n').find((l) => l.startsWith(`| ${label} |`));
    if (!line) throw new Error(`analytics.md has no row "${label}"`);
    return (line.split('|')[2] ?? '').trim();
  };
  const numbers = (s: string) => s.split('/').map((part) => Number(part.replace(/,/g, '').trim()));
  const series = numbers(row('90-day series (1,000 videos, page of 100): queries / est. RCU / ms'));
  const day0Calls = numbers(row('day-0 pass: calls (user_info / list / query)'));
  return {
    ...json,
    seriesVideos: 1000,
    seriesDays: 90,
    seriesMs: series[2] ?? Number.NaN,
    passSeconds: Number(row('day-0 pass duration (s)')),
    passCalls: day0Calls.reduce((a, b) => a + b, 0),
    latencyMs: Number(row('TikTok latency per call (ms)')),
  };
}

/**
 * Bytes of a point as the store encodes it (`at,c1,c2,c3,c4` in a String Set): a 13-digit millisecond time, four
 * commas and the counters at typical sizes.
 */
export function bytesPerPoint(counterDigits: number[]): number {
  return 13 + counterDigits.length + counterDigits.reduce((a, b) => a + b, 0);
}

export function analyticsCost(
  measured: AnalyticsMeasured,
  settings: AnalyticsSettings,
  facts: StackFacts,
  usage: AnalyticsUsage,
  accounts: number,
): AnalyticsCost {
  const A = accounts;
  const days = usage.daysPerMonth;
  const passesPerMonth = (days * 1440) / 15;
  // Beyond the budget's capacity the pass defers the oldest tiers: calls, snapshots and writes stop growing.
  const cadenceShare = Math.min(1, measured.capacityAccounts / A);
  const videoScale = usage.videosPerAccount / measured.videos;

  // Snapshots per account a day: the account every accountMs (after its young hours), and the video points the
  // measured list and query calls carry (up to videosPerCall each: an upper bound).
  const accountPerDay = 86_400_000 / settings.accountMs;
  const { user_info, video_list, video_query } = measured.perAccountDay;
  const videoPerDay = Math.min(
    (video_list + video_query) * videoScale * usage.videosPerCall,
    usage.videosPerAccount * (86_400_000 / settings.videoNewMs),
  );
  const snapshotsPerAccountDay = accountPerDay + videoPerDay;
  const callsPerAccountDay = user_info + (video_list + video_query) * videoScale;

  // Lambda: 96 passes a day. The measured day-0 pass's wall time per call (its TikTok calls and DynamoDB work,
  // `concurrency` connections at a time) with the emulator's latency replaced by TikTok's; a pass also spreads its
  // calls over its interval (the budget's share a minute), and the function's timeout caps it.
  const msPerCall =
    (measured.passSeconds * 1000) / measured.passCalls +
    (usage.tiktokLatencyMs - measured.latencyMs) / settings.concurrency;
  const callsPerPass = (A * cadenceShare * callsPerAccountDay) / 96;
  const busiestPerPass = (A * cadenceShare * Math.max(user_info, video_list, video_query * videoScale)) / 96;
  const budgetPerMinute = 600 * settings.budgetShare;
  const neededMs = Math.max(500 + callsPerPass * msPerCall, (busiestPerPass / budgetPerMinute) * 60_000);
  const passMs = Math.min(neededMs, usage.timeoutMs);
  const snapshotFn = facts.functions.AnalyticsSnapshotFunction;
  const seriesFn = facts.functions.AnalyticsSeriesFunction;
  if (!snapshotFn || !seriesFn)
    throw new Error('the stack has no AnalyticsSnapshotFunction / AnalyticsSeriesFunction');
  const passGbSeconds = passesPerMonth * (passMs / 1000) * (snapshotFn.memoryMb / 1024);

  // Writes: measured items per snapshot, 1 WRU each (catalogue and state items are under 1 KB), plus per pass that
  // touches the account: the day item billed at its size (an update is billed at the larger of before and after;
  // on average half the day's points) and the due-index entry the schedule update rewrites.
  const snapshotsMonth = A * cadenceShare * snapshotsPerAccountDay * days;
  const itemWrites = snapshotsMonth * measured.itemsPerSnapshot;
  const distinctVideosPerDay = Math.min(usage.videosPerAccount, videoPerDay);
  const fullDayBytes =
    usage.dayItemFixedBytes +
    accountPerDay * usage.accountPointBytes +
    distinctVideosPerDay * usage.videoAttributeBytes +
    videoPerDay * usage.videoPointBytes;
  const passesTouching = Math.max(user_info, video_list, video_query);
  const dayItemExtraWru = Math.max(0, Math.ceil(fullDayBytes / 2 / 1024) - 1) + 1;
  const extraWrites = A * cadenceShare * passesTouching * dayItemExtraWru * days;

  // Storage: one day item per connection-day for the retention; days past downsampleAfterDays keep one point per
  // video and one for the account; the catalogue items. Steady state after a year of being connected.
  const downsampledBytes =
    usage.dayItemFixedBytes +
    usage.accountPointBytes +
    distinctVideosPerDay * (usage.videoAttributeBytes + usage.videoPointBytes);
  const fullDays = settings.downsampleAfterDays;
  const downsampledDays = settings.retentionDays - settings.downsampleAfterDays;
  const storageBytesPerAccount =
    fullDays * (fullDayBytes + OVERHEAD) +
    downsampledDays * (downsampledBytes + OVERHEAD) +
    usage.videosPerAccount * (usage.videoItemBytes + OVERHEAD) +
    2 * OVERHEAD +
    300; // STATE item and its due-index entry
  const storageGb = (A * storageBytesPerAccount) / GB;

  // Dashboard: the measured 90-day read scaled to dashboardDays and videosPerAccount.
  const viewsMonth = A * usage.dashboardViewsPerWeek * (days / 7);
  const readScale =
    (usage.dashboardDays / measured.seriesDays) * (usage.videosPerAccount / measured.seriesVideos);
  const rcuPerView = measured.seriesRcu * readScale;
  const viewMs = Math.max(50, measured.seriesMs * readScale);

  const lines: AnalyticsLine[] = [
    {
      item: 'snapshot pass: Lambda requests',
      quantity: passesPerMonth,
      unit: 'request',
      unitPrice: PRICES.lambdaRequest,
    },
    {
      item: 'snapshot pass: Lambda duration (arm64)',
      quantity: passGbSeconds,
      unit: 'GB-s',
      unitPrice: PRICES.lambdaArmGbSecond,
    },
    {
      item: 'snapshot writes: items (catalogue, state, points)',
      quantity: itemWrites,
      unit: 'WRU',
      unitPrice: PRICES.dynamoWriteUnit,
    },
    {
      item: 'snapshot writes: day-item size and due-index entry',
      quantity: extraWrites,
      unit: 'WRU',
      unitPrice: PRICES.dynamoWriteUnit,
    },
    {
      item: `storage (${settings.retentionDays} days, steady state)`,
      quantity: storageGb,
      unit: 'GB-month',
      unitPrice: PRICES.dynamoStorageGbMonth,
    },
    {
      item: 'point-in-time recovery',
      quantity: storageGb,
      unit: 'GB-month',
      unitPrice: PRICES.dynamoPitrGbMonth,
    },
    {
      item: 'dashboard reads',
      quantity: viewsMonth * rcuPerView,
      unit: 'RRU',
      unitPrice: PRICES.dynamoReadUnit,
    },
    {
      item: 'dashboard: API requests + Lambda requests',
      quantity: viewsMonth,
      unit: 'request',
      unitPrice: PRICES.httpApiRequest + PRICES.lambdaRequest,
    },
    {
      item: 'dashboard: Lambda duration (arm64)',
      quantity: viewsMonth * (viewMs / 1000) * (seriesFn.memoryMb / 1024),
      unit: 'GB-s',
      unitPrice: PRICES.lambdaArmGbSecond,
    },
  ];
  return {
    accounts: A,
    lines,
    total: lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0),
    cadenceShare,
    snapshotsPerAccountDay,
    passSeconds: passMs / 1000,
    neededSeconds: neededMs / 1000,
    storageBytesPerAccount,
    videoSnapshotsPerAccountDay: videoPerDay,
    msPerCall,
    rcuPerView,
    fullDayBytes,
    downsampledDayBytes: downsampledBytes,
  };
}
