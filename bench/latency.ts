/**
 * `npm run bench:latency [-- --duration 5 --concurrency 1,8,32]`
 *
 * Handler latency under load: the local stack (the Lambda handler modules behind the local stand-in for API
 * Gateway and its JWT authorizer, DynamoDB Local in memory, the TikTok emulator) runs in a child process; one
 * account is connected over HTTP; then autocannon drives three routes on 127.0.0.1 at each concurrency for a few
 * seconds: the connections list (one Query), start in JSON mode (one transactional write per request), and the
 * profile (a read, the rate-budget write and a TikTok call). Prints p50/p99 and requests per second, writes
 * bench/results/latency.md.
 */
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { connectOverHttp, loopback } from './latency/connect-over-http.js';
import { markdownTable, textTable } from './table.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '1,8,32' },
  },
});
const DURATION_SECONDS = Number(values.duration);
const CONCURRENCY = values.concurrency.split(',').map(Number);
/** Nothing here may run longer than this: the child and its DynamoDB Local are stopped whatever happens. */
const OVERALL_LIMIT_MS = 10 * 60_000;

type Row = {
  route: string;
  concurrency: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
};

const child = fork(resolve(import.meta.dirname, 'latency/stack-process.ts'), [], {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
});
const guard = setTimeout(() => {
  console.error('bench/latency: over the time limit; stopping');
  child.kill('SIGTERM');
  process.exit(1);
}, OVERALL_LIMIT_MS);

try {
  const stack = await new Promise<{ url: string; emulatorUsers: string[] }>((resolveStack, reject) => {
    child.once('message', (message) => resolveStack(message as { url: string; emulatorUsers: string[] }));
    child.once('exit', (code) => reject(new Error(`the local stack exited (${code}) before it was up`)));
  });
  const base = loopback(stack.url).replace(/\/$/, '');
  const { token, openId } = await connectOverHttp(base, {
    appUser: 'bench-latency',
    emulatorUser: stack.emulatorUsers[0] ?? '',
    appPage: `${stack.url}/platforms/connect`,
  });
  const bearer = { authorization: `Bearer ${token}` };
  const routes = [
    { name: 'GET /tiktok/connections', url: `${base}/tiktok/connections`, headers: bearer },
    {
      name: 'GET /auth/tiktok/start (JSON)',
      url: `${base}/auth/tiktok/start`,
      headers: { ...bearer, accept: 'application/json' },
    },
    {
      name: 'GET /tiktok/connections/{openId}/profile',
      url: `${base}/tiktok/connections/${encodeURIComponent(openId)}/profile`,
      headers: bearer,
    },
  ];

  const rows: Row[] = [];
  for (const route of routes) {
    // Load the handler module and warm the JIT before anything is recorded.
    await autocannon({ url: route.url, headers: route.headers, connections: 4, duration: 1 });
    for (const connections of CONCURRENCY) {
      const result = await autocannon({
        url: route.url,
        headers: route.headers,
        connections,
        duration: DURATION_SECONDS,
      });
      rows.push({
        route: route.name,
        concurrency: connections,
        rps: result['2xx'] / result.duration,
        p50: result.latency.p50,
        p99: result.latency.p99,
        non2xx: result.non2xx,
        errors: result.errors,
      });
      console.error(`  ${route.name} × ${connections}: done`);
    }
  }

  const header = ['route', 'concurrency', 'requests/s (2xx)', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'];
  const cells = rows.map((r) => [
    r.route,
    String(r.concurrency),
    r.rps.toFixed(0),
    r.p50.toFixed(1),
    r.p99.toFixed(1),
    String(r.non2xx),
    String(r.errors),
  ]);
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}`;
  console.log(
    `\nbench/latency — the local stack under autocannon, ${DURATION_SECONDS} s per cell (${machine})\n`,
  );
  console.log(textTable(header, cells));
  writeFileSync(
    join(resolve(import.meta.dirname, 'results'), 'latency.md'),
    [
      '<!-- written by `npm run bench:latency` (bench/latency.ts); do not edit by hand -->',
      '',
      '# Handler latency under load',
      '',
      `Measured ${new Date().toISOString()} on ${machine}: autocannon on 127.0.0.1 against the local stack in another process (the Lambda handler modules behind the local API Gateway stand-in, which also checks the JWT; DynamoDB Local in memory; the TikTok emulator answering at once), ${DURATION_SECONDS} s per cell after a 1 s warm-up. Everything shares the machine's cores, so the figures are for comparing routes and concurrencies, not a forecast of Lambda: there each request has its own container (no queueing behind other requests), DynamoDB is a network hop away, and TikTok takes hundreds of milliseconds.`,
      '',
      markdownTable(header, cells),
      '',
      '- `GET /tiktok/connections`: one Query, nothing decrypted.',
      '- `GET /auth/tiktok/start` (JSON mode): one TransactWriteItems (the state and the launch ticket), the PKCE verifier sealed.',
      "- `GET /tiktok/connections/{openId}/profile`: the connection read (consistent GetItem) and its access token opened, the rate-budget write, TikTok's /v2/user/info/ on the emulator (`TIKTOK_RATE_LIMIT_PER_MINUTE` raised so the budget does not refuse).",
      '',
    ].join('\n'),
  );
} finally {
  clearTimeout(guard);
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((done) => child.once('exit', done));
    if (child.connected) child.send('stop');
    else child.kill('SIGTERM');
    await exited;
  }
}
