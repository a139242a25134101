/**
 * The monthly AWS bill of one deployment, from the request counts `bench/requests.ts` measured per flow, the
 * stack's own settings (stack-facts.ts) and stated usage assumptions. Every figure is a line item with its quantity
 * and unit price, so the Markdown shows how each total came about.
 */
import { byPrefix, type Counts, get } from '../requests/meter.js';
import type { FlowResult, RequestsReport } from '../requests/report.js';
import { GB, PRICES } from './prices.js';
import type { StackFacts } from './stack-facts.js';

export type Usage = {
  daysPerMonth: number;
  /** N: times a day each account's page is shown: list + profile + one videos page. */
  pageViewsPerDay: number;
  /** Connect flows (start JSON + launch + callback) per account a month. */
  connectsPerMonth: number;
  disconnectsPerAccountMonth: number;
  webhooksPerAccountMonth: number;
  /** Added to the measured handler time for each TikTok call a request makes, one after another. */
  tiktokLatencyMs: number;
  /** Busy-hour traffic over the month's average, for the number of warm containers. */
  peakFactor: number;
  /** Billed INIT of a cold start, and how often a busy container is replaced. */
  initMs: number;
  coldStartsPerContainerHour: number;
  /** CORS preflights the browser sends per page view (the JWT routes; answered and billed by API Gateway). */
  preflightsPerPageView: number;
  preflightResponseBytes: number;
  /** Lambda's own log lines per invocation (platform.start, platform.report in JSON format). */
  platformLogBytesPerInvocation: number;
  /** One API Gateway access-log line (the stage's format with typical values). */
  accessLogBytesPerRequest: number;
  /** SQS requests the worker's event source makes while the queue is empty (long polling). */
  idleQueuePollsPerMonth: number;
  /** KMS data-key and Secrets Manager caches in the functions (their defaults). */
  cacheMinutes: number;
};

export type Scenario = { accounts: number; accessTokenHours: number };

export const SERVICES = [
  'Lambda',
  'API Gateway (HTTP API)',
  'DynamoDB requests',
  'DynamoDB storage + PITR',
  'KMS',
  'Secrets Manager',
  'EventBridge',
  'SQS',
  'CloudWatch Logs',
  'CloudWatch metrics, alarms, dashboard',
  'Data transfer out',
] as const;
export type Service = (typeof SERVICES)[number];

export type Line = { service: Service; item: string; quantity: number; unit: string; unitPrice: number };

/** One kind of invocation a month: a route's requests, the scheduled runs, the worker's batches. */
export type Workload = {
  label: string;
  functionName: string;
  invocations: number;
  /** Billed duration of one invocation. */
  durationMs: number;
  containers: number;
  http: boolean;
  /** Everything the invocations of the month send and write, summed. */
  counts: Counts;
};

export type ScenarioCost = {
  scenario: Scenario;
  lines: Line[];
  workloads: Workload[];
  refresh: {
    intervalMinutes: number;
    refreshesPerMonth: number;
    runsPerMonth: number;
    duePerRun: number;
    inlinePerRun: number;
    batchesPerRun: number;
    workersActive: number;
    /** Distinct data keys sealing the live connections (what a token reader may meet). */
    keysInUse: number;
    runSeconds: number;
    batchSeconds: number;
    /** Connections the refresher and the workers can refresh in one schedule interval at that pace. */
    capacityPerInterval: number;
  };
  /** Average TikTok calls a minute per endpoint (TikTok allows 600 a minute per endpoint for the whole app). */
  tiktokPerMinute: Record<string, number>;
  total: number;
};

/** Requests that open a connection's tokens, sealed by whichever refresh ran last for it. */
const TOKEN_READERS = new Set(['profile', 'videos', 'video_query', 'disconnect']);

export function monthlyCost(
  report: RequestsReport,
  facts: StackFacts,
  usage: Usage,
  scenario: Scenario,
): ScenarioCost {
  const flow = (id: string): FlowResult => {
    const found = report.flows.find((f) => f.id === id);
    if (!found) throw new Error(`requests.json has no flow ${id}: run npm run bench:requests`);
    return found;
  };
  const A = scenario.accounts;
  const monthMinutes = usage.daysPerMonth * 1440;
  const cacheWindows = monthMinutes / usage.cacheMinutes;
  const containersFor = (invocations: number, durationMs: number) =>
    Math.max(1, Math.ceil((invocations / (monthMinutes * 60)) * (durationMs / 1000) * usage.peakFactor));
  const tiktokCalls = (counts: Counts) =>
    Object.values(byPrefix(counts, 'tiktok')).reduce((a, b) => a + b, 0);
  const c = facts.refresh.concurrency;

  // Refresh cadence: when a connection is refreshed, its due time is its new expiry minus the refresh-ahead window
  // minus a jitter (mean: half of min(5 min, 10% of the life)); the run that takes it comes half an interval later
  // on average.
  const { scheduleMinutes, refresh, workerConcurrency } = facts;
  const lifeMinutes = scenario.accessTokenHours * 60;
  const intervalMinutes =
    lifeMinutes - refresh.aheadMinutes - Math.min(5, 0.1 * lifeMinutes) / 2 + scheduleMinutes / 2;
  const refreshesPerMonth = (A * monthMinutes) / intervalMinutes;
  const runsPerMonth = monthMinutes / scheduleMinutes;
  const duePerRun = refreshesPerMonth / runsPerMonth;
  const inlinePerRun = Math.min(duePerRun, refresh.maxInline);
  const queuedPerRun = duePerRun - inlinePerRun;
  const batchesPerRun = Math.ceil(queuedPerRun / refresh.batchSize);
  const workersActive = Math.min(workerConcurrency, batchesPerRun);
  const batchesPerMonth = runsPerMonth * batchesPerRun;
  const batchFill = batchesPerRun > 0 ? queuedPerRun / batchesPerRun : 0;

  const none = flow('refresh_none_due');
  const pass = flow('refresh_pass_100');
  const worker = flow('refresh_worker_25');
  const passRoundMs = Math.max(0, (pass.warmMs - none.warmMs) / Math.ceil(pass.units / c));
  const runMs = none.warmMs + Math.ceil(inlinePerRun / c) * (passRoundMs + usage.tiktokLatencyMs);
  const workerRoundMs = worker.warmMs / Math.ceil(worker.units / c);
  const batchMs = Math.ceil(batchFill / c) * (workerRoundMs + usage.tiktokLatencyMs);
  // The workers take a run's batches in one burst; each busy worker makes one data key per cache window of it.
  const burstWindows =
    workersActive > 0
      ? Math.max(1, Math.ceil(((batchesPerRun / workersActive) * batchMs) / (usage.cacheMinutes * 60_000)))
      : 0;

  // The frontend and the connect flow: warm counts per request, plus what a container does again each time a
  // cache lapses: the rate budget's previous-minute counter (1 min), its data key and the secret (5 min).
  const views = A * usage.pageViewsPerDay * usage.daysPerMonth;
  const connects = A * usage.connectsPerMonth;
  const requestMix: [string, number][] = [
    ['start_json', connects],
    ['launch', connects],
    ['callback', connects],
    ['list', views],
    ['profile', views],
    ['videos', views],
    ['disconnect', A * usage.disconnectsPerAccountMonth],
    ['webhook', A * usage.webhooksPerAccountMonth],
  ];
  const durationOf = (f: FlowResult) => f.warmMs + tiktokCalls(f.warm) * usage.tiktokLatencyMs;

  // Data keys sealing the live connections: each was sealed by the refresh that last ran for it (one key per run,
  // one per busy worker per cache window) or, if new, by a callback container (one key per cache window).
  const callback = flow('callback');
  const cycleShare = intervalMinutes / monthMinutes;
  const callbackKeys = Math.min(
    connects * cycleShare,
    containersFor(connects, durationOf(callback)) * cacheWindows * cycleShare,
  );
  const keysInUse = Math.max(
    1,
    (intervalMinutes / scheduleMinutes) * (1 + workersActive * burstWindows) + callbackKeys,
  );

  const workloads: Workload[] = requestMix.map(([id, invocations]) => {
    const f = flow(id);
    const durationMs = durationOf(f);
    const containers = containersFor(invocations, durationMs);
    const counts = times(f.warm, invocations);
    const activeWindows = Math.min(invocations, containers * cacheWindows);
    addTo(counts, times(lapsed(f, /^(dynamodb|rru|wru):/), Math.min(invocations, containers * monthMinutes)));
    addTo(counts, times(lapsed(f, /^secrets:/), activeWindows));
    if (TOKEN_READERS.has(id)) {
      // A reader meets the key that sealed each connection it reads. Distinct keys among R reads of a container's
      // cache window, with K keys in use: K (1 − (1 − 1/K)^R); each new key costs the cold run's Decrypt calls.
      const reads = invocations / Math.max(1, activeWindows);
      const newKeys = keysInUse * (1 - (1 - 1 / keysInUse) ** reads);
      counts['kms:Decrypt'] = activeWindows * Math.min(reads, newKeys) * get(f.cold, 'kms:Decrypt');
      counts['kms:GenerateDataKey'] = activeWindows * get(f.cold, 'kms:GenerateDataKey');
    } else {
      addTo(counts, times(lapsed(f, /^kms:/), activeWindows));
    }
    return {
      label: f.label,
      functionName: f.functionName,
      invocations,
      durationMs,
      containers,
      http: true,
      counts,
    };
  });

  // The scheduled runs: the fixed queries, then per connection as measured in the pass of 100. The connections due
  // in a run were sealed together, by one earlier run and its busy workers: 1 + workers data keys. Each run is a
  // new cache window (the schedule is longer than the caches): a data key, the secret.
  const keysMet = Math.min(inlinePerRun, 1 + workersActive);
  const runCounts = times(
    plus(none.warm, times(minus(pass.warm, none.warm), inlinePerRun / pass.units)),
    runsPerMonth,
  );
  const runsThatRefresh = inlinePerRun > 0 ? runsPerMonth : 0;
  addTo(runCounts, {
    'kms:GenerateDataKey': runsThatRefresh * get(pass.cold, 'kms:GenerateDataKey'),
    'kms:Decrypt': runsThatRefresh * get(pass.cold, 'kms:Decrypt') * keysMet,
    'secrets:GetSecretValue': runsThatRefresh * get(pass.cold, 'secrets:GetSecretValue'),
    'sqs:SendMessageBatch': runsPerMonth * Math.ceil(batchesPerRun / 10),
    'sqs:messages': runsPerMonth * batchesPerRun,
  });
  if (refresh.publishRefreshed) addTo(runCounts, { 'events:entries': runsPerMonth * inlinePerRun });
  workloads.push({
    label: 'scheduled refresh runs',
    functionName: 'RefresherFunction',
    invocations: runsPerMonth,
    durationMs: runMs,
    containers: 1,
    http: false,
    counts: runCounts,
  });

  // The workers: per connection as measured for a batch of 25; per busy worker and cache window of a burst, a data
  // key, the secret, and the 1 + workers keys that sealed the batch's connections.
  const workerWindows = Math.min(batchesPerMonth, runsPerMonth * workersActive * burstWindows);
  const workerCounts = times(worker.warm, (batchesPerMonth * batchFill) / worker.units);
  addTo(workerCounts, {
    'kms:GenerateDataKey': workerWindows * get(worker.cold, 'kms:GenerateDataKey'),
    'kms:Decrypt': workerWindows * get(worker.cold, 'kms:Decrypt') * Math.min(batchFill, 1 + workersActive),
    'secrets:GetSecretValue': workerWindows * get(worker.cold, 'secrets:GetSecretValue'),
    // The event source receives and deletes each message.
    'sqs:ReceiveMessage': batchesPerMonth,
    'sqs:DeleteMessage': batchesPerMonth,
  });
  if (refresh.publishRefreshed) addTo(workerCounts, { 'events:entries': batchesPerMonth * batchFill });
  workloads.push({
    label: 'refresh worker batches',
    functionName: 'RefreshWorkerFunction',
    invocations: batchesPerMonth,
    durationMs: batchMs,
    containers: workersActive,
    http: false,
    counts: workerCounts,
  });

  const lines = priceLines(report, facts, usage, scenario, workloads, views);
  const total = lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0);
  const tiktokPerMinute: Record<string, number> = {};
  for (const w of workloads) {
    for (const [path, n] of Object.entries(byPrefix(w.counts, 'tiktok'))) {
      tiktokPerMinute[path] = (tiktokPerMinute[path] ?? 0) + n / monthMinutes;
    }
  }
  const runSeconds = runMs / 1000;
  const batchSeconds = batchMs / 1000;
  const fullBatchMs = Math.ceil(refresh.batchSize / c) * (workerRoundMs + usage.tiktokLatencyMs);
  return {
    scenario,
    lines,
    workloads,
    refresh: {
      intervalMinutes,
      refreshesPerMonth,
      runsPerMonth,
      duePerRun,
      inlinePerRun,
      batchesPerRun,
      workersActive,
      keysInUse,
      runSeconds,
      batchSeconds,
      capacityPerInterval:
        refresh.maxInline +
        workerConcurrency * ((scheduleMinutes * 60_000) / fullBatchMs) * refresh.batchSize,
    },
    tiktokPerMinute,
    total,
  };
}

function priceLines(
  report: RequestsReport,
  facts: StackFacts,
  usage: Usage,
  scenario: Scenario,
  workloads: Workload[],
  views: number,
): Line[] {
  const A = scenario.accounts;
  const sum = (name: string) => workloads.reduce((total, w) => total + get(w.counts, name), 0);
  const monthHours = usage.daysPerMonth * 24;
  const cacheWindows = (usage.daysPerMonth * 1440) / usage.cacheMinutes;

  let gbSeconds = 0;
  let initGbSeconds = 0;
  for (const w of workloads) {
    const fn = facts.functions[w.functionName];
    if (!fn) throw new Error(`the stack has no function ${w.functionName}`);
    if (fn.architecture !== 'arm64')
      throw new Error(`${w.functionName} is ${fn.architecture}: the prices are arm64's`);
    const memoryGb = fn.memoryMb / 1024;
    gbSeconds += w.invocations * (w.durationMs / 1000) * memoryGb;
    const coldStarts = Math.min(w.invocations, w.containers * monthHours * usage.coldStartsPerContainerHour);
    initGbSeconds += coldStarts * (usage.initMs / 1000) * memoryGb;
  }
  const invocations = workloads.reduce((total, w) => total + w.invocations, 0);
  const httpRequests = workloads.filter((w) => w.http).reduce((total, w) => total + w.invocations, 0);
  const preflights = views * usage.preflightsPerPageView;

  const size = (kind: string) => report.itemSizes[kind]?.meanBytes ?? 0;
  const OVERHEAD = 100; // DynamoDB adds 100 bytes per item and per index entry for storage
  const connectionBytes = size('connection (active)') + OVERHEAD;
  const indexBytes = size('index entry DueForRefresh') + size('index entry ByOpenId') + 2 * OVERHEAD;
  const webhookItems = A * usage.webhooksPerAccountMonth * (4 / 30); // kept 4 days (TTL)
  const tableBytes = A * connectionBytes + webhookItems * (size('webhook_delivery') + OVERHEAD);

  const logBytes =
    sum('logs:bytes') +
    sum('metrics:bytes') +
    invocations * usage.platformLogBytesPerInvocation +
    (httpRequests + preflights) * usage.accessLogBytesPerRequest;
  const tableKeyCalls = workloads.reduce(
    (total, w) => total + Math.min(w.invocations, Math.max(1, w.containers) * cacheWindows),
    0,
  );

  const line = (service: Service, item: string, quantity: number, unit: string, unitPrice: number): Line => ({
    service,
    item,
    quantity,
    unit,
    unitPrice,
  });
  return [
    line('Lambda', 'requests', invocations, 'request', PRICES.lambdaRequest),
    line('Lambda', 'duration (arm64)', gbSeconds, 'GB-s', PRICES.lambdaArmGbSecond),
    line('Lambda', 'INIT of cold starts', initGbSeconds, 'GB-s', PRICES.lambdaArmGbSecond),
    line('API Gateway (HTTP API)', 'requests', httpRequests, 'request', PRICES.httpApiRequest),
    line('API Gateway (HTTP API)', 'CORS preflights', preflights, 'request', PRICES.httpApiRequest),
    line(
      'DynamoDB requests',
      'write request units (GSIs included)',
      sum('wru:total'),
      'WRU',
      PRICES.dynamoWriteUnit,
    ),
    line('DynamoDB requests', 'read request units', sum('rru:total'), 'RRU', PRICES.dynamoReadUnit),
    line(
      'DynamoDB storage + PITR',
      'table + GSI storage',
      (tableBytes + A * indexBytes) / GB,
      'GB-month',
      PRICES.dynamoStorageGbMonth,
    ),
    line(
      'DynamoDB storage + PITR',
      'point-in-time recovery',
      tableBytes / GB,
      'GB-month',
      PRICES.dynamoPitrGbMonth,
    ),
    line('KMS', 'customer managed key', facts.kmsKeys, 'key-month', PRICES.kmsKeyMonth),
    line('KMS', 'GenerateDataKey', sum('kms:GenerateDataKey'), 'request', PRICES.kmsRequest),
    line('KMS', 'Decrypt (data keys)', sum('kms:Decrypt'), 'request', PRICES.kmsRequest),
    line('KMS', "DynamoDB's calls for the table key (estimate)", tableKeyCalls, 'request', PRICES.kmsRequest),
    line('Secrets Manager', 'secret', facts.secrets, 'secret-month', PRICES.secretMonth),
    line(
      'Secrets Manager',
      'GetSecretValue',
      sum('secrets:GetSecretValue'),
      'call',
      PRICES.secretsManagerCall,
    ),
    line(
      'EventBridge',
      'custom events published',
      sum('events:entries'),
      'event',
      PRICES.eventBridgeCustomEvent,
    ),
    line(
      'EventBridge',
      'scheduled rule events',
      (usage.daysPerMonth * 1440) / facts.scheduleMinutes,
      'event',
      0,
    ),
    line(
      'SQS',
      'SendMessageBatch, ReceiveMessage, DeleteMessage',
      sum('sqs:SendMessageBatch') + sum('sqs:ReceiveMessage') + sum('sqs:DeleteMessage'),
      'request',
      PRICES.sqsRequest,
    ),
    line(
      'SQS',
      'idle long polling by the event source (estimate)',
      usage.idleQueuePollsPerMonth,
      'request',
      PRICES.sqsRequest,
    ),
    line('CloudWatch Logs', 'ingestion', logBytes / GB, 'GB', PRICES.logsIngestGb),
    line(
      'CloudWatch Logs',
      `storage (${facts.logRetentionDays}-day retention, uncompressed)`,
      ((logBytes / GB) * facts.logRetentionDays) / 30,
      'GB-month',
      PRICES.logsStoreGbMonth,
    ),
    line(
      'CloudWatch metrics, alarms, dashboard',
      'custom metrics (EMF) seen in the bench',
      report.emfMetrics.length,
      'metric-month',
      PRICES.customMetricMonth,
    ),
    line(
      'CloudWatch metrics, alarms, dashboard',
      'alarm metrics',
      facts.alarmMetrics,
      'alarm metric-month',
      PRICES.alarmMetricMonth,
    ),
    line(
      'CloudWatch metrics, alarms, dashboard',
      'dashboard',
      facts.dashboards,
      'dashboard-month',
      PRICES.dashboardMonth,
    ),
    line(
      'Data transfer out',
      'API answers and calls to TikTok',
      (sum('http:response_bytes') + sum('tiktok-bytes:out') + preflights * usage.preflightResponseBytes) / GB,
      'GB',
      PRICES.dataOutGb,
    ),
  ];
}

/** What a cold run did beyond a warm one, for the counters matching `pattern` (a cache lapsing). */
function lapsed(f: FlowResult, pattern: RegExp): Counts {
  const out: Counts = {};
  for (const [name, cold] of Object.entries(f.cold)) {
    if (!pattern.test(name)) continue;
    const extra = cold - get(f.warm, name);
    if (extra > 0) out[name] = extra;
  }
  return out;
}

function times(counts: Counts, factor: number): Counts {
  return Object.fromEntries(Object.entries(counts).map(([name, n]) => [name, n * factor]));
}

function plus(a: Counts, b: Counts): Counts {
  const out = { ...a };
  addTo(out, b);
  return out;
}

function minus(a: Counts, b: Counts): Counts {
  const out = { ...a };
  for (const [name, n] of Object.entries(b)) out[name] = (out[name] ?? 0) - n;
  return out;
}

function addTo(target: Counts, more: Counts): void {
  for (const [name, n] of Object.entries(more)) target[name] = (target[name] ?? 0) + n;
}
