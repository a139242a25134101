/**
 * `npm run bench:cold-start`
 *
 * For each Lambda entry: bundle it as the stack does (esbuild, ESM, minified, node22, AWS SDK bundled), then
 * measure the bundle's size and its module initialisation time (a fresh `node` process importing it, median of
 * runs) next to a baseline bundle that only creates the AWS SDK clients that function uses: the floor for a
 * function that talks to DynamoDB. Target: within 1.2× of the baseline in both.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build, type Metafile } from 'esbuild';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const RUNS = Number(values.runs);
const root = resolve(import.meta.dirname, '..');
const out = mkdtempSync(join(tmpdir(), 'cold-start-'));
const banner = "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

const CLIENTS: Record<string, string> = {
  '@aws-sdk/client-dynamodb': 'DynamoDBClient',
  '@aws-sdk/client-kms': 'KMSClient',
  '@aws-sdk/client-secrets-manager': 'SecretsManagerClient',
  '@aws-sdk/client-eventbridge': 'EventBridgeClient',
  '@aws-sdk/client-sqs': 'SQSClient',
};

// What a deployed function's environment holds (placeholders; nothing is called at import). As in the stack,
// only publishers get the event bus and only the refresher the queue.
function lambdaEnv(clients: string[]): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    TABLE_NAME: 'bench',
    TIKTOK_CLIENT_KEY: 'bench',
    TIKTOK_CLIENT_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x',
    TOKEN_KMS_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/x',
    TIKTOK_REDIRECT_URI: 'https://api.example.com/auth/tiktok/callback',
    DEFAULT_RETURN_URL: 'https://app.example.com/',
    ...(clients.includes('@aws-sdk/client-eventbridge') ? { EVENT_BUS_NAME: 'bench' } : {}),
    ...(clients.includes('@aws-sdk/client-sqs')
      ? { REFRESH_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/q' }
      : {}),
  };
}

async function bundle(
  entry: string,
  name: string,
): Promise<{ file: string; bytes: number; metafile: Metafile }> {
  const file = join(out, `${name}.mjs`);
  const result = await build({
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    mainFields: ['module', 'main'],
    banner: { js: banner },
    metafile: true,
    logLevel: 'error',
    nodePaths: [join(root, 'node_modules')],
  });
  return { file, bytes: statSync(file).size, metafile: result.metafile };
}

function initMs(file: string, env: NodeJS.ProcessEnv): number {
  const times: number[] = [];
  const script = `const t=performance.now();await import(${JSON.stringify(file)});process.stdout.write(String(performance.now()-t));`;
  for (let i = 0; i < RUNS; i++) {
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env,
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(`${basename(file)} failed to load: ${run.stderr}`);
    times.push(Number(run.stdout));
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

const entries = readdirSync(join(root, 'functions')).filter((f) => f.endsWith('.ts'));
const rows: string[][] = [];
for (const entry of entries) {
  const name = entry.replace(/\.ts$/, '');
  const fn = await bundle(join(root, 'functions', entry), name);
  const used = Object.keys(CLIENTS).filter((pkg) =>
    Object.keys(fn.metafile.inputs).some((input) => input.includes(`node_modules/${pkg}/`)),
  );
  const baselineSource = join(out, `${name}-baseline.ts`);
  writeFileSync(
    baselineSource,
    `${used.map((pkg) => `import { ${CLIENTS[pkg]} } from '${pkg}';`).join('\n')}\n` +
      `${used.map((pkg) => `new ${CLIENTS[pkg]}({});`).join('\n')}\nexport const handler = async () => ({});\n`,
  );
  const baseline = await bundle(baselineSource, `${name}-baseline`);
  const fnMs = initMs(fn.file, lambdaEnv(used));
  const baseMs = initMs(baseline.file, lambdaEnv(used));
  rows.push([
    name,
    used.map((pkg) => pkg.replace('@aws-sdk/client-', '')).join('+'),
    `${(fn.bytes / 1024).toFixed(0)} KB`,
    `${(baseline.bytes / 1024).toFixed(0)} KB`,
    (fn.bytes / baseline.bytes).toFixed(2),
    `${fnMs.toFixed(1)} ms`,
    `${baseMs.toFixed(1)} ms`,
    (fnMs / baseMs).toFixed(2),
  ]);
}

const header = ['function', 'SDK clients', 'bundle', 'baseline', 'size ×', 'init', 'baseline', 'init ×'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
console.log(
  `\nbench/cold-start — bundles as deployed, module init median of ${RUNS} fresh processes (target ≤ 1.2×)`,
);
console.log(line(header));
for (const row of rows) console.log(line(row));
