/**
 * `npm run bench:cost` (after `npm run bench:requests`)
 *
 * The AWS cost a month for 10,000, 100,000 and 1,000,000 connected accounts, with 24-hour and 2-hour TikTok access
 * tokens, computed from the request counts bench/requests.ts measured (bench/results/requests.json), the deployed
 * stack's settings (synthesized here: memory sizes, schedule, refresh settings, alarms) and the usage assumptions
 * below. Prints the tables and writes bench/results/cost.md.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../shared/config.js';
import {
  type AnalyticsCost,
  type AnalyticsUsage,
  analyticsCost,
  bytesPerPoint,
  readAnalyticsMeasured,
} from './cost/analytics.js';
import { monthlyCost, type Scenario, type ScenarioCost, SERVICES, type Usage } from './cost/model.js';
import { PRICES } from './cost/prices.js';
import { readStackFacts, type StackFacts } from './cost/stack-facts.js';
import { byPrefix, get } from './requests/meter.js';
import type { RequestsReport } from './requests/report.js';
import { markdownTable, textTable } from './table.js';

const ROOT = resolve(import.meta.dirname, '..');
const RESULTS = join(ROOT, 'bench', 'results');
const ACCOUNTS = [10_000, 100_000, 1_000_000];
const TOKEN_HOURS = [24, 2];

/** Typical values for the access-log placeholders (a browser's user agent, a TikTok open_id in the path). */
const ACCESS_LOG_SAMPLE: Record<string, string> = {
  '$context.requestId': 'KbXqZhM2oAMEbXw=',
  '$context.requestTime': '25/Nov/2026:20:48:54 +0000',
  '$context.identity.sourceIp': '203.0.113.7',
  '$context.identity.userAgent':
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  '$context.routeKey': 'GET /tiktok/connections/{openId}/profile',
  '$context.path': '/tiktok/connections/723f24d7-e717-40f8-a2b6-cb8464cd23b4/profile',
  '$context.status': '200',
  '$context.protocol': 'HTTP/1.1',
  '$context.responseLength': '612',
  '$context.responseLatency': '352',
  '$context.integrationLatency': '347',
};

/** Lambda's own lines per invocation in the JSON log format the stack sets (LoggingFormat.JSON). */
const PLATFORM_LOG_SAMPLE = [
  '{"time":"2026-11-25T20:48:54.599Z","type":"platform.start","record":{"requestId":"6f3c1b0e-52d8-4c58-9c1f-1a0f5d2b7c11","version":"$LATEST"}}',
  '{"time":"2026-11-25T20:48:54.951Z","type":"platform.report","record":{"requestId":"6f3c1b0e-52d8-4c58-9c1f-1a0f5d2b7c11","metrics":{"durationMs":351.42,"billedDurationMs":352,"memorySizeMB":512,"maxMemoryUsedMB":96},"status":"success"}}',
];

const requestsFile = join(RESULTS, 'requests.json');
if (!existsSync(requestsFile)) {
  console.error('bench/results/requests.json is missing: run `npm run bench:requests` first');
  process.exit(1);
}
const report = JSON.parse(readFileSync(requestsFile, 'utf8')) as RequestsReport;
const facts = readStackFacts(ROOT);

const usage: Usage = {
  daysPerMonth: 30,
  // Twice a day: at 1,000,000 accounts that is already 2,000,000 user-info and video-list calls a day, more than
  // TikTok's default 600 a minute per endpoint allows (864,000 a day): see the rate check below.
  pageViewsPerDay: 2,
  // An upper bound: most accounts connect once and stay connected for months.
  connectsPerMonth: 1,
  disconnectsPerAccountMonth: 0.02,
  webhooksPerAccountMonth: 0.01,
  tiktokLatencyMs: 300,
  peakFactor: 2,
  initMs: 400,
  coldStartsPerContainerHour: 1,
  preflightsPerPageView: 3,
  preflightResponseBytes: 300,
  platformLogBytesPerInvocation: PLATFORM_LOG_SAMPLE.reduce((sum, l) => sum + Buffer.byteLength(l) + 1, 0),
  accessLogBytesPerRequest: accessLogBytes(facts.accessLogFormat),
  // About 5 pollers long-polling 20 s each while the queue is empty: 5 × 3 a minute.
  idleQueuePollsPerMonth: 5 * 3 * 60 * 24 * 30,
  cacheMinutes: report.cacheSeconds / 60,
};

const results: ScenarioCost[] = [];
for (const hours of TOKEN_HOURS) {
  for (const accounts of ACCOUNTS)
    results.push(monthlyCost(report, facts, usage, { accounts, accessTokenHours: hours }));
}

// Analytics snapshots: their own table, so the figures above stay comparable with earlier runs.
const analyticsMeasured = readAnalyticsMeasured(RESULTS);
const analyticsSettings = loadConfig({ TIKTOK_CLIENT_KEY: 'bench', TIKTOK_CLIENT_SECRET: 'bench' }).analytics;
const analyticsUsage: AnalyticsUsage = {
  daysPerMonth: usage.daysPerMonth,
  videosPerAccount: 100,
  videosPerCall: 20,
  dashboardViewsPerWeek: 1,
  dashboardDays: 30,
  timeoutMs: 14 * 60_000,
  tiktokLatencyMs: usage.tiktokLatencyMs,
  // at + views (6 digits), likes (4), comments (3), shares (3); at + followers (6), following (3), likes (7), videos (3)
  videoPointBytes: bytesPerPoint([6, 4, 3, 3]),
  accountPointBytes: bytesPerPoint([6, 3, 7, 3]),
  videoAttributeBytes: 20,
  // pk: ANALYTICS# + open_id (~40) + # + app user (~36); sk: DAY#YYYY-MM-DD; kind, ttl, downsampled and their names
  dayItemFixedBytes: 2 + 87 + 2 + 14 + 4 + 13 + 3 + 11 + 12 + 1 + 1,
  videoItemBytes: 300,
};
const analytics = ACCOUNTS.map((accounts) =>
  analyticsCost(analyticsMeasured, analyticsSettings, facts, analyticsUsage, accounts),
);
const analyticsFor = (accounts: number) => analytics.find((a) => a.accounts === accounts) as AnalyticsCost;

const scenarioName = (s: Scenario) => `${s.accessTokenHours} h tokens, ${s.accounts.toLocaleString('en-US')}`;
const header = ['service', ...results.map((r) => scenarioName(r.scenario))];
const costRows = [
  ...SERVICES.map((service) => [
    service,
    ...results.map((r) =>
      dollars(
        r.lines.filter((l) => l.service === service).reduce((sum, l) => sum + l.quantity * l.unitPrice, 0),
      ),
    ),
  ]),
  ['**total a month**', ...results.map((r) => `**${dollars(r.total)}**`)],
  ['per 1,000 accounts', ...results.map((r) => dollars((r.total / r.scenario.accounts) * 1000))],
];
const analyticsRows = analyticsTable();
const perAccountRows = perAccountTable(results);
const refreshRows = refreshTable(results);
const rateRows = rateTable(results);

console.log(
  '\nbench/cost — AWS cost a month from the measured request counts (us-east-1 list prices, no free tier)\n',
);
console.log(
  textTable(
    header,
    costRows.map((row) => row.map((cell) => cell.replaceAll('**', ''))),
  ),
);
console.log('\nAnalytics snapshots (not in the totals above)\n');
console.log(
  textTable(
    ['analytics', ...header.slice(1)],
    analyticsRows.map((row) => row.map((cell) => cell.replaceAll('**', ''))),
  ),
);
console.log('\nPer account a month\n');
console.log(textTable(['', ...header.slice(1)], perAccountRows));
console.log('\nRefresh\n');
console.log(textTable(['', ...header.slice(1)], refreshRows));
console.log(
  '\nTikTok calls a minute, on average, per endpoint (TikTok allows 600 a minute per endpoint for the app)\n',
);
console.log(textTable(['endpoint', ...header.slice(1)], rateRows));
console.log(`\nwritten: bench/results/cost.md (assumptions, line items per scenario)`);
writeFileSync(join(RESULTS, 'cost.md'), markdown());

function accessLogBytes(format: string): number {
  if (!format) throw new Error('the stack has no access-log format');
  return (
    Buffer.byteLength(format.replace(/\$context\.[\w.]+/g, (name) => ACCESS_LOG_SAMPLE[name] ?? '-')) + 1
  );
}

function analyticsTable(): string[][] {
  const first = analytics[0] as AnalyticsCost;
  const forResult = (r: ScenarioCost) => analyticsFor(r.scenario.accounts);
  return [
    ...first.lines.map((line, i) => [
      line.item,
      ...results.map((r) => {
        const l = forResult(r).lines[i] as AnalyticsCost['lines'][number];
        return dollars(l.quantity * l.unitPrice);
      }),
    ]),
    ['**analytics a month**', ...results.map((r) => `**${dollars(forResult(r).total)}**`)],
    [
      'analytics per 1,000 accounts',
      ...results.map((r) => dollars((forResult(r).total / r.scenario.accounts) * 1000)),
    ],
    ['service + analytics a month', ...results.map((r) => dollars(r.total + forResult(r).total))],
    [
      'snapshot pass: time needed at the measured pace (s)',
      ...results.map((r) => forResult(r).neededSeconds.toFixed(0)),
    ],
    [
      'snapshot pass: billed (s, up to the 840 s timeout)',
      ...results.map((r) => forResult(r).passSeconds.toFixed(0)),
    ],
    [
      'default cadence kept (TikTok budget)',
      ...results.map((r) => `${(100 * forResult(r).cadenceShare).toFixed(0)}%`),
    ],
    [
      'storage per account (MB)',
      ...results.map((r) => (forResult(r).storageBytesPerAccount / 1024 ** 2).toFixed(2)),
    ],
  ];
}

function analyticsLineItems(a: AnalyticsCost): string {
  return markdownTable(
    ['item', 'quantity', 'unit price', 'cost'],
    a.lines.map((l) => [
      l.item,
      `${count(l.quantity)} ${l.unit}`,
      unitPrice(l.unitPrice, l.unit),
      dollars(l.quantity * l.unitPrice),
    ]),
    ['left'],
  );
}

function perAccountTable(all: ScenarioCost[]): string[][] {
  const perAccount = (r: ScenarioCost, pick: (w: ScenarioCost['workloads'][number]) => number) =>
    r.workloads.reduce((sum, w) => sum + pick(w), 0) / r.scenario.accounts;
  const sumPrefix = (prefix: string) => (w: ScenarioCost['workloads'][number]) =>
    Object.values(byPrefix(w.counts, prefix)).reduce((a, b) => a + b, 0);
  const rows: [string, (r: ScenarioCost) => number, number][] = [
    ['Lambda invocations', (r) => perAccount(r, (w) => w.invocations), 1],
    ['HTTP API requests (without preflights)', (r) => perAccount(r, (w) => (w.http ? w.invocations : 0)), 1],
    ['TikTok calls', (r) => perAccount(r, sumPrefix('tiktok')), 1],
    ['DynamoDB requests', (r) => perAccount(r, sumPrefix('dynamodb')), 1],
    ['DynamoDB write units', (r) => perAccount(r, (w) => get(w.counts, 'wru:total')), 1],
    ['DynamoDB read units', (r) => perAccount(r, (w) => get(w.counts, 'rru:total')), 1],
    ['KMS requests (data keys)', (r) => perAccount(r, sumPrefix('kms')), 1],
    ['Secrets Manager calls', (r) => perAccount(r, (w) => get(w.counts, 'secrets:GetSecretValue')), 1],
    ['EventBridge events', (r) => perAccount(r, (w) => get(w.counts, 'events:entries')), 1],
    ['SQS requests (without idle polling)', (r) => perAccount(r, sumPrefix('sqs')), 1],
    [
      'service log KB (app + EMF)',
      (r) => perAccount(r, (w) => get(w.counts, 'logs:bytes') + get(w.counts, 'metrics:bytes')),
      1024,
    ],
  ];
  return rows.map(([label, value, divisor]) => [label, ...all.map((r) => count(value(r) / divisor))]);
}

function refreshTable(all: ScenarioCost[]): string[][] {
  const rows: [string, (r: ScenarioCost) => string][] = [
    ['minutes between refreshes of a connection', (r) => r.refresh.intervalMinutes.toFixed(1)],
    ['refreshes a month', (r) => count(r.refresh.refreshesPerMonth)],
    ['due per scheduled run', (r) => count(r.refresh.duePerRun)],
    ['refreshed by the run itself', (r) => count(r.refresh.inlinePerRun)],
    ['batches to the queue per run', (r) => count(r.refresh.batchesPerRun)],
    ['workers busy', (r) => String(r.refresh.workersActive)],
    ['data keys sealing the live connections', (r) => count(r.refresh.keysInUse)],
    ['run duration (s)', (r) => r.refresh.runSeconds.toFixed(1)],
    ['worker batch duration (s)', (r) => r.refresh.batchSeconds.toFixed(1)],
    ['capacity per interval (run + workers)', (r) => count(r.refresh.capacityPerInterval)],
    [
      'due per interval / capacity',
      (r) => `${((100 * r.refresh.duePerRun) / r.refresh.capacityPerInterval).toFixed(0)}%`,
    ],
  ];
  return rows.map(([label, value]) => [label, ...all.map(value)]);
}

function rateTable(all: ScenarioCost[]): string[][] {
  const endpoints = [...new Set(all.flatMap((r) => Object.keys(r.tiktokPerMinute)))].sort();
  return endpoints.map((endpoint) => [
    endpoint,
    ...all.map((r) => {
      const perMinute = r.tiktokPerMinute[endpoint] ?? 0;
      const display = /user\/info|video\//.test(endpoint);
      return `${count(perMinute)}${display && perMinute > 600 ? ' (over 600)' : ''}`;
    }),
  ]);
}

function lineItems(r: ScenarioCost): string {
  return markdownTable(
    ['service', 'item', 'quantity', 'unit price', 'cost'],
    r.lines.map((l) => [
      l.service,
      l.item,
      `${count(l.quantity)} ${l.unit}`,
      unitPrice(l.unitPrice, l.unit),
      dollars(l.quantity * l.unitPrice),
    ]),
    ['left', 'left'],
  );
}

function workloadTable(r: ScenarioCost): string {
  return markdownTable(
    ['workload', 'function', 'invocations', 'billed ms each', 'warm containers'],
    r.workloads.map((w) => [
      w.label,
      w.functionName,
      count(w.invocations),
      w.durationMs.toFixed(0),
      String(w.containers),
    ]),
    ['left', 'left'],
  );
}

function markdown(): string {
  const f = (id: string) => report.flows.find((x) => x.id === id);
  const fnMemory = Object.entries(facts.functions)
    .map(([name, fn]) => `${name} ${fn.memoryMb} MB`)
    .join(', ');
  return [
    '<!-- written by `npm run bench:cost` (bench/cost.ts) from bench/results/requests.json; do not edit by hand -->',
    '',
    '# AWS cost a month',
    '',
    `From the request counts measured by \`npm run bench:requests\` (${report.generatedAt}), the stack as synthesized now, and the assumptions below. us-east-1 list prices as listed in 2026, **not checked online: check them against the current price list** (bench/cost/prices.ts); no free tier subtracted.`,
    '',
    markdownTable(header, costRows),
    '',
    '## Analytics snapshots',
    '',
    `Not in the totals above (so they stay comparable with earlier runs); the same for 24-hour and 2-hour tokens. From \`npm run bench:analytics\` (bench/results/analytics.json, analytics.md) and the analytics defaults.`,
    '',
    markdownTable(['analytics', ...header.slice(1)], analyticsRows),
    '',
    analyticsAssumptions(),
    '',
    '## Assumptions',
    '',
    `- Each account: ${usage.connectsPerMonth} connect a month (start in JSON mode + launch + callback; an upper bound), its page shown ${usage.pageViewsPerDay} times a day (list of connections + profile + one videos page of 10), ${usage.disconnectsPerAccountMonth * 100}% disconnect and ${usage.webhooksPerAccountMonth * 100}% are deauthorized by TikTok's webhook a month. No video queries (each costs about what a videos page does). ${usage.daysPerMonth}-day months.`,
    `- Refresh: the stack's settings (every ${facts.scheduleMinutes} min, ${facts.refresh.aheadMinutes} min ahead, ${facts.refresh.concurrency} at a time, ${facts.refresh.maxInline} inline per run, batches of ${facts.refresh.batchSize}, up to ${facts.workerConcurrency} workers, refreshed events ${facts.refresh.publishRefreshed ? 'on' : 'off'}). A connection is refreshed every (access-token life − ${facts.refresh.aheadMinutes} min − mean jitter + half an interval): 24-hour tokens about once a day, 2-hour tokens about every 90 minutes. No on-demand refreshes (the schedule keeps tokens fresh).`,
    `- Lambda (arm64): ${fnMemory}. Duration = measured warm handler time + ${usage.tiktokLatencyMs} ms per TikTok call made one after another (the refresher and workers: ${facts.refresh.concurrency} at a time, in rounds). Warm containers = busy-hour concurrency (${usage.peakFactor}× the average); each is replaced about once an hour and that cold start bills ${usage.initMs} ms of INIT (\`npm run bench:cold-start\` measures module init only).`,
    `- Caches: a container redoes its rate-budget read once a minute, and its data key and client secret every ${usage.cacheMinutes} min, as the cold runs measured. A display read or disconnect needs the data key that sealed the connection at its last refresh: with K keys in use (one per refresh run, one per busy worker per ${usage.cacheMinutes}-minute window, one per callback container window, over one refresh interval; see the Refresh table) a container meets K(1 − (1 − 1/K)^R) new keys in a window of R reads, and each costs the cold run's Decrypt calls (${get(f('profile')?.cold ?? {}, 'kms:Decrypt')} for a profile read: see requests.md). A refresh run meets 1 + (busy workers) keys. DynamoDB's own KMS calls for the table's customer managed key are estimated at one per container per 5 minutes.`,
    `- DynamoDB: on-demand request units as measured (GSI writes included); storage = active connection items (${report.itemSizes['connection (active)']?.meanBytes ?? '?'} B measured, + 100 B each) and their two GSI entries, webhook deliveries for 4 days; PITR on the base table. Disconnected connections that pile up over the months are not counted.`,
    `- Logs: the service's JSON lines and EMF lines as measured, Lambda's platform lines (${usage.platformLogBytesPerInvocation} B per invocation, JSON format) and one API Gateway access-log line per request (${usage.accessLogBytesPerRequest} B with a browser user agent); storage for ${facts.logRetentionDays} days, uncompressed (an upper bound). ${report.emfMetrics.length} custom metrics appeared in the bench; failure metrics (by TikTok error code) add more when failures happen. ${facts.alarmMetrics} alarm metrics and ${facts.dashboards} dashboard from the stack.`,
    `- API Gateway: ${usage.preflightsPerPageView} CORS preflights per page view (the JWT routes are called cross-origin; a browser caches a preflight for at most the stack's hour, often less), assumed billed like any request; the $0.90 rate above 300 million requests a month is not applied. SQS: the event source receives and deletes each message; about ${count(usage.idleQueuePollsPerMonth)} long polls a month while idle (an estimate of AWS's pollers).`,
    `- Measured per request: start ${f('start_json')?.warmMs} ms, callback ${f('callback')?.warmMs} ms, profile ${f('profile')?.warmMs} ms, videos ${f('videos')?.warmMs} ms handler time here (DynamoDB Local on this machine; DynamoDB in AWS answers in single-digit ms, Lambda's CPU at 512 MB is slower than this machine's).`,
    '',
    '## Per account a month',
    '',
    markdownTable(['', ...header.slice(1)], perAccountRows),
    '',
    '## Refresh',
    '',
    markdownTable(['', ...header.slice(1)], refreshRows),
    '',
    '## TikTok rate',
    '',
    `Average TikTok calls a minute per endpoint. TikTok allows 600 a minute per Display API endpoint for the whole app by default; the service enforces that budget (\`TIKTOK_RATE_LIMIT_PER_MINUTE\`) and answers 429 beyond it. At 1,000,000 accounts and ${usage.pageViewsPerDay} page views a day the profile and video-list reads need more than TikTok's default (ask TikTok for a higher limit, or turn on \`DISPLAY_CACHE_SECONDS\`, which the stack leaves at ${facts.displayCacheSeconds}). Peaks are higher than the average. TikTok documents no limit for the token endpoint.`,
    '',
    markdownTable(['endpoint', ...header.slice(1)], rateRows),
    '',
    '## Not included',
    '',
    '- NAT gateway: none needed (the functions are not in a VPC).',
    '- Data transfer in (free) and within the region; the data-transfer line is answers to browsers and calls to TikTok (request bytes measured, TLS overhead not).',
    `- Free tiers (Lambda, DynamoDB 25 GB, KMS 20,000 requests, SQS 1 million, CloudWatch 5 GB logs / 10 metrics / 10 alarms / 3 dashboards, 100 GB data out) are not subtracted.`,
    '- CloudTrail (management events are free; data events are not enabled by the stack), X-Ray (tracing off by default), the custom domain (Route 53, ACM certificates are free), the identity provider that issues the JWTs, and whatever the platform does with the events (rules and targets on the bus are its own).',
    '- KMS key rotation: each of the first two yearly rotations adds $1 a month to the key (so $2, then $3).',
    '- Failures and retries (TikTok 5xx, throttling): they add calls and log lines; see `npm run bench:faults` for their behaviour.',
    '',
    '## Line items',
    '',
    ...results.flatMap((r) => [
      `<details><summary>${scenarioName(r.scenario)} accounts: ${dollars(r.total)}</summary>`,
      '',
      lineItems(r),
      '',
      workloadTable(r),
      '',
      '</details>',
      '',
    ]),
    ...analytics.flatMap((a) => [
      `<details><summary>Analytics, ${a.accounts.toLocaleString('en-US')} accounts: ${dollars(a.total)}</summary>`,
      '',
      analyticsLineItems(a),
      '',
      '</details>',
      '',
    ]),
    `Prices used (bench/cost/prices.ts): ${Object.entries(PRICES)
      .map(([name, value]) => `${name} ${value}`)
      .join(', ')}.`,
    '',
    `Stack facts: ${JSON.stringify(stackFactsSummary(facts))}.`,
    '',
  ].join('\n');
}

function analyticsAssumptions(): string {
  const m = analyticsMeasured;
  const u = analyticsUsage;
  const s = analyticsSettings;
  const a = analytics[0] as AnalyticsCost;
  const kb = (bytes: number) => (bytes / 1024).toFixed(1);
  return [
    `- Passes: every 15 minutes (96 a day, AnalyticsSnapshotFunction ${facts.functions.AnalyticsSnapshotFunction?.memoryMb} MB). A pass takes 0.5 s + its TikTok calls at ${a.msPerCall.toFixed(0)} ms each (the day-0 pass's wall time per call, ${m.passSeconds} s for ${m.passCalls} calls with ${s.concurrency} connections at a time, its ${m.latencyMs} ms emulator latency replaced by ${u.tiktokLatencyMs} ms; DynamoDB Local is slower than DynamoDB, so an upper bound), or longer when it spreads the busiest endpoint's calls at ${600 * s.budgetShare} a minute, billed up to the 14-minute timeout. A pass that needs more than the timeout leaves work for the next one (the cadence slips): see "time needed".`,
    `- Each account has ${u.videosPerAccount} videos. Snapshots a day per account: the account every ${s.accountMs / 3_600_000} h (4, after its first ${s.accountYoungForMs / 3_600_000} h, which are not modelled) and ${a.videoSnapshotsPerAccountDay.toFixed(0)} video points: the measured steady ${m.perAccountDay.video_list} video/list + ${m.perAccountDay.video_query} video/query calls a day, ${u.videosPerCall} videos each (an upper bound: a call may carry fewer due videos). ${m.itemsPerSnapshot.toFixed(2)} items written per snapshot as measured, 1 WRU each; plus, per pass touching the account (${Math.max(m.perAccountDay.user_info, m.perAccountDay.video_list, m.perAccountDay.video_query)} a day), the day item's size beyond 1 KB (an update is billed at the larger of the item before and after: half a day's points on average) and the due-index entry.`,
    `- Beyond ${m.capacityAccounts.toLocaleString('en-US')} accounts the snapshot budget (50% of TikTok's 600 calls a minute per endpoint) cannot keep the default cadence: the pass defers the oldest tiers, so calls and writes stop growing (the "cadence kept" row).`,
    `- Storage: one day item per connection-day for ${s.retentionDays} days (steady state: an account connected over a year). A point as stored (\`at,c1,c2,c3,c4\` in a String Set) is about ${u.videoPointBytes} B for a video, ${u.accountPointBytes} B for the account, + ${u.videoAttributeBytes} B per video attribute name and ${u.dayItemFixedBytes} B of keys and attributes a day: a full day about ${kb(a.fullDayBytes)} KB, a downsampled day (after ${s.downsampleAfterDays} days: one point per video and the account) about ${kb(a.downsampledDayBytes)} KB, + 100 B DynamoDB overhead each; ${u.videosPerAccount} catalogue items of about ${u.videoItemBytes} B. PITR on the same table.`,
    `- Dashboard: ${u.dashboardViewsPerWeek} view a week per account of ${u.dashboardDays} days: the measured 90-day series read (${m.seriesRcu} RCU for 1,000 videos, ${m.seriesMs} ms on DynamoDB Local) scaled to ${u.dashboardDays} days and ${u.videosPerAccount} videos: ${a.rcuPerView.toFixed(1)} RCU, one HTTP API request and one invocation per view. The other analytics routes (hashtags, followers, heatmap) read the same days.`,
    "- Not included: the analytics passes' log lines, TikTok token refreshes they trigger (the refresher keeps tokens fresh), KMS and Secrets Manager calls of the pass (cached per container: a few per pass).",
  ].join('\n');
}

function stackFactsSummary(f: StackFacts) {
  return { ...f, accessLogFormat: undefined };
}

function unitPrice(price: number, unit: string): string {
  if (price === 0) return '$0';
  if (price < 0.001) return `$${Number((price * 1e6).toPrecision(6))} per million ${unit}s`;
  return `$${price.toFixed(2)}`;
}

function dollars(value: number): string {
  return `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function count(value: number): string {
  if (value === 0) return '0';
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 1) return value.toFixed(1).replace(/\.0$/, '');
  return value.toPrecision(2);
}
