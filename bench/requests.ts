/**
 * `npm run bench:requests [-- --warm-samples 5]`
 *
 * Round trips per flow, counted by instrumentation, against DynamoDB Local and the TikTok emulator: each flow runs
 * in its own container (deps built once, as a Lambda's module scope does), first cold, then warm, then a few more
 * warm runs for timing. DynamoDB commands and consumed capacity (indexes included) come from a middleware on a real
 * client; TikTok calls from the `fetch` the service is given; KMS, Secrets Manager, EventBridge and SQS from mocked
 * SDK clients under the service's own classes (so their caches are what is measured); log bytes from the logger's
 * and the metrics' sinks. Checks the issue's expectations (PASS/FAIL), prints the tables, and writes
 * bench/results/requests.json (read by `npm run bench:cost`) and bench/results/requests.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { TABLE_KEY } from '../shared/store/table-schema.js';
import { BenchService, CACHE_SECONDS } from './requests/bench-service.js';
import { itemBytes } from './requests/dynamo-meter.js';
import { type Flow, type FlowContext, flows } from './requests/flows.js';
import { byPrefix, type Counts, difference, get, scaled } from './requests/meter.js';
import type { Check, FlowResult, ItemSizes, RequestsReport } from './requests/report.js';
import { markdownTable, textTable } from './table.js';

const { values } = parseArgs({ options: { 'warm-samples': { type: 'string', default: '5' } } });
const WARM_SAMPLES = Math.max(1, Number(values['warm-samples']));

const service = await BenchService.start();
const tables: string[] = [];

async function main(): Promise<void> {
  const started = Date.now();
  const results: FlowResult[] = [];
  try {
    for (const spec of flows(WARM_SAMPLES)) {
      results.push(await measure(spec));
      console.error(`  ${spec.label}: done`);
    }
    const itemSizes = await measureItemSizes(tables);
    const checks = runChecks(results);
    const report: RequestsReport = {
      generatedAt: new Date().toISOString(),
      node: process.version,
      cacheSeconds: CACHE_SECONDS,
      flows: results,
      itemSizes,
      emfMetrics: [...service.metricNames].sort(),
      checks,
      notes: NOTES,
    };
    const resultsDir = resolve(import.meta.dirname, 'results');
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(join(resultsDir, 'requests.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(resultsDir, 'requests.md'), markdownReport(report));
    printReport(report);
    console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s)`);
    process.exitCode = checks.every((check) => check.pass) ? 0 : 1;
  } finally {
    await service.close();
  }
}

async function measure(spec: Flow): Promise<FlowResult> {
  const config = await service.newTable(spec.id);
  tables.push(config.tableName);
  const setup = service.container(config, { metered: false });
  const ctx: FlowContext = { service, config, setup };
  const run = spec.build(service.container(config, { metered: true, queue: spec.queue ?? false }));
  const deltas: Counts[] = [];
  const times: number[] = [];
  for (let i = 0; i < spec.runs; i++) {
    const prepared = await spec.prepare(ctx, i);
    const before = service.meter.snapshot();
    const t0 = performance.now();
    const answer = await run(prepared);
    times.push(performance.now() - t0);
    service.meter.add('http:response_bytes', answer.responseBytes);
    deltas.push(difference(service.meter.snapshot(), before));
  }
  const [cold = {}, warm = {}, ...later] = deltas;
  const warmTimes = times.slice(1).sort((a, b) => a - b);
  return {
    id: spec.id,
    label: spec.label,
    functionName: spec.functionName,
    units: spec.units,
    cold,
    warm,
    coldMs: round1(times[0] ?? 0),
    warmMs: round1(warmTimes[Math.floor(warmTimes.length / 2)] ?? 0),
    warmSamplesMs: times.slice(1).map(round1),
    warmVariations: later.flatMap((counts, i) => variations(warm, counts, i + 3)),
  };
}

/** Calls and capacity only: byte counts vary with ids and timestamps. */
function variations(warm: Counts, other: Counts, runNumber: number): string[] {
  const names = new Set([...Object.keys(warm), ...Object.keys(other)].filter((n) => !/bytes|lines/.test(n)));
  const differing = [...names].filter((name) => get(warm, name) !== get(other, name));
  return differing.length === 0
    ? []
    : [
        `run ${runNumber}: ${differing.map((n) => `${n} ${get(other, n)} (run 2: ${get(warm, n)})`).join(', ')}`,
      ];
}

/** Mean stored size per kind of item (what DynamoDB storage and PITR are billed on), and of the index entries. */
async function measureItemSizes(tableNames: string[]): Promise<ItemSizes> {
  const sums = new Map<string, { items: number; bytes: number }>();
  const add = (kind: string, bytes: number) => {
    const entry = sums.get(kind) ?? { items: 0, bytes: 0 };
    entry.items++;
    entry.bytes += bytes;
    sums.set(kind, entry);
  };
  for (const tableName of tableNames) {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await service.admin.send(
        new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }),
      );
      for (const item of page.Items ?? []) {
        const kind = item.kind?.S ?? 'unknown';
        const status = item.status?.S;
        add(kind === 'connection' ? `connection (${status})` : kind, itemBytes(item));
        const keys = { pk: item[TABLE_KEY.partitionKey]!, sk: item[TABLE_KEY.sortKey]! };
        if (item.refreshShard && item.refreshDueAt) {
          add(
            'index entry DueForRefresh',
            itemBytes({ ...keys, refreshShard: item.refreshShard, refreshDueAt: item.refreshDueAt }),
          );
        }
        if (item.openId && kind === 'connection')
          add('index entry ByOpenId', itemBytes({ ...keys, openId: item.openId }));
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
  return Object.fromEntries(
    [...sums]
      .sort()
      .map(([kind, { items, bytes }]) => [kind, { items, meanBytes: Math.round(bytes / items) }]),
  );
}

function runChecks(all: FlowResult[]): Check[] {
  const byId = (id: string) => {
    const found = all.find((f) => f.id === id);
    if (!found) throw new Error(`no flow ${id}`);
    return found;
  };
  const checks: Check[] = [];
  const startJson = byId('start_json').warm;
  const startWrites = writeRequests(startJson);
  checks.push({
    name: 'start (JSON mode): 1 DynamoDB write',
    pass: startWrites === 1 && readRequests(startJson) === 0,
    detail: `${describe(byPrefix(startJson, 'dynamodb'))} (one transaction of two Puts: the state and the launch ticket, ${get(startJson, 'wru:total')} WRU)`,
  });
  const startRedirect = byId('start_redirect').warm;
  checks.push({
    name: 'start (redirect mode): 1 DynamoDB write',
    pass: writeRequests(startRedirect) === 1 && readRequests(startRedirect) === 0,
    detail: describe(byPrefix(startRedirect, 'dynamodb')),
  });
  for (const kind of ['cold', 'warm'] as const) {
    const callback = byId('callback')[kind];
    const ddb = byPrefix(callback, 'dynamodb');
    const tiktok = byPrefix(callback, 'tiktok');
    const expectedDdb = { DeleteItem: 1, UpdateItem: 1 };
    const expectedTikTok = { '/v2/oauth/token/': 1, '/v2/user/info/': 1 };
    checks.push({
      name: `callback (${kind}): state consume + token exchange + user info + connection write`,
      pass: sameCounts(ddb, expectedDdb) && sameCounts(tiktok, expectedTikTok),
      detail:
        `DynamoDB ${describe(ddb)}; TikTok ${describe(tiktok)}; also KMS ${describe(byPrefix(callback, 'kms')) || '0'}, ` +
        `Secrets Manager ${get(callback, 'secrets:GetSecretValue')}, EventBridge PutEvents ${get(callback, 'events:PutEvents')} (connected)`,
    });
  }
  const warmSecretReads = all.filter((f) => get(f.warm, 'secrets:GetSecretValue') > 0);
  checks.push({
    name: 'warm: 0 Secrets Manager calls (client secret cached across invocations)',
    pass: warmSecretReads.length === 0,
    detail:
      warmSecretReads.length === 0
        ? `cold: ${all
            .filter((f) => get(f.cold, 'secrets:GetSecretValue') > 0)
            .map((f) => f.id)
            .join(', ')} read it once`
        : `read again warm by ${warmSecretReads.map((f) => f.id).join(', ')}`,
  });
  const redundant = all.filter(
    (f) =>
      Object.keys(byPrefix(f.cold, 'kms-redundant')).length +
        Object.keys(byPrefix(f.warm, 'kms-redundant')).length >
      0,
  );
  const warmKms = all.filter((f) => Object.keys(byPrefix(f.warm, 'kms')).length > 0);
  const repeats = (f: FlowResult) =>
    (['cold', 'warm'] as const)
      .map((kind) => [kind, describe(byPrefix(f[kind], 'kms-redundant'))] as const)
      .filter(([, text]) => text)
      .map(([kind, text]) => `${kind}: ${text} more`)
      .join(', ');
  checks.push({
    name: 'KMS: at most 1 call per new data key (no second GenerateDataKey or Decrypt of one key within the cache time)',
    pass: redundant.length === 0,
    detail:
      redundant.length > 0
        ? `repeated calls: ${redundant.map((f) => `${f.id} (${repeats(f)})`).join('; ')}. ` +
          'Each is a second Decrypt of a data key being unwrapped at that moment: ConnectionStore.openTokens opens the access ' +
          'and the refresh token in parallel, and KmsDataKeyProvider.keyForDecrypt, unlike keyForEncrypt, does not share ' +
          'an unwrap in flight, so a container meeting a new key pays 2 Decrypts for it'
        : warmKms.length === 0
          ? 'warm runs: 0 KMS calls in every flow (their data keys were cached); cold: 1 GenerateDataKey per container that seals, 1 Decrypt per data key first met'
          : `warm KMS calls: ${warmKms.map((f) => `${f.id} ${describe(byPrefix(f.warm, 'kms'))}`).join('; ')}`,
  });
  return checks;
}

const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);
const writeRequests = (c: Counts) =>
  Object.entries(byPrefix(c, 'dynamodb')).reduce((s, [op, n]) => s + (READS.has(op) ? 0 : n), 0);
const readRequests = (c: Counts) =>
  Object.entries(byPrefix(c, 'dynamodb')).reduce((s, [op, n]) => s + (READS.has(op) ? n : 0), 0);

function sameCounts(actual: Counts, expected: Counts): boolean {
  const names = new Set([...Object.keys(actual), ...Object.keys(expected)]);
  return [...names].every((name) => get(actual, name) === get(expected, name));
}

function describe(counts: Counts): string {
  return Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, n]) => `${name.replace(/^\/v2\//, '').replace(/\/$/, '')} ${formatNumber(n)}`)
    .join(', ');
}

const HEADER = [
  'flow',
  'DynamoDB ops',
  'RRU',
  'WRU (of which GSI)',
  'TikTok calls',
  'KMS',
  'Secrets Manager',
  'EventBridge',
  'log bytes (of which EMF)',
  'handler ms',
];

function row(label: string, counts: Counts, ms: number): string[] {
  const wru = get(counts, 'wru:total');
  const wruGsi = get(counts, 'wru:gsi');
  const logs = get(counts, 'logs:bytes') + get(counts, 'metrics:bytes');
  const sqs = get(counts, 'sqs:SendMessageBatch');
  return [
    label,
    describe(byPrefix(counts, 'dynamodb')) + (sqs ? `; SQS SendMessageBatch ${formatNumber(sqs)}` : ''),
    formatNumber(get(counts, 'rru:total')),
    wruGsi ? `${formatNumber(wru)} (${formatNumber(wruGsi)})` : formatNumber(wru),
    describe(byPrefix(counts, 'tiktok')) || '0',
    describe(byPrefix(counts, 'kms')) || '0',
    formatNumber(get(counts, 'secrets:GetSecretValue')),
    formatNumber(get(counts, 'events:PutEvents')),
    `${formatNumber(logs)} (${formatNumber(get(counts, 'metrics:bytes'))})`,
    ms.toFixed(1),
  ];
}

function tableRows(all: FlowResult[], kind: 'cold' | 'warm'): string[][] {
  return all.flatMap((f) => {
    const ms = kind === 'cold' ? f.coldMs : f.warmMs;
    const rows = [row(f.label, f[kind], ms)];
    if (f.units > 1)
      rows.push(row(`  per connection (÷ ${f.units})`, scaled(f[kind], f.units), ms / f.units));
    return rows;
  });
}

function printReport(report: RequestsReport): void {
  console.log(
    '\nbench/requests — round trips per flow (DynamoDB Local, TikTok emulator, mocked KMS/Secrets Manager/EventBridge/SQS)',
  );
  console.log('\nWarm container (second run; handler ms: median of the warm runs)\n');
  console.log(textTable(HEADER, tableRows(report.flows, 'warm'), ['left', 'left']));
  console.log('\nCold container (first run)\n');
  console.log(textTable(HEADER, tableRows(report.flows, 'cold'), ['left', 'left']));
  console.log('\nStored item sizes (mean bytes as DynamoDB bills them)\n');
  console.log(
    textTable(
      ['item', 'items seen', 'mean bytes'],
      Object.entries(report.itemSizes).map(([kind, s]) => [kind, String(s.items), String(s.meanBytes)]),
    ),
  );
  const variations = report.flows.filter((f) => f.warmVariations.length > 0);
  if (variations.length > 0) {
    console.log('\nLater warm runs that differed from the second:');
    for (const f of variations) console.log(`  ${f.label}: ${f.warmVariations.join('; ')}`);
  }
  console.log('\nExpectations (issue 5)\n');
  for (const check of report.checks)
    console.log(`  ${check.pass ? 'PASS' : 'FAIL'}  ${check.name}\n        ${check.detail}`);
  console.log('\nNotes');
  for (const note of report.notes) console.log(`  - ${note}`);
}

function markdownReport(report: RequestsReport): string {
  const variations = report.flows.filter((f) => f.warmVariations.length > 0);
  return [
    '<!-- written by `npm run bench:requests` (bench/requests.ts); do not edit by hand -->',
    '',
    '# Requests per flow',
    '',
    `Measured ${report.generatedAt} on Node ${report.node} against DynamoDB Local and the TikTok emulator; KMS, Secrets Manager, EventBridge and SQS are mocked SDK clients under the service's own classes. Data-key and secret caches: ${report.cacheSeconds} s.`,
    '',
    '## Warm container (second run)',
    '',
    markdownTable(HEADER, tableRows(report.flows, 'warm'), ['left', 'left']),
    '',
    '## Cold container (first run)',
    '',
    markdownTable(HEADER, tableRows(report.flows, 'cold'), ['left', 'left']),
    '',
    '## Stored item sizes',
    '',
    markdownTable(
      ['item', 'items seen', 'mean bytes'],
      Object.entries(report.itemSizes).map(([kind, s]) => [kind, String(s.items), String(s.meanBytes)]),
    ),
    '',
    ...(variations.length > 0
      ? [
          'Later warm runs that differed from the second:',
          '',
          ...variations.map((f) => `- ${f.label}: ${f.warmVariations.join('; ')}`),
          '',
        ]
      : []),
    '## Expectations (issue 5)',
    '',
    ...report.checks.map((c) => `- **${c.pass ? 'PASS' : 'FAIL'}** ${c.name}: ${c.detail}`),
    '',
    '## Notes',
    '',
    ...report.notes.map((n) => `- ${n}`),
    '',
  ].join('\n');
}

const NOTES = [
  'RRU/WRU are DynamoDB read/write request units as DynamoDB Local reported them with ReturnConsumedCapacity INDEXES (GSI writes included). Local does not size transactions: TransactWriteItems is computed from the items (2 WRU per KB per item).',
  'Counts are requests the service sends; the SDK would retry throttled or failed requests on top (none here).',
  "KMS cache: a warm container reuses its data key for 5 minutes and remembers keys it unwrapped; the bench seeds each flow's connections with one setup container, so a warm reader meets a key it already unwrapped. In production a reader meets connections sealed by many refresher runs and workers (one key per container per 5 minutes), so most display reads and disconnects meet a key their container has not unwrapped: bench/cost.ts estimates how many from the keys in use.",
  "log bytes: the JSON lines the service writes at the default level (info) plus its embedded-metric lines (EMF); Lambda's own START/END/REPORT lines and API Gateway access logs are not the service's and are estimated in bench/cost.ts.",
  'handler ms: wall time of the handler here (DynamoDB Local and the emulator on this machine, no network latency to TikTok).',
];

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/\.?0+$/, '');
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

await main();
