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
    `Prices used (bench/cost/prices.ts): ${Object.entries(PRICES)
      .map(([name, value]) => `${name} ${value}`)
      .join(', ')}.`,
    '',
    `Stack facts: ${JSON.stringify(stackFactsSummary(facts))}.`,
    '',
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
