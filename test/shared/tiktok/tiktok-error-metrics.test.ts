import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TikTokError } from '../../../shared/errors.js';
import { refreshConnection } from '../../../shared/lifecycle/refresh-connection.js';
import { emitTikTokError } from '../../../shared/tiktok/tiktok-error-metrics.js';
import { apiDriver } from '../../support/api-driver.js';
import { connectAccount } from '../../support/connect-driver.js';
import { startTestService, type TestService } from '../../support/service.js';

let service: TestService;
let api: ReturnType<typeof apiDriver>;
let userCounter = 0;

beforeAll(async () => {
  service = await startTestService({ env: { TIKTOK_HTTP_TIMEOUT_MS: '400' } });
  api = apiDriver(service);
});
afterAll(async () => {
  await service.close();
});
beforeEach(() => {
  service.emulator.faults.clear();
  service.emulator.setOptions({ accessTokenTtlSeconds: 86_400 });
  service.metricLines.length = 0;
});

/** The TikTokError documents the service wrote: their dimensions and the value. */
function tiktokErrors() {
  return service.metricLines
    .map((line) => JSON.parse(line))
    .filter((doc) => doc.TikTokError !== undefined)
    .map((doc) => ({
      dimensions: doc._aws.CloudWatchMetrics[0].Dimensions,
      namespace: doc._aws.CloudWatchMetrics[0].Namespace,
      Service: doc.Service,
      Stack: doc.Stack,
      Operation: doc.Operation,
      Code: doc.Code,
      value: doc.TikTokError,
    }));
}

const tiktokError = (Operation: string, Code: string) => ({
  dimensions: [['Service', 'Operation', 'Code', 'Stack']],
  namespace: 'TikTokConnect',
  Service: 'tiktok-connect',
  // The test service runs outside AWS: the stack is `local` (STACK_NAME unset).
  Stack: 'local',
  Operation,
  Code,
  value: 1,
});

/** A connected account for a fresh app user; its access token lives `ttl` seconds. */
async function connect(ttl = 86_400) {
  service.emulator.setOptions({ accessTokenTtlSeconds: ttl });
  const appUser = `tiktok-errors-${++userCounter}`;
  const openId = await connectAccount(service, appUser);
  service.emulator.setOptions({ accessTokenTtlSeconds: 86_400 });
  service.metricLines.length = 0;
  return { appUser, openId };
}

describe('TikTokError metric', () => {
  it('counts a refresh TikTok failed once, after the in-run retries, by our code', async () => {
    const key = await connect(120);
    service.emulator.faults.push({ endpoint: 'refresh', kind: 'http_503', count: 3 });
    const outcome = await refreshConnection(service.depsOf('RefresherFunction'), {
      key,
      owner: 't',
      deadline: Date.now() + 60_000,
    });
    expect(outcome).toMatchObject({ kind: 'retry_later', retries: 2 });
    expect(tiktokErrors()).toEqual([tiktokError('refresh', 'tiktok_unavailable')]);
  });

  it('counts a refresh token TikTok refused (the user must connect again)', async () => {
    const key = await connect(120);
    service.emulator.faults.push({ endpoint: 'refresh', kind: 'invalid_grant' });
    const outcome = await refreshConnection(service.depsOf('RefresherFunction'), {
      key,
      owner: 't',
      deadline: Date.now() + 60_000,
    });
    expect(outcome.kind).toBe('reauth_required');
    expect(tiktokErrors()).toEqual([tiktokError('refresh', 'tiktok_invalid_grant')]);
  });

  it('counts a display read TikTok rate-limited', async () => {
    const { appUser, openId } = await connect();
    service.emulator.faults.push({ endpoint: 'video_list', kind: 'rate_limit' });
    expect((await api.videos(appUser, openId)).statusCode).toBe(429);
    expect(tiktokErrors()).toEqual([tiktokError('display', 'tiktok_rate_limited')]);
  });

  it('counts a scope TikTok refused on a display read, though the answer restates it as our 403', async () => {
    const { appUser, openId } = await connect();
    service.emulator.faults.push({
      endpoint: 'video_list',
      kind: 'error_200',
      errorCode: 'scope_not_authorized',
    });
    expect((await api.videos(appUser, openId)).statusCode).toBe(403);
    expect(tiktokErrors()).toEqual([tiktokError('display', 'tiktok_scope_not_authorized')]);
  });

  it('counts nothing for a display read that succeeds after a retried TikTok 5xx, or that TikTok never saw', async () => {
    const { appUser, openId } = await connect();
    service.emulator.faults.push({ endpoint: 'video_list', kind: 'http_500' });
    expect((await api.videos(appUser, openId)).statusCode).toBe(200);
    expect((await api.videos(appUser, 'no-such-open-id')).statusCode).toBe(404);
    expect(tiktokErrors()).toEqual([]);
  });

  it('is emitted only for TikTok errors', () => {
    const lines: string[] = [];
    const deps = {
      metrics: { stack: 'TikTokConnect', write: (line: string) => lines.push(line) },
      now: () => 1,
    };
    const operation = { Service: 'tiktok-connect', Operation: 'refresh' };
    emitTikTokError(deps, operation, new Error('DynamoDB is down'));
    expect(lines).toEqual([]);
    emitTikTokError(deps, operation, new TikTokError('tiktok_timeout', 'no answer', { retryable: true }));
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ Code: 'tiktok_timeout', TikTokError: 1 });
  });
});
