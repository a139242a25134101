/**
 * `npm run bench:analytics [-- --accounts 20 --videos 100 --latency 50]`
 *
 * Analytics snapshots against the TikTok emulator with added latency, on DynamoDB Local:
 *  - TikTok calls of a pass against the minimum: per account 1 user/info, the discovery pages (video/list, 20 a
 *    page, at least one), and ceil(due videos not on those pages / 20) video/query calls. A discovery page carries
 *    its videos' stats, so the issue's looser "1 + ceil(due / 20) + discovery" counts its videos twice;
 *    the bench prints that figure too;
 *  - DynamoDB items written per snapshot;
 *  - reads and latency of a 90-day history query for an account with 1,000 videos;
 *  - calls per account per day at the default cadence (two simulated days of 15-minute passes), hence the
 *    accounts the default budget (50% of TikTok's 600/min per endpoint) carries before cadence degrades.
 * Prints the tables and writes bench/results/analytics.md and analytics.json (read by bench/cost.ts).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startDynamoDbLocal } from '../local/dynamodb-local.js';
import { type EmulatedVideo, startTikTokEmulator } from '../local/tiktok-emulator/index.js';
import { readSeries, readVideoMetrics } from '../shared/analytics/analytics-query.js';
import { runSnapshotPass } from '../shared/analytics/snapshot-pass.js';
import { loadConfig } from '../shared/config.js';
import { createDeps } from '../shared/deps.js';
import { Logger } from '../shared/log.js';
import { dayString } from '../shared/store/analytics-store.js';
import { createDynamoClient } from '../shared/store/dynamo-client.js';
import { ensureTable } from '../shared/store/ensure-table.js';
import { connectWithEmulatorGrant } from './emulator-grant.js';
import { markdownTable, textTable } from './table.js';

const { values } = parseArgs({
  options: {
    accounts: { type: 'string', default: '20' },
    videos: { type: 'string', default: '100' },
    latency: { type: 'string', default: '50' },
    days: { type: 'string', default: '2' },
  },
});
const N = Number(values.accounts);
const M = Number(values.videos);
const LATENCY_MS = Number(values.latency);
const SIM_DAYS = Number(values.days);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const REDIRECT_URI = 'https://bench.example/auth/tiktok/callback';
const RESULTS = resolve(import.meta.dirname, 'results');
const SCOPES = ['user.info.basic', 'user.info.profile', 'user.info.stats', 'video.list'];

let clock = Date.UTC(2026, 10, 1);
const dynamodb = await startDynamoDbLocal();
const emulator = await startTikTokEmulator({ clientKey: 'bench-key', clientSecret: 'bench-secret' });
try {
  const config = loadConfig({
    TABLE_NAME: `bench-${randomUUID()}`,
    DYNAMODB_ENDPOINT: dynamodb.endpoint,
    TIKTOK_CLIENT_KEY: 'bench-key',
    TIKTOK_CLIENT_SECRET: 'bench-secret',
    TIKTOK_REDIRECT_URI: REDIRECT_URI,
    TIKTOK_AUTHORIZE_URL: emulator.authorizeUrl,
    TIKTOK_API_BASE_URL: emulator.apiBaseUrl,
    TOKEN_KEY_FILE: join(mkdtempSync(join(tmpdir(), 'bench-')), 'token-key.json'),
    TIKTOK_HTTP_TIMEOUT_MS: '10000',
    // The bench counts calls; the default pass spacing would only make it slower.
    TIKTOK_RATE_LIMIT_PER_MINUTE: '100000',
  });
  const db = createDynamoClient({ region: config.region, endpoint: config.dynamodbEndpoint });
  await ensureTable(db, config.tableName);
  let queries = 0;
  let queryBytes = 0;
  db.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'QueryCommand') {
        queries++;
        queryBytes += JSON.stringify((result.output as { Items?: unknown[] }).Items ?? []).length;
      }
      return result;
    },
    { step: 'initialize', name: 'countQueries' },
  );
  const deps = createDeps(config, {
    now: () => clock,
    dynamoClient: db,
    logger: new Logger({ sink: () => undefined }),
    metrics: () => undefined,
  });

  // N creators with M public videos each, posted every (400 / M) days up to today: every cadence tier occurs.
  const template = emulator.users[0];
  if (!template) throw new Error('no emulator user');
  for (let i = 0; i < N; i++) {
    const openId = `bench-${i}-${randomUUID()}`;
    const videos: EmulatedVideo[] = Array.from({ length: M }, (_, v) => {
      const createTime = Math.floor((clock - 3 * HOUR - v * ((400 * DAY) / M)) / 1000) - i;
      return {
        ...(template.videos[0] as EmulatedVideo),
        id: ((BigInt(createTime) << 32n) | BigInt(v + 1)).toString(),
        createTime,
        description: `Video ${v} #bench #tier${v % 3}`,
      };
    });
    emulator.users.push({ ...template, openId, unionId: `u-${openId}`, videos });
    await connectWithEmulatorGrant(deps, emulator, {
      appUser: `creator-${i}`,
      userId: openId,
      redirectUri: REDIRECT_URI,
      scopes: SCOPES,
    });
    await deps.analytics.enrol(
      { appUser: `creator-${i}`, openId },
      { connectedAt: clock, dueAt: clock, now: clock },
    );
  }
  emulator.setOptions({ latencyMs: LATENCY_MS });

  // 1. Day 0: the first snapshot of every account.
  const pass = async () => {
    emulator.calls.reset();
    const started = Date.now();
    const report = await runSnapshotPass(deps, { deadline: Number.POSITIVE_INFINITY });
    return { report, ms: Date.now() - started };
  };
  const first = await pass();
  const firstCalls = first.report.tiktokCalls;
  /**
   * The fewest calls one account's pass can make: 1 user/info, the discovery pages (every new video must be
   * listed; at least the newest page to see whether there is one), and video/query for the due videos those
   * pages did not carry, 20 ids a call.
   */
  const minimumCalls = (input: { newVideos: number; dueVideos: number }) => {
    const pages = Math.max(1, Math.ceil(input.newVideos / 20));
    const onPages = Math.min(pages * 20, input.dueVideos + input.newVideos);
    return 1 + pages + Math.ceil(Math.max(0, input.dueVideos + input.newVideos - onPages) / 20);
  };
  /** The issue's formula: 1 user/info + ceil(due videos / 20) per account, plus the discovery pages. */
  const issueFormula = (input: { newVideos: number; dueVideos: number }) =>
    1 + Math.ceil(input.dueVideos / 20) + Math.max(1, Math.ceil(input.newVideos / 20));
  // Day 0: every video is new (and listed with its stats); none is due beyond those.
  const firstMinimum = N * minimumCalls({ newVideos: M, dueVideos: 0 });

  // 2. A week later every video is due (the weekly tier too): the heaviest regular pass.
  clock += 7 * DAY + 60_000;
  const week = await pass();
  const dueVideos = week.report.videoSnapshots;
  // A week later nothing is new and every known video is due; the newest 20 come on the discovery page.
  const dueEach = { newVideos: 0, dueVideos: Math.ceil(dueVideos / N) };
  const weekMinimum = N * minimumCalls(dueEach);
  const weekIssueFormula = N * issueFormula(dueEach);
  const itemsPerSnapshot = week.report.itemsWritten / (week.report.accountSnapshots + dueVideos);

  // 3. Steady state: SIM_DAYS of 15-minute passes, counting calls per endpoint.
  const steady = { user_info: 0, video_list: 0, video_query: 0 };
  const steadyStart = clock;
  for (clock += 15 * 60_000; clock < steadyStart + SIM_DAYS * DAY; clock += 15 * 60_000) {
    const { report } = await pass();
    for (const endpoint of ['user_info', 'video_list', 'video_query'] as const)
      steady[endpoint] += report.tiktokCalls[endpoint];
  }
  const perAccountDay = {
    user_info: steady.user_info / N / SIM_DAYS,
    video_list: steady.video_list / N / SIM_DAYS,
    video_query: steady.video_query / N / SIM_DAYS,
  };
  const budgetPerDay = Math.floor(config.tiktok.rateLimitPerMinute > 0 ? 600 * 0.5 * 1440 : 0);
  const busiest = Math.max(perAccountDay.user_info, perAccountDay.video_list, perAccountDay.video_query);
  const capacityAccounts = Math.floor(budgetPerDay / busiest);

  // 4. A 90-day history query for an account with 1,000 videos (points at the default cadence, seeded directly).
  const big = { appUser: 'big-creator', openId: `big-${randomUUID()}` };
  await deps.analytics.enrol(big, { connectedAt: clock - 90 * DAY, dueAt: clock + DAY, now: clock });
  const bigVideos = Array.from({ length: 1000 }, (_, v) => ({
    id: String(7_000_000_000_000_000_000n + BigInt(v)),
    createdAt: clock - 95 * DAY + v * ((90 * DAY) / 1000),
  }));
  for (const video of bigVideos) {
    await deps.analytics.trackVideo(
      big,
      { ...video, description: `v #tag${video.id.slice(-1)}`, hashtags: [`tag${video.id.slice(-1)}`] },
      { dueAt: clock + DAY, now: clock },
    );
  }
  for (let t = clock - 90 * DAY; t < clock; t += HOUR) {
    const points = bigVideos
      .filter((video) => video.createdAt <= t)
      .filter((video) => {
        const age = t - video.createdAt;
        const every = age < 10 * DAY ? 3 : age < 60 * DAY ? 24 : 168;
        return Math.floor(t / HOUR) % every === 0;
      })
      .map((video) => ({
        id: video.id,
        point: { at: t, viewCount: 1000, likeCount: 50, commentCount: 3, shareCount: 1 },
      }));
    const account =
      Math.floor(t / HOUR) % 6 === 0
        ? { at: t, followerCount: 100_000, followingCount: 10, likesCount: 1, videoCount: 1000 }
        : undefined;
    if (points.length || account)
      await deps.analytics.addPoints(big, { account, videos: points, now: clock });
  }
  const range = {
    from: dayString(clock - 89 * DAY),
    to: dayString(clock),
    fromMs: clock - 90 * DAY,
    toMs: clock,
  };
  queries = 0;
  queryBytes = 0;
  let started = Date.now();
  const series = await readSeries(deps, big, range, { limit: 100 });
  const seriesMs = Date.now() - started;
  const seriesQueries = queries;
  const seriesBytes = queryBytes;
  queries = 0;
  queryBytes = 0;
  started = Date.now();
  await readVideoMetrics(deps, big, range);
  const metricsMs = Date.now() - started;

  const rcu = (bytes: number) => Math.ceil(bytes / 4096) * 0.5; // eventually consistent reads
  const rows: [string, string][] = [
    ['accounts × videos', `${N} × ${M}`],
    ['simulated steady-state days (15-minute passes)', String(SIM_DAYS)],
    ['TikTok latency per call (ms)', String(LATENCY_MS)],
    [
      'day-0 pass: calls (user_info / list / query)',
      `${firstCalls.user_info} / ${firstCalls.video_list} / ${firstCalls.video_query}`,
    ],
    [
      'day-0 pass: calls vs minimum',
      `${firstCalls.user_info + firstCalls.video_list + firstCalls.video_query} vs ${firstMinimum}`,
    ],
    ['day-0 pass duration (s)', (first.ms / 1000).toFixed(1)],
    [
      'all-due pass: calls (user_info / list / query)',
      `${week.report.tiktokCalls.user_info} / ${week.report.tiktokCalls.video_list} / ${week.report.tiktokCalls.video_query}`,
    ],
    [
      'all-due pass: calls vs minimum',
      `${week.report.tiktokCalls.user_info + week.report.tiktokCalls.video_list + week.report.tiktokCalls.video_query} vs ${weekMinimum}`,
    ],
    ["all-due pass: the issue's formula (1 + ⌈due/20⌉ + discovery per account)", String(weekIssueFormula)],
    ['DynamoDB items written per snapshot', itemsPerSnapshot.toFixed(2)],
    [
      'steady calls / account / day (user_info / list / query)',
      `${perAccountDay.user_info.toFixed(1)} / ${perAccountDay.video_list.toFixed(1)} / ${perAccountDay.video_query.toFixed(1)}`,
    ],
    [
      '90-day series (1,000 videos, page of 100): queries / est. RCU / ms',
      `${seriesQueries} / ${rcu(seriesBytes)} / ${seriesMs}`,
    ],
    [
      '90-day per-video metrics (1,000 videos): queries / est. RCU / ms',
      `${queries} / ${rcu(queryBytes)} / ${metricsMs}`,
    ],
    ['series answer: account points / videos', `${series.account.length} / ${series.videos.length}`],
  ];
  const capacityRows: [string, string][] = [
    ['snapshot budget per endpoint (50% of 600/min)', `${budgetPerDay.toLocaleString('en')} calls/day`],
    ['busiest endpoint per account per day', busiest.toFixed(1)],
    [`accounts at the default cadence (${M} videos each)`, capacityAccounts.toLocaleString('en')],
    ['cadence starts degrading above', `${capacityAccounts.toLocaleString('en')} accounts`],
  ];
  console.log(textTable(['measure', 'value'], rows));
  console.log(textTable(['capacity', 'value'], capacityRows));
  writeFileSync(
    join(RESULTS, 'analytics.md'),
    [
      '# Analytics snapshots (npm run bench:analytics)',
      '',
      `Emulator with ${LATENCY_MS} ms added latency, DynamoDB Local, default cadence settings. RCU are estimated from the bytes the queries returned (eventually consistent, 4 KB each).`,
      '',
      markdownTable(['measure', 'value'], rows),
      '',
      '## Capacity',
      '',
      markdownTable(['capacity', 'value'], capacityRows),
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(RESULTS, 'analytics.json'),
    `${JSON.stringify({ accounts: N, videos: M, perAccountDay, itemsPerSnapshot, capacityAccounts, seriesRcu: rcu(seriesBytes) }, null, 2)}\n`,
  );
  console.log('written: bench/results/analytics.md, bench/results/analytics.json');
  db.destroy();
} finally {
  await emulator.close();
  await dynamodb.stop();
}
