/**
 * `npm run bench:refresh [-- --connections 10000 --latency 50 --concurrency 32]`
 *
 * N connections due at once, against DynamoDB Local and the TikTok emulator with an added latency per TikTok
 * call; one scheduled refresh pass (no queue: everything inline, as one Lambda would with a large enough budget).
 * Prints items read from the due index per refreshed token (the limit is 1.0), refreshes per second, and the run
 * time against the ideal N × latency / concurrency.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startDynamoDbLocal } from '../local/dynamodb-local.js';
import { startTikTokEmulator } from '../local/tiktok-emulator/index.js';
import { loadConfig } from '../shared/config.js';
import { createDeps } from '../shared/deps.js';
import { runScheduledRefresh } from '../shared/lifecycle/refresh-run.js';
import { Logger } from '../shared/log.js';
import { createDynamoClient } from '../shared/store/dynamo-client.js';
import { ensureTable } from '../shared/store/ensure-table.js';
import { connectWithEmulatorGrant } from './emulator-grant.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '10000' },
    latency: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '32' },
  },
});
const N = Number(values.connections);
const LATENCY_MS = Number(values.latency);
const CONCURRENCY = Number(values.concurrency);
const REDIRECT_URI = 'https://bench.example/auth/tiktok/callback';

const dynamodb = await startDynamoDbLocal();
const emulator = await startTikTokEmulator({
  clientKey: 'bench-key',
  clientSecret: 'bench-secret',
  accessTokenTtlSeconds: 60, // due at once: the refresh-ahead window is 30 minutes
});
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
    REFRESH_CONCURRENCY: String(CONCURRENCY),
    TIKTOK_HTTP_TIMEOUT_MS: '10000',
  });
  const db = createDynamoClient({ region: config.region, endpoint: config.dynamodbEndpoint });
  await ensureTable(db, config.tableName);
  const deps = createDeps(config, {
    logger: new Logger({ sink: () => undefined }),
    metrics: () => undefined,
  });

  // Seed N connections with real emulator grants (code → tokens), stored as the callback stores them.
  const seedStart = Date.now();
  let seeded = 0;
  const users = emulator.users;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (seeded < N) {
        const i = seeded++;
        const user = users[i % users.length];
        if (!user) throw new Error('no emulator users');
        await connectWithEmulatorGrant(deps, emulator, {
          appUser: `bench-user-${i}`,
          userId: user.openId,
          redirectUri: REDIRECT_URI,
          displayName: user.displayName,
        });
      }
    }),
  );
  const seedSeconds = (Date.now() - seedStart) / 1000;

  // Count what the refresher reads from the due index.
  let indexItemsRead = 0;
  const queryDue = deps.connections.queryDue.bind(deps.connections);
  deps.connections.queryDue = async (input) => {
    const page = await queryDue(input);
    indexItemsRead += page.keys.length;
    return page;
  };

  emulator.setOptions({ latencyMs: LATENCY_MS, accessTokenTtlSeconds: 7200 });
  emulator.calls.reset();
  const runStart = Date.now();
  const report = await runScheduledRefresh(deps, { deadline: Date.now() + 3_600_000, handToQueue: false });
  const runMs = Date.now() - runStart;
  const idealMs = (N * LATENCY_MS) / CONCURRENCY;
  const tiktokRefreshCalls = emulator.calls.count('refresh');

  const rows: [string, string][] = [
    ['connections due', String(N)],
    ['TikTok latency per call (ms)', String(LATENCY_MS)],
    ['concurrency', String(CONCURRENCY)],
    ['seeding (s)', seedSeconds.toFixed(1)],
    ['refreshed', String(report.refreshed)],
    ['TikTok refresh calls', String(tiktokRefreshCalls)],
    [
      'failed / left over',
      `${report.retryLater + report.reauthRequired + report.errors} / ${report.leftOver}`,
    ],
    ['index items read per refreshed token', (indexItemsRead / Math.max(1, report.refreshed)).toFixed(3)],
    ['run time (s)', (runMs / 1000).toFixed(2)],
    ['ideal N × latency / concurrency (s)', (idealMs / 1000).toFixed(2)],
    ['run time / ideal', (runMs / idealMs).toFixed(2)],
    ['refreshes per second', (report.refreshed / (runMs / 1000)).toFixed(0)],
  ];
  console.log('\nbench/refresh — one scheduled pass over due connections (DynamoDB Local + TikTok emulator)');
  for (const [label, value] of rows) console.log(`  ${label.padEnd(40)} ${value.padStart(10)}`);
  db.destroy();
} finally {
  await emulator.close();
  await dynamodb.stop();
}
