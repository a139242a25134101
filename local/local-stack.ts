import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { loadConfig } from '../shared/config.js';
import { createDeps } from '../shared/deps.js';
import { refreshNow } from '../shared/lifecycle/refresh-now.js';
import type { RefreshRunReport } from '../shared/lifecycle/refresh-run.js';
import { createDynamoClient } from '../shared/store/dynamo-client.js';
import { ensureTable } from '../shared/store/ensure-table.js';
import { localFirstSnapshots } from './analytics-first-snapshot.js';
import { simulateAnalytics } from './analytics-simulation.js';
import { type RunningDynamoDb, startDynamoDbLocal } from './dynamodb-local.js';
import { lambdaContext } from './http-adapter.js';
import { LocalJwtIssuer } from './local-authorizer.js';
import { startLocalS3 } from './local-s3.js';
import { localRequestListener } from './local-server.js';
import { DEFAULT_LOCAL_HOST } from './loopback.js';
import { startTikTokEmulator, type TikTokEmulator } from './tiktok-emulator/index.js';

export const EMULATOR_CLIENT_KEY = 'local-client-key';
export const EMULATOR_CLIENT_SECRET = 'local-client-secret';
/** The emulator grants the posting scopes, so the local stack asks for them (docs/publishing.md). */
export const LOCAL_SCOPES =
  'user.info.basic,user.info.profile,user.info.stats,video.list,video.publish,video.upload';

export type LocalStack = {
  url: string;
  /** The address the server listens on (HOST; default 127.0.0.1). */
  host: string;
  emulator: TikTokEmulator | undefined;
  /** The environment the handler modules were given (what a Lambda's environment would hold). */
  env: Record<string, string>;
  /** 0 = the schedule is off. */
  refreshIntervalSeconds: number;
  close(): Promise<void>;
};

export type LocalStackOptions = {
  rootDir: string;
  /** Where DynamoDB Local files, the token key and the JWT key live; undefined keeps DynamoDB in memory. */
  dataDir: string | undefined;
  /** The user's environment (.env already applied). */
  env: Record<string, string | undefined>;
  log?: (line: string) => void;
};

/**
 * The whole service on one machine: DynamoDB Local (unless DYNAMODB_ENDPOINT is set), the TikTok emulator
 * (unless TIKTOK_CLIENT_KEY is set), and the HTTP server that runs the Lambda handler modules.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  const env = options.env;
  const port = Number(env.PORT ?? 3001);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT ${env.PORT} is not a port number`);
  // Loopback only unless HOST says otherwise: the server runs handlers with real tokens, and /dev/token.
  const host = env.HOST || DEFAULT_LOCAL_HOST;
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
  };

  try {
    // Listen first: with PORT=0 the real port is known only now, and the redirect URI depends on it.
    const server = await listen(port, host);
    closers.push(() => closeServer(server));
    const address = server.address();
    const actualPort = typeof address === 'object' && address ? address.port : port;
    const baseUrl = `http://localhost:${actualPort}`;

    let dynamodb: RunningDynamoDb | undefined;
    let dynamodbEndpoint = env.DYNAMODB_ENDPOINT;
    if (!dynamodbEndpoint) {
      log('starting DynamoDB Local…');
      dynamodb = await startDynamoDbLocal(options.dataDir ? { path: join(options.dataDir, 'dynamodb') } : {});
      closers.push(() => (dynamodb as RunningDynamoDb).stop());
      dynamodbEndpoint = dynamodb.endpoint;
    }

    let emulator: TikTokEmulator | undefined;
    const tiktokEnv: Record<string, string> = {};
    if (!env.TIKTOK_CLIENT_KEY) {
      const emulatorPort = Number(env.TIKTOK_EMULATOR_PORT ?? (port === 0 ? 0 : actualPort + 1));
      emulator = await startTikTokEmulator({
        port: emulatorPort,
        clientKey: EMULATOR_CLIENT_KEY,
        clientSecret: EMULATOR_CLIENT_SECRET,
        pkceEncoding: env.TIKTOK_PKCE_ENCODING === 'base64url' ? 'base64url' : 'hex',
        // The emulator's grants live beside the table that holds their tokens: a restart keeps both.
        ...(options.dataDir ? { stateFile: join(options.dataDir, 'tiktok-emulator.json') } : {}),
        // Counters that move and new videos that appear, so the analytics dashboard has curves to show.
        liveStats: {},
        // Short-lived tokens make the refresher visible by hand (e.g. 60 s access tokens).
        ...positiveSeconds('accessTokenTtlSeconds', env.TIKTOK_EMULATOR_ACCESS_TTL_SECONDS),
        ...positiveSeconds('refreshTokenTtlSeconds', env.TIKTOK_EMULATOR_REFRESH_TTL_SECONDS),
      });
      closers.push(() => (emulator as TikTokEmulator).close());
      tiktokEnv.TIKTOK_CLIENT_KEY = EMULATOR_CLIENT_KEY;
      tiktokEnv.TIKTOK_CLIENT_SECRET = EMULATOR_CLIENT_SECRET;
      tiktokEnv.TIKTOK_AUTHORIZE_URL = emulator.authorizeUrl;
      tiktokEnv.TIKTOK_API_BASE_URL = emulator.apiBaseUrl;
      tiktokEnv.TIKTOK_SCOPES = env.TIKTOK_SCOPES ?? LOCAL_SCOPES;
      tiktokEnv.TIKTOK_POSTING_AUDITED = env.TIKTOK_EMULATOR_UNAUDITED === 'true' ? 'false' : 'true';
    }

    const s3Env: Record<string, string> = {};
    if (!env.S3_ENDPOINT && !env.UPLOAD_BUCKET_NAME) {
      // The upload bucket: files under .data/s3 (or a temporary directory when nothing is kept).
      const s3 = await startLocalS3({
        directory: join(options.dataDir ?? join(tmpdir(), `tiktok-connect-s3-${process.pid}`), 's3'),
        bucket: 'tiktok-connect-uploads',
        allowedOrigins: [baseUrl, ...(env.CORS_ALLOWED_ORIGINS ?? '').split(',').filter(Boolean)],
      });
      closers.push(() => s3.stop());
      s3Env.S3_ENDPOINT = s3.endpoint;
      s3Env.UPLOAD_BUCKET_NAME = s3.bucket;
    }

    const dataDir = options.dataDir;
    const handlerEnv: Record<string, string> = {
      TIKTOK_REDIRECT_URI: `${baseUrl}/auth/tiktok/callback`,
      DEFAULT_RETURN_URL: `${baseUrl}/platforms/connect`,
      ...definedOnly(env),
      ...tiktokEnv,
      ...s3Env,
      DYNAMODB_ENDPOINT: dynamodbEndpoint,
      TABLE_NAME: env.TABLE_NAME ?? 'tiktok-connect',
      // Readable lines in a terminal; the Lambdas keep JSON (set LOG_FORMAT=json to see what CloudWatch gets).
      LOG_FORMAT: env.LOG_FORMAT ?? 'pretty',
      TOKEN_KEY_FILE: env.TOKEN_KEY_FILE ?? join(dataDir ?? join(options.rootDir, '.data'), 'token-key.json'),
    };
    // Check the configuration now rather than on the first request.
    const config = loadConfig(handlerEnv);
    const db = createDynamoClient({ region: config.region, endpoint: config.dynamodbEndpoint });
    const created = await ensureTable(db, config.tableName);
    db.destroy();
    log(`table ${config.tableName} ${created}`);

    // The handler modules read their configuration from the environment, as on Lambda.
    Object.assign(process.env, handlerEnv);
    const issuer = await LocalJwtIssuer.create({
      issuer: `${baseUrl}/dev`,
      keyFile: dataDir ? join(dataDir, 'jwt-key.json') : undefined,
    });
    const refresher = createLocalRefresher(options.rootDir, log, createDeps(config));
    const publisher = createLocalPublisher(options.rootDir, log);
    const firstSnapshots = localFirstSnapshots(options.rootDir, log);
    closers.push(() => firstSnapshots.settled());
    server.on(
      'request',
      localRequestListener({
        rootDir: options.rootDir,
        issuer,
        // A first snapshot still running reads the connection it was started for: on demand, the pass comes after
        // it (a refresh racing it would lose the compare-and-swap and report the connection skipped).
        runRefresh: async (options) => {
          await firstSnapshots.settled();
          return refresher.runOnce(options);
        },
        runAnalyticsSnapshot: localAnalyticsPass(options.rootDir),
        runPublisher: () => publisher.runOnce(true),
        onConnected: (key) => firstSnapshots.start(key),
        ...(emulator
          ? {
              simulateAnalytics: async (days: number) => {
                await firstSnapshots.settled();
                return simulateAnalytics(emulator as TikTokEmulator, days);
              },
            }
          : {}),
      }),
    );
    // The local stand-in for the one-minute publisher schedule, more often so a demo does not wait.
    const publishSeconds = Number(env.PUBLISH_INTERVAL_SECONDS ?? 3);
    if (publishSeconds > 0) {
      const timer = setInterval(() => void publisher.runOnce().catch(() => undefined), publishSeconds * 1000);
      timer.unref();
      closers.push(async () => clearInterval(timer));
    }
    const intervalSeconds = Number(env.REFRESH_INTERVAL_SECONDS ?? 60);
    if (intervalSeconds > 0) {
      const timer = setInterval(
        () => void refresher.runOnce().catch(() => undefined),
        intervalSeconds * 1000,
      );
      timer.unref();
      closers.push(async () => clearInterval(timer));
    }
    return {
      url: baseUrl,
      host,
      emulator,
      env: handlerEnv,
      refreshIntervalSeconds: intervalSeconds,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The local stand-in for the EventBridge schedule: it invokes the very handler module the scheduled Lambda runs,
 * one pass at a time (a pass still running when the next tick comes is not doubled).
 */
function createLocalRefresher(
  rootDir: string,
  log: (line: string) => void,
  deps: ReturnType<typeof createDeps>,
) {
  let running: Promise<unknown> | undefined;
  const runOnce = async (options?: { now: boolean; openId?: string | undefined }): Promise<unknown> => {
    if (options?.now) {
      // Due or not (tokens live 24 h, so a fault queued by hand would otherwise wait a day for its refresh).
      const deadline = Date.now() + 60_000;
      return {
        connections: await refreshNow(deps, { openId: options.openId, owner: 'local-now', deadline }),
      };
    }
    if (running) return running;
    running = (async () => {
      const module = (await import(pathToFileURL(join(rootDir, 'functions/refresh-scheduled.ts')).href)) as {
        handler: (event: unknown, context: Context) => Promise<RefreshRunReport>;
      };
      const context = lambdaContext('RefresherFunction', 5 * 60_000);
      const report = await module.handler({ source: 'local.schedule' }, context);
      if (report.due > 0) {
        log(
          `refresh pass: ${report.due} due, ${report.refreshed} refreshed, ${report.retryLater} retrying, ${report.reauthRequired} need re-auth`,
        );
      }
      return report;
    })().finally(() => {
      running = undefined;
    });
    return running;
  };
  return { runOnce };
}

/** The local stand-in for the snapshot schedule: the very handler module the snapshot Lambda runs. */
function localAnalyticsPass(rootDir: string) {
  return async (input: { all: boolean }): Promise<unknown> => {
    const module = (await import(pathToFileURL(join(rootDir, 'functions/analytics-snapshot.ts')).href)) as {
      handler: (event: unknown, context: Context) => Promise<unknown>;
    };
    return module.handler(
      { source: 'local.dev', all: input.all },
      lambdaContext('AnalyticsSnapshotFunction', 5 * 60_000),
    );
  };
}

/**
 * The publisher's handler module for POST /dev/posts/run and the timer. A call waits for the run in progress, then
 * starts its own; calls that waited together then run side by side, as overlapping Lambda invocations of the
 * schedule do (every claim is a conditional write, so they share the work without doing any twice).
 */
function createLocalPublisher(rootDir: string, log: (line: string) => void) {
  let running: Promise<unknown> | undefined;
  const runOnce = async (checkWaiting = false): Promise<unknown> => {
    if (running) await running.catch(() => undefined);
    running = (async () => {
      const module = (await import(
        pathToFileURL(join(rootDir, 'functions/publisher-scheduled.ts')).href
      )) as {
        handler: (event: { checkWaiting: boolean }, context: Context) => Promise<{ due: number }>;
      };
      const report = await module.handler({ checkWaiting }, lambdaContext('PublisherFunction', 5 * 60_000));
      if (report.due > 0) log(`publisher run: ${JSON.stringify(report)}`);
      return report;
    })().finally(() => {
      running = undefined;
    });
    return running;
  };
  return { runOnce };
}

function positiveSeconds<K extends string>(name: K, value: string | undefined): Partial<Record<K, number>> {
  const seconds = Number(value);
  return value && Number.isInteger(seconds) && seconds > 0 ? ({ [name]: seconds } as Record<K, number>) : {};
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')) as Record<
    string,
    string
  >;
}

async function listen(port: number, host: string): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE' ? new Error(`port ${port} is in use: set PORT to another port`) : error,
      ),
    );
    server.listen(port, host, resolve);
  });
  return server;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
