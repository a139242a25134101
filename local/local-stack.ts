import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { loadConfig } from '../shared/config.js';
import type { RefreshRunReport } from '../shared/lifecycle/refresh-run.js';
import { createDynamoClient } from '../shared/store/dynamo-client.js';
import { ensureTable } from '../shared/store/ensure-table.js';
import { simulateAnalytics } from './analytics-simulation.js';
import { type RunningDynamoDb, startDynamoDbLocal } from './dynamodb-local.js';
import { lambdaContext } from './http-adapter.js';
import { LocalJwtIssuer } from './local-authorizer.js';
import { localRequestListener } from './local-server.js';
import { startTikTokEmulator, type TikTokEmulator } from './tiktok-emulator/index.js';

export const EMULATOR_CLIENT_KEY = 'local-client-key';
export const EMULATOR_CLIENT_SECRET = 'local-client-secret';

export type LocalStack = {
  url: string;
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
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
  };

  try {
    // Listen first: with PORT=0 the real port is known only now, and the redirect URI depends on it.
    const server = await listen(port);
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
    }

    const dataDir = options.dataDir;
    const handlerEnv: Record<string, string> = {
      TIKTOK_REDIRECT_URI: `${baseUrl}/auth/tiktok/callback`,
      DEFAULT_RETURN_URL: `${baseUrl}/platforms/connect`,
      ...definedOnly(env),
      ...tiktokEnv,
      DYNAMODB_ENDPOINT: dynamodbEndpoint,
      TABLE_NAME: env.TABLE_NAME ?? 'tiktok-connect',
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
    const refresher = createLocalRefresher(options.rootDir, log);
    server.on(
      'request',
      localRequestListener({
        rootDir: options.rootDir,
        issuer,
        runRefresh: refresher.runOnce,
        runAnalyticsSnapshot: localAnalyticsPass(options.rootDir),
        ...(emulator
          ? { simulateAnalytics: (days: number) => simulateAnalytics(emulator as TikTokEmulator, days) }
          : {}),
      }),
    );
    const intervalSeconds = Number(env.REFRESH_INTERVAL_SECONDS ?? 60);
    if (intervalSeconds > 0) {
      const timer = setInterval(
        () => void refresher.runOnce().catch(() => undefined),
        intervalSeconds * 1000,
      );
      timer.unref();
      closers.push(async () => clearInterval(timer));
    }
    return { url: baseUrl, emulator, env: handlerEnv, refreshIntervalSeconds: intervalSeconds, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The local stand-in for the EventBridge schedule: it invokes the very handler module the scheduled Lambda runs,
 * one pass at a time (a pass still running when the next tick comes is not doubled).
 */
function createLocalRefresher(rootDir: string, log: (line: string) => void) {
  let running: Promise<unknown> | undefined;
  const runOnce = async (): Promise<unknown> => {
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

async function listen(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE' ? new Error(`port ${port} is in use: set PORT to another port`) : error,
      ),
    );
    server.listen(port, resolve);
  });
  return server;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
