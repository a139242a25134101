import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal } from '../../local/dynamodb-local.js';
import { startTikTokEmulator, type TikTokEmulator } from '../../local/tiktok-emulator/index.js';
import { type Config, loadConfig } from '../../shared/config.js';
import { KmsDataKeyProvider } from '../../shared/crypto/kms-data-keys.js';
import { createDeps, type ServiceDeps } from '../../shared/deps.js';
import { EventBridgeConnectionEvents } from '../../shared/events/eventbridge-connection-events.js';
import { Logger } from '../../shared/log.js';
import { SqsRefreshQueue } from '../../shared/queue/sqs-refresh-queue.js';
import { Redacted } from '../../shared/redacted.js';
import { SecretsManagerClientSecret } from '../../shared/secrets/secrets-manager-client-secret.js';
import type { ConnectionKey } from '../../shared/store/connection-store.js';
import { ensureTable } from '../../shared/store/ensure-table.js';
import { codeChallengeS256, createCodeVerifier } from '../../shared/tiktok/pkce.js';
import type { FetchLike } from '../../shared/tiktok/tiktok-http.js';
import {
  AwsFakes,
  BENCH_EVENT_BUS,
  BENCH_KMS_KEY_ARN,
  BENCH_QUEUE_URL,
  BENCH_SECRET_ARN,
} from './aws-fakes.js';
import { meterDynamo } from './dynamo-meter.js';
import { Meter } from './meter.js';

export const CLIENT_KEY = 'bench-client-key';
export const CLIENT_SECRET = 'bench-client-secret-0123456789';
export const REDIRECT_URI = 'https://api.example.test/auth/tiktok/callback';
/** The emulator's default access-token life, and the one that makes a seeded connection due at once. */
const ACCESS_TTL_SECONDS = 86_400;
const DUE_ACCESS_TTL_SECONDS = 60;
/** What the stack's KmsDataKeyProvider and SecretsManagerClientSecret keep in memory (their defaults). */
export const CACHE_SECONDS = 300;
export const ALL_SCOPES = ['user.info.basic', 'user.info.profile', 'user.info.stats', 'video.list'];

/** One Lambda container: deps built once, as a function's module scope does, with every client instrumented. */
export type Container = { deps: ServiceDeps; fakes: AwsFakes };

/**
 * DynamoDB Local and the TikTok emulator, and containers wired as the Lambda entries wire theirs, except that
 * KMS, Secrets Manager, EventBridge and SQS are mocked clients (aws-fakes.ts).
 */
export class BenchService {
  /** Everything the measured containers do is counted here. */
  readonly meter = new Meter();
  /** Every CloudWatch metric the measured containers emitted (namespace, dimensions, name): each is billed. */
  readonly metricNames = new Set<string>();
  readonly emulator: TikTokEmulator;
  readonly #dynamodb: { endpoint: string; stop(): Promise<void> };
  readonly #admin: DynamoDBClient;

  private constructor(dynamodb: { endpoint: string; stop(): Promise<void> }, emulator: TikTokEmulator) {
    this.#dynamodb = dynamodb;
    this.emulator = emulator;
    this.#admin = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: dynamodb.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  }

  static async start(): Promise<BenchService> {
    const dynamodb = await startDynamoDbLocal();
    const emulator = await startTikTokEmulator({
      clientKey: CLIENT_KEY,
      clientSecret: CLIENT_SECRET,
      redirectUris: [REDIRECT_URI],
      pkceEncoding: 'hex',
      accessTokenTtlSeconds: ACCESS_TTL_SECONDS,
    });
    return new BenchService(dynamodb, emulator);
  }

  /** Unmetered client for reading items back (sizes) and creating tables. */
  get admin(): DynamoDBClient {
    return this.#admin;
  }

  /** A fresh table (so one flow's items never show up in another's queries) and its configuration. */
  async newTable(name: string): Promise<Config> {
    const config = loadConfig({
      TABLE_NAME: `bench-${name}-${randomUUID().slice(0, 8)}`,
      DYNAMODB_ENDPOINT: this.#dynamodb.endpoint,
      TIKTOK_CLIENT_KEY: CLIENT_KEY,
      TIKTOK_CLIENT_SECRET_ARN: BENCH_SECRET_ARN,
      SECRET_CACHE_SECONDS: String(CACHE_SECONDS),
      TIKTOK_REDIRECT_URI: REDIRECT_URI,
      TIKTOK_AUTHORIZE_URL: this.emulator.authorizeUrl,
      TIKTOK_API_BASE_URL: this.emulator.apiBaseUrl,
      DEFAULT_RETURN_URL: 'https://app.example.test/settings/tiktok',
      TOKEN_KMS_KEY_ID: BENCH_KMS_KEY_ARN,
      EVENT_BUS_NAME: BENCH_EVENT_BUS,
    });
    await ensureTable(this.#admin, config.tableName);
    return config;
  }

  /**
   * A container of one function. `metered`: its DynamoDB commands, TikTok calls, AWS calls and log lines count
   * towards the meter (setup containers use their own, discarded one). `queue`: it hands refresh overflow to SQS
   * (only the scheduled refresher has REFRESH_QUEUE_URL in the stack).
   */
  container(config: Config, options: { metered: boolean; queue?: boolean }): Container {
    const meter = options.metered ? this.meter : new Meter();
    const db = meterDynamo(
      new DynamoDBClient({
        region: config.region,
        endpoint: config.dynamodbEndpoint,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
      meter,
    );
    const fakes = new AwsFakes(meter, { clientSecret: CLIENT_SECRET, cacheMs: CACHE_SECONDS * 1000 });
    const deps = createDeps(config, {
      dynamoClient: db,
      fetch: meteredFetch(meter),
      logger: new Logger({ sink: (line) => meter.logLine('logs', line) }),
      metrics: (line) => {
        meter.logLine('metrics', line);
        if (options.metered) for (const name of emfMetricNames(line)) this.metricNames.add(name);
      },
      dataKeys: new KmsDataKeyProvider({
        kms: fakes.kms,
        keyId: BENCH_KMS_KEY_ARN,
        cacheSeconds: CACHE_SECONDS,
      }),
      clientSecret: new SecretsManagerClientSecret({
        client: fakes.secretsManager,
        secretId: BENCH_SECRET_ARN,
        cacheSeconds: CACHE_SECONDS,
      }),
      events: new EventBridgeConnectionEvents({ client: fakes.eventBridge, busName: BENCH_EVENT_BUS }),
      ...(options.queue
        ? { refreshQueue: new SqsRefreshQueue({ sqs: fakes.sqs, queueUrl: BENCH_QUEUE_URL }) }
        : {}),
    });
    return { deps, fakes };
  }

  /**
   * Stores `count` connections as the callback stores them (a real emulator grant for each, sealed with the setup
   * container's data key). `due`: their access tokens live 60 s, so they are due for refresh at once.
   */
  async seedConnections(
    setup: Container,
    input: { appUserPrefix: string; count: number; due?: boolean; userIndex?: number },
  ): Promise<ConnectionKey[]> {
    const users = this.emulator.users;
    if (input.due) this.emulator.setOptions({ accessTokenTtlSeconds: DUE_ACCESS_TTL_SECONDS });
    const keys: ConnectionKey[] = [];
    try {
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(16, input.count) }, async () => {
          while (next < input.count) {
            const i = next++;
            const user = users[(input.userIndex ?? i) % users.length]!;
            const verifier = createCodeVerifier();
            const code = this.emulator.issueCode({
              userId: user.openId,
              scopes: ALL_SCOPES,
              redirectUri: REDIRECT_URI,
              codeChallenge: codeChallengeS256(verifier, 'hex'),
              codeChallengeMethod: 'S256',
            });
            const grant = await setup.deps.tiktokOAuth.exchangeCode({
              code: new Redacted(code),
              redirectUri: REDIRECT_URI,
              codeVerifier: new Redacted(verifier),
            });
            const appUser = input.count === 1 ? input.appUserPrefix : `${input.appUserPrefix}-${i}`;
            await setup.deps.connections.saveConnected({
              appUser,
              openId: grant.openId,
              grant,
              profile: { displayName: user.displayName, username: user.username },
              now: Date.now(),
            });
            keys.push({ appUser, openId: grant.openId });
          }
        }),
      );
    } finally {
      if (input.due) this.emulator.setOptions({ accessTokenTtlSeconds: ACCESS_TTL_SECONDS });
    }
    return keys;
  }

  async close(): Promise<void> {
    this.#admin.destroy();
    await this.emulator.close();
    await this.#dynamodb.stop();
  }
}

/** TikTok calls counted by path, with the bytes each sends (request line, headers, body: data transfer out). */
function meteredFetch(meter: Meter): FetchLike {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    meter.add(`tiktok:${url.pathname}`);
    const headers = Object.entries((init?.headers ?? {}) as Record<string, string>);
    const body = typeof init?.body === 'string' ? Buffer.byteLength(init.body) : 0;
    const head = `${init?.method ?? 'GET'} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n`;
    meter.add(
      'tiktok-bytes:out',
      Buffer.byteLength(head) + headers.reduce((sum, [k, v]) => sum + k.length + v.length + 4, 0) + body,
    );
    return fetch(input, init);
  }) as FetchLike;
}

/** The metrics one embedded-metric-format line defines, as `namespace|dimension=value,…|name`. */
function emfMetricNames(line: string): string[] {
  const emf = JSON.parse(line) as {
    _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  } & Record<string, unknown>;
  return emf._aws.CloudWatchMetrics.flatMap((directive) =>
    directive.Dimensions.flatMap((dimensions) => {
      const dims = dimensions.map((d) => `${d}=${String(emf[d])}`).join(',');
      return directive.Metrics.map((metric) => `${directive.Namespace}|${dims}|${metric.Name}`);
    }),
  );
}
