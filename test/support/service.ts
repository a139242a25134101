import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startTikTokEmulator, type TikTokEmulator } from '../../local/tiktok-emulator/index.js';
import { loadConfig } from '../../shared/config.js';
import { KmsDataKeyProvider } from '../../shared/crypto/kms-data-keys.js';
import { createDeps, type DepsOverrides, type ServiceDeps } from '../../shared/deps.js';
import { LoggedConnectionEvents } from '../../shared/events/connection-events.js';
import { EventBridgeConnectionEvents } from '../../shared/events/eventbridge-connection-events.js';
import { Logger } from '../../shared/log.js';
import { SecretsManagerClientSecret } from '../../shared/secrets/secrets-manager-client-secret.js';
import { createDynamoClient } from '../../shared/store/dynamo-client.js';
import { type BusEntry, eventBridgeStandIn, KmsStandIn, secretsManagerStandIn } from './aws-stand-ins.js';
import { createTestTable } from './dynamodb.js';
import { type ClientScope, deployedPolicies, guardClient } from './iam/policy-check.js';
import type { StackPolicies } from './iam/stack-policies.js';
import type { StackVariant } from './iam/synthesized-policies.js';

export const CLIENT_KEY = 'test-client-key';
export const CLIENT_SECRET = 'test-client-secret-value-0123456789';
export const REDIRECT_URI = 'https://api.example.test/auth/tiktok/callback';
export const APP_ORIGIN = 'https://app.example.test';

export type TestService = {
  /**
   * The test's own access (seeding items, reading them back): the same table, key and secret as the functions,
   * without the policy check. Drive the service through `depsOf` (or the drivers), as a function of the stack.
   */
  deps: ServiceDeps;
  /**
   * The deps of one function of the stack, as its Lambda container would build them: its own AWS clients (and so
   * its own key and secret caches), each checked against the function's role in the synthesized template.
   * `policies` swaps in a variant of the stack's policies (a grant taken out).
   */
  depsOf(functionName: string, options?: { policies?: StackPolicies }): ServiceDeps;
  /** The environment the service was configured from (a Lambda's environment). */
  env: Record<string, string>;
  /** Connection events published (the local stand-in for the EventBridge bus). */
  events: LoggedConnectionEvents;
  /** The same events as the bus received them from the functions (source, detail-type, detail), in order. */
  busEntries: BusEntry[];
  /** EMF metric lines. */
  metricLines: string[];
  emulator: TikTokEmulator;
  tableName: string;
  /** Every log line the service wrote. */
  logs: string[];
  /** Secrets the service made that the emulator never sees (presigned S3 URLs): the log scan looks for them too. */
  secrets: string[];
  close(): Promise<void>;
};

const started: TestService[] = [];

/** Every service this test file started (the log scan in log-scan.ts reads their logs). */
export function startedServices(): readonly TestService[] {
  return started;
}

/** The service wired as in production, but to DynamoDB Local, the TikTok emulator and a local key file. */
export async function startTestService(
  options: {
    env?: Record<string, string>;
    overrides?: DepsOverrides;
    emulatorPkce?: 'hex' | 'base64url';
    /**
     * `kms` (default): tokens are sealed with data keys from the KMS stand-in, as deployed. `key-file`: with the
     * local key file, for tests whose child processes open the tokens too (they cannot reach the stand-in).
     */
    tokenKeys?: 'kms' | 'key-file';
    /**
     * The stack whose policies the functions run under: the deployed one, or a variant configured as the test
     * configures the service (e.g. `display-cache` with DISPLAY_CACHE_SECONDS).
     */
    stack?: StackVariant;
    /** Called with every DynamoDB client the service builds (e.g. a middleware counting what a run reads). */
    onDynamoClient?: (client: DynamoDBClient) => void;
  } = {},
): Promise<TestService> {
  const { db, tableName } = await createTestTable();
  db.destroy();
  const emulator = await startTikTokEmulator({
    clientKey: CLIENT_KEY,
    clientSecret: CLIENT_SECRET,
    redirectUris: [REDIRECT_URI],
    pkceEncoding: options.emulatorPkce ?? 'hex',
  });
  const logs: string[] = [];
  const env: Record<string, string> = {
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: (await import('./dynamodb.js')).dynamodbEndpoint(),
    TIKTOK_CLIENT_KEY: CLIENT_KEY,
    TIKTOK_CLIENT_SECRET: CLIENT_SECRET,
    TIKTOK_REDIRECT_URI: REDIRECT_URI,
    TIKTOK_AUTHORIZE_URL: emulator.authorizeUrl,
    TIKTOK_API_BASE_URL: emulator.apiBaseUrl,
    TIKTOK_HTTP_TIMEOUT_MS: '1500',
    ALLOWED_RETURN_ORIGINS: `${APP_ORIGIN},https://other.example.test`,
    DEFAULT_RETURN_URL: `${APP_ORIGIN}/settings/tiktok`,
    TOKEN_KEY_FILE: join(mkdtempSync(join(tmpdir(), 'tc-')), 'token-key.json'),
    ...options.env,
  };
  const config = loadConfig(env);
  const logger = new Logger({ sink: (line) => logs.push(line), level: 'debug' });
  const events = new LoggedConnectionEvents(logger);
  const metricLines: string[] = [];
  const metrics = (line: string) => metricLines.push(line);
  const busEntries: BusEntry[] = [];

  // The stack's KMS key, client secret and event bus, as their stand-ins; the test's table stands for its table.
  const variant = options.stack ?? 'deployed';
  const { resources } = deployedPolicies(variant);
  const kms = new KmsStandIn(resources.tokenKeyArn);
  const useKms = (options.tokenKeys ?? 'kms') === 'kms';
  const scopeOf = (functionName: string, policies?: StackPolicies): ClientScope => ({
    functionName,
    variant,
    policies,
    resources: {
      tableArn: (name) =>
        name === tableName ? resources.tableArn : resources.tableArn.replace(/table\/.*$/, `table/${name}`),
    },
  });
  const observed = (client: DynamoDBClient) => {
    options.onDynamoClient?.(client);
    return client;
  };
  /** The AWS providers of one container; `guard` puts the policy check of a function on its clients. */
  const awsDeps = (guard: <T extends object>(client: T) => T): DepsOverrides => ({
    dynamoClient: observed(
      guard(createDynamoClient({ region: config.region, endpoint: config.dynamodbEndpoint })),
    ),
    ...(useKms ? { dataKeys: new KmsDataKeyProvider({ kms: guard(kms.client()), keyId: kms.keyArn }) } : {}),
    clientSecret: new SecretsManagerClientSecret({
      client: guard(secretsManagerStandIn(resources.clientSecretArn, () => CLIENT_SECRET)),
      secretId: resources.clientSecretArn,
      cacheSeconds: 300,
    }),
    events: new EventBridgeConnectionEvents({
      client: guard(
        eventBridgeStandIn(resources.eventBusName, (event, entry) => {
          busEntries.push(entry);
          return events.publish(event);
        }),
      ),
      busName: resources.eventBusName,
    }),
  });
  const deps = createDeps(config, {
    logger,
    events,
    metrics,
    ...awsDeps((client) => client),
    ...options.overrides,
  });
  const functionDeps = new Map<string, ServiceDeps>();
  const depsOf = (functionName: string, depsOptions: { policies?: StackPolicies } = {}) => {
    const build = () =>
      createDeps(config, {
        logger,
        metrics,
        // One clock, randomness and crash points for the whole service: tests move them on `service.deps`.
        now: () => deps.now(),
        random: () => deps.random(),
        checkpoint: (name) => deps.checkpoint(name),
        ...awsDeps((client) => guardClient(client, scopeOf(functionName, depsOptions.policies))),
        ...options.overrides,
      });
    if (depsOptions.policies) return build();
    let built = functionDeps.get(functionName);
    if (!built) {
      built = build();
      functionDeps.set(functionName, built);
    }
    return built;
  };
  const service = {
    deps,
    depsOf,
    env,
    events,
    busEntries,
    metricLines,
    emulator,
    tableName,
    logs,
    secrets: [] as string[],
    close: () => emulator.close(),
  };
  started.push(service);
  return service;
}
