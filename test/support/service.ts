import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTikTokEmulator, type TikTokEmulator } from '../../local/tiktok-emulator/index.js';
import { loadConfig } from '../../shared/config.js';
import { createDeps, type DepsOverrides, type ServiceDeps } from '../../shared/deps.js';
import { LoggedConnectionEvents } from '../../shared/events/connection-events.js';
import { Logger } from '../../shared/log.js';
import { createTestTable } from './dynamodb.js';

export const CLIENT_KEY = 'test-client-key';
export const CLIENT_SECRET = 'test-client-secret-value-0123456789';
export const REDIRECT_URI = 'https://api.example.test/auth/tiktok/callback';
export const APP_ORIGIN = 'https://app.example.test';

export type TestService = {
  deps: ServiceDeps;
  /** The environment the service was configured from (a Lambda's environment). */
  env: Record<string, string>;
  /** Connection events published (the local stand-in for the EventBridge bus). */
  events: LoggedConnectionEvents;
  /** EMF metric lines. */
  metricLines: string[];
  emulator: TikTokEmulator;
  tableName: string;
  /** Every log line the service wrote. */
  logs: string[];
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
  const deps = createDeps(config, {
    logger,
    events,
    metrics: (line) => metricLines.push(line),
    ...options.overrides,
  });
  const service = {
    deps,
    env,
    events,
    metricLines,
    emulator,
    tableName,
    logs,
    close: () => emulator.close(),
  };
  started.push(service);
  return service;
}
