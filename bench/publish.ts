/**
 * `npm run bench:publish [-- --size-mb 500 --posts 100]`
 *
 * Publishing through the whole local path, as a browser and the schedule drive it over HTTP:
 * 1. One large file (default 500 MB): POST /uploads → PUT to the presigned URL (the local S3 server) → POST /posts →
 *    POST /dev/posts/run, which streams it from S3 with ranged GETs into chunked PUTs to the TikTok emulator. Its
 *    throughput is set against a plain copy of the same bytes in the same run (one streamed GET from the same S3
 *    server into a loopback sink that discards them, and a file copy on the same disk); the service process's peak
 *    resident memory is read from /proc (the service runs alone in a child process: the emulator, the S3 server and
 *    this script's buffers are in this process); TikTok calls for the post come from the emulator's call log.
 * 2. N posts (default 100) due at the same instant, spread over accounts so no token passes TikTok's 6 inits a
 *    minute: the publisher is run back to back from that instant (the local stack's own timer runs it too, a second
 *    scheduler racing the first); each must end `published` with exactly one TikTok init, and the start delay is
 *    TikTok's init time minus `publishAt`.
 * Prints a table and writes bench/results/publish.md.
 */
import { fork } from 'node:child_process';
import { randomFillSync, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { copyFile, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { startDynamoDbLocal } from '../local/dynamodb-local.js';
import { startLocalS3 } from '../local/local-s3.js';
import { startTikTokEmulator } from '../local/tiktok-emulator/index.js';
import { DEFAULT_SCOPES } from '../shared/config.js';
import { connectOverHttp, loopback } from './latency/connect-over-http.js';
import { ProcessMemory } from './publish/process-memory.js';
import { markdownTable, textTable } from './table.js';

const { values } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '500' },
    posts: { type: 'string', default: '100' },
  },
});
const SIZE = Number(values['size-mb']) * 1_000_000;
const POSTS = Number(values.posts);
/** TikTok allows 6 inits a minute per token: 5 posts per connected account stay under it. */
const POSTS_PER_ACCOUNT = 5;
const OVERALL_LIMIT_MS = 15 * 60_000;
const CLIENT_KEY = 'bench-publish-key';
const CLIENT_SECRET = 'bench-publish-secret';
const BUCKET = 'bench-uploads';
const FINAL = new Set(['published', 'inbox', 'failed', 'cancelled']);
const MB = 1_000_000;

type Post = { postId: string; status: string; failReason?: string; publishAt?: string };

const work = mkdtempSync(join(tmpdir(), 'bench-publish-'));
const dynamodb = await startDynamoDbLocal();
const emulator = await startTikTokEmulator({ clientKey: CLIENT_KEY, clientSecret: CLIENT_SECRET });
// The bench PUTs from Node (no Origin header), so the CORS rule is never consulted; s3rver needs one origin.
const s3 = await startLocalS3({
  directory: join(work, 's3'),
  bucket: BUCKET,
  allowedOrigins: ['http://127.0.0.1'],
});
const child = fork(resolve(import.meta.dirname, 'publish/stack-process.ts'), [], {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  env: {
    ...process.env,
    BENCH_DATA_DIR: join(work, 'service'),
    DYNAMODB_ENDPOINT: dynamodb.endpoint,
    TABLE_NAME: `bench-publish-${randomUUID()}`,
    TIKTOK_CLIENT_KEY: CLIENT_KEY,
    TIKTOK_CLIENT_SECRET: CLIENT_SECRET,
    TIKTOK_AUTHORIZE_URL: emulator.authorizeUrl,
    TIKTOK_API_BASE_URL: emulator.apiBaseUrl,
    TIKTOK_SCOPES: `${DEFAULT_SCOPES},video.publish,video.upload`,
    TIKTOK_RATE_LIMIT_PER_MINUTE: '100000000',
    TIKTOK_POSTING_AUDITED: 'true',
    S3_ENDPOINT: s3.endpoint,
    UPLOAD_BUCKET_NAME: BUCKET,
    REFRESH_INTERVAL_SECONDS: '0',
  },
});
const guard = setTimeout(() => {
  console.error('bench/publish: over the time limit; stopping');
  child.kill('SIGTERM');
  process.exit(1);
}, OVERALL_LIMIT_MS);

try {
  const stack = await new Promise<{ url: string }>((resolveStack, reject) => {
    child.once('message', (message) => resolveStack(message as { url: string }));
    child.once('exit', (code) => reject(new Error(`the service exited (${code}) before it was up`)));
  });
  const base = loopback(stack.url).replace(/\/$/, '');
  const memory = new ProcessMemory(child.pid as number);
  const scopes = ['user.info.profile', 'user.info.stats', 'video.list', 'video.publish', 'video.upload'];
  const connect = (appUser: string, index: number) =>
    connectOverHttp(base, {
      appUser,
      emulatorUser: emulator.users[index % emulator.users.length]?.openId ?? '',
      appPage: `${stack.url}/platforms/connect`,
      scopes,
    });

  const call = async <T>(token: string, method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const runPublisher = async () => {
    const response = await fetch(`${base}/dev/posts/run`, { method: 'POST' });
    if (!response.ok) throw new Error(`POST /dev/posts/run answered ${response.status}`);
    await response.arrayBuffer();
  };
  /** Uploads a file to a new upload of the connection, as the browser does (a PUT to the presigned URL). */
  const upload = async (token: string, openId: string, path: string, size: number): Promise<string> => {
    const { uploadId, uploadUrl } = await call<{ uploadId: string; uploadUrl: string }>(
      token,
      'POST',
      `/tiktok/connections/${openId}/uploads`,
      { size, contentType: 'video/mp4' },
    );
    await new Promise<void>((done, fail) => {
      const put = request(
        loopback(uploadUrl),
        { method: 'PUT', headers: { 'content-type': 'video/mp4', 'content-length': String(size) } },
        (response) => {
          response.resume();
          response.on('end', () =>
            response.statusCode === 200 ? done() : fail(new Error(`S3 PUT answered ${response.statusCode}`)),
          );
        },
      );
      put.on('error', fail);
      createReadStream(path).on('error', fail).pipe(put);
    });
    return uploadId;
  };
  const schedule = (token: string, openId: string, uploadId: string, publishAt?: string) =>
    call<Post>(token, 'POST', `/tiktok/connections/${openId}/posts`, {
      uploadId,
      caption: 'bench #publish',
      privacyLevel: 'SELF_ONLY',
      disableComment: true,
      disableDuet: true,
      disableStitch: true,
      brandContentToggle: false,
      brandOrganicToggle: false,
      ...(publishAt ? { publishAt } : {}),
    });

  // ---- 1. one large file ----------------------------------------------------------------------------------------
  const bigFile = join(work, 'big.mp4');
  await writeRandomFile(bigFile, SIZE);

  const diskCopyMs = await timed(() => copyFile(bigFile, join(work, 'copy.mp4')));
  rmSync(join(work, 'copy.mp4'));

  const alice = await connect('bench-publish-alice', 0);
  let uploadMs = 0;
  let uploadId = '';
  uploadMs = await timed(async () => {
    uploadId = await upload(alice.token, alice.openId, bigFile, SIZE);
  });
  const objectUrl = await presignedGetOfOnlyObject();
  const floorMs = await timed(() => streamToSink(objectUrl, SIZE));

  const post = await schedule(alice.token, alice.openId, uploadId);
  emulator.calls.reset();
  const rssBefore = memory.rss();
  memory.resetPeak();
  const transferStarted = Date.now();
  let transferMs = 0;
  let state: Post = post;
  while (!FINAL.has(state.status)) {
    await runPublisher();
    state = await call<Post>(alice.token, 'GET', `/tiktok/connections/${alice.openId}/posts/${post.postId}`);
    if (transferMs === 0 && state.status !== 'scheduled' && state.status !== 'publishing')
      transferMs = Date.now() - transferStarted;
    if (!FINAL.has(state.status)) await sleep(200);
  }
  const publishPeak = memory.peak();
  memory.stop();
  if (state.status !== 'published')
    throw new Error(`the large post ended ${state.status} (${state.failReason})`);
  transferMs ||= Date.now() - transferStarted;
  const callsPerPost = countByEndpoint(emulator.calls.list());

  // ---- 2. N posts due at the same instant -----------------------------------------------------------------------
  const small = join(work, 'small.mp4');
  const SMALL_SIZE = 256 * 1024;
  await writeRandomFile(small, SMALL_SIZE);
  const accounts = await Promise.all(
    Array.from({ length: Math.ceil(POSTS / POSTS_PER_ACCOUNT) }, (_, i) => connect(`bench-publish-${i}`, i)),
  );
  const uploads = await mapLimit(
    Array.from(
      { length: POSTS },
      (_, i) => accounts[i % accounts.length] as { token: string; openId: string },
    ),
    8,
    async (account) => ({
      account,
      uploadId: await upload(account.token, account.openId, small, SMALL_SIZE),
    }),
  );
  const due = new Date(Math.ceil((Date.now() + 20_000) / 1000) * 1000);
  const created = await mapLimit(uploads, 8, async ({ account, uploadId: id }) => ({
    account,
    post: await schedule(account.token, account.openId, id, due.toISOString()),
  }));
  if (Date.now() >= due.getTime())
    throw new Error('scheduling took longer than the lead time; lower --posts');
  emulator.calls.reset();
  await sleep(due.getTime() - Date.now());
  const stormStarted = Date.now();
  let finals: Post[] = [];
  while (Date.now() - stormStarted < 5 * 60_000) {
    await runPublisher();
    finals = await mapLimit(created, 8, ({ account, post: p }) =>
      call<Post>(account.token, 'GET', `/tiktok/connections/${account.openId}/posts/${p.postId}`),
    );
    if (finals.every((p) => FINAL.has(p.status))) break;
    await sleep(250);
  }
  const inits = emulator.calls.list().filter((c) => /init/.test(c.endpoint) && c.status === 200);
  const delays = inits.map((c) => (c.at - due.getTime()) / 1000).sort((a, b) => a - b);
  const published = finals.filter((p) => p.status === 'published').length;
  const notPublished = finals.filter((p) => p.status !== 'published');

  // ---- report ---------------------------------------------------------------------------------------------------
  const mbps = (bytes: number, ms: number) => (bytes / MB / (ms / 1000)).toFixed(0);
  const rows: string[][] = [
    ['file', `${(SIZE / MB).toFixed(0)} MB`],
    ['browser → presigned S3 PUT (MB/s)', mbps(SIZE, uploadMs)],
    ['floor: S3 GET → loopback sink (MB/s)', mbps(SIZE, floorMs)],
    ['floor: file copy on the same disk (MB/s)', mbps(SIZE, diskCopyMs)],
    ['publisher: S3 → chunked PUTs to TikTok (MB/s)', mbps(SIZE, transferMs)],
    ['publisher / S3 floor', (floorMs / transferMs).toFixed(2)],
    ['service process RSS before (MB)', (rssBefore / 2 ** 20).toFixed(0)],
    ['service process peak RSS while publishing (MB)', (publishPeak / 2 ** 20).toFixed(0)],
    ...Object.entries(callsPerPost).map(([endpoint, count]) => [
      `TikTok calls per post: ${endpoint}`,
      String(count),
    ]),
    [`posts due at the same instant`, String(POSTS)],
    ['accounts', String(accounts.length)],
    ['published', String(published)],
    ['TikTok inits (must equal posts)', String(inits.length)],
    ['start delay p50 (s)', percentile(delays, 0.5).toFixed(1)],
    ['start delay p99 (s)', percentile(delays, 0.99).toFixed(1)],
    ['start delay max (s)', (delays.at(-1) ?? Number.NaN).toFixed(1)],
  ];
  const header = ['measure', 'value'];
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}`;
  console.log(`\nbench/publish — upload, S3, chunked PUTs to the TikTok emulator (${machine})\n`);
  console.log(textTable(header, rows));
  if (notPublished.length > 0)
    console.log(`\nnot published: ${notPublished.map((p) => `${p.status}/${p.failReason}`).join(', ')}`);
  await writeFile(
    join(resolve(import.meta.dirname, 'results'), 'publish.md'),
    [
      '<!-- written by `npm run bench:publish` (bench/publish.ts); do not edit by hand -->',
      '',
      '# Publishing: throughput, memory, TikTok calls, a due-at-once burst',
      '',
      `Measured ${new Date().toISOString()} on ${machine}. The service (handler modules and the publisher behind \`POST /dev/posts/run\`) runs alone in a child process; DynamoDB Local, the S3-compatible server (files on disk) and the TikTok emulator run beside it, all on loopback and sharing the machine's 2 cores, so the figures compare the publisher with a plain copy of the same bytes in the same run rather than forecast AWS.`,
      '',
      markdownTable(header, rows),
      '',
      '- Floors: one streamed GET of the whole object from the same S3 server into a loopback HTTP sink that discards it (the least any S3 → HTTP relay can do), and `copyFile` of the source file.',
      "- Peak RSS: the kernel's high-water mark (`VmHWM`, reset through `/proc/<pid>/clear_refs` before the run) of the service process; it holds every handler module, not only the publisher.",
      `- Burst: ${POSTS} posts with the same \`publishAt\`, ${POSTS_PER_ACCOUNT} per connected account (TikTok allows 6 inits a minute per token); the publisher run back to back from that instant while the local stack's own timer also runs it. Start delay = the emulator's time of the post's \`/video/init/\` − \`publishAt\`.`,
      '',
    ].join('\n'),
  );
  if (published !== POSTS || inits.length !== POSTS) process.exitCode = 1;

  /** A presigned GET of the one object in the bucket (the upload above), for the floor. */
  async function presignedGetOfOnlyObject(): Promise<string> {
    const { S3Client, ListObjectsV2Command, GetObjectCommand } = await import('@aws-sdk/client-s3');
    const { getSignedUrl } = await import('@aws-sdk/s3-request-presigner');
    const { LOCAL_S3_CREDENTIALS } = await import('../local/local-s3.js');
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: LOCAL_S3_CREDENTIALS,
    });
    const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    const key = listed.Contents?.find((object) => object.Size === SIZE)?.Key;
    if (!key) throw new Error('the uploaded object is not in the bucket');
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: key }), {
      expiresIn: 600,
    });
    client.destroy();
    return url;
  }
} finally {
  clearTimeout(guard);
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((done) => child.once('exit', done));
    if (child.connected) child.send('stop');
    else child.kill('SIGTERM');
    await exited;
  }
  await emulator.close();
  await s3.stop();
  await dynamodb.stop();
  rmSync(work, { recursive: true, force: true });
}

async function writeRandomFile(path: string, size: number): Promise<void> {
  const block = randomFillSync(Buffer.alloc(Math.min(size, 8 * MB)));
  const out = createWriteStream(path);
  await pipeline(
    (async function* () {
      for (let written = 0; written < size; written += block.length)
        yield block.subarray(0, Math.min(block.length, size - written));
    })(),
    out,
  );
  if (statSync(path).size !== size) throw new Error('short write');
}

/** Streams a URL's body into a loopback HTTP server that counts and discards it. */
async function streamToSink(url: string, size: number): Promise<void> {
  let received = 0;
  const sink = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    req.on('end', () => res.end());
  });
  await new Promise<void>((done) => sink.listen(0, '127.0.0.1', done));
  const { port } = sink.address() as AddressInfo;
  try {
    const source = await fetch(loopback(url));
    if (!source.ok || !source.body) throw new Error(`floor GET answered ${source.status}`);
    const put = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'PUT',
      body: source.body,
      headers: { 'content-length': String(size) },
      duplex: 'half',
    } as RequestInit);
    await put.arrayBuffer();
    if (received !== size) throw new Error(`the sink received ${received} of ${size} bytes`);
  } finally {
    sink.close();
  }
}

function countByEndpoint(calls: { endpoint: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { endpoint } of calls) counts[endpoint] = (counts[endpoint] ?? 0) + 1;
  return counts;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] as number;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, Math.max(0, ms)));
}

async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  run: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await run(items[index] as T);
      }
    }),
  );
  return results;
}
