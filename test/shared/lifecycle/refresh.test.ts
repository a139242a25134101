import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getFreshAccessToken, withFreshAccessToken } from '../../../shared/lifecycle/fresh-access-token.js';
import { refreshConnection } from '../../../shared/lifecycle/refresh-connection.js';
import { runScheduledRefresh } from '../../../shared/lifecycle/refresh-run.js';
import { Redacted } from '../../../shared/redacted.js';
import { fetchUserInfo } from '../../../shared/tiktok/user-info.js';
import { connectAccount } from '../../support/connect-driver.js';
import { localDynamoClient } from '../../support/dynamodb.js';
import { startTestService, type TestService } from '../../support/service.js';

const db = localDynamoClient();
let service: TestService;
let userCounter = 0;
const realNow = Date.now;

beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service.close();
});
beforeEach(() => {
  service.emulator.faults.clear();
  service.emulator.calls.reset();
  service.emulator.setOptions({ accessTokenTtlSeconds: 86_400, refreshTokenTtlSeconds: 31_536_000 });
  service.events.published.length = 0;
  service.deps.now = realNow;
});

const inAMinute = () => Date.now() + 60_000;

/** Connects an account whose access token lives `ttl` seconds, for a fresh app user. */
async function connectWithTtl(ttl: number, userIndex = 0) {
  service.emulator.setOptions({ accessTokenTtlSeconds: ttl });
  const appUser = `refresh-user-${++userCounter}`;
  const openId = await connectAccount(service, appUser, userIndex);
  service.emulator.setOptions({ accessTokenTtlSeconds: 86_400 });
  service.emulator.calls.reset();
  return { appUser, openId };
}

async function stored(key: { appUser: string; openId: string }) {
  const record = await service.deps.connections.get(key.appUser, key.openId);
  if (!record) throw new Error('connection missing');
  return record;
}

async function userInfoWorks(accessToken: Redacted) {
  try {
    await fetchUserInfo({
      apiBaseUrl: service.emulator.apiBaseUrl,
      accessToken,
      fields: ['open_id'],
      timeoutMs: 2000,
    });
    return true;
  } catch {
    return false;
  }
}

function eventsOf(type: string, openId?: string) {
  return service.events.published.filter((e) => e.type === type && (!openId || e.openId === openId));
}

describe('scheduled refresh', () => {
  it('reads only due, refreshable connections from the index and refreshes each once', async () => {
    // Other test files share nothing: this service has its own table. Everything due here is made here.
    const due = [await connectWithTtl(120), await connectWithTtl(600, 1)];
    const notDue = await connectWithTtl(86_400);
    const disconnected = await connectWithTtl(120, 2);
    await service.deps.connections.markUnusable({
      key: disconnected,
      status: 'disconnected',
      reason: 'test',
      now: Date.now(),
    });

    const report = await runScheduledRefresh(service.depsOf('RefresherFunction'), { deadline: inAMinute() });
    expect(report.due).toBe(2);
    expect(report.refreshed).toBe(2);
    expect(report.leftOver).toBe(0);
    expect(service.emulator.calls.count('refresh')).toBe(2);
    for (const key of due) expect((await stored(key)).version).toBe(2);
    expect((await stored(notDue)).version).toBe(1);

    // Refreshed connections are no longer due: a second pass reads nothing.
    const again = await runScheduledRefresh(service.depsOf('RefresherFunction'), { deadline: inAMinute() });
    expect(again.due).toBe(0);
    expect(service.emulator.calls.count('refresh')).toBe(2);
  });

  it('persists the rotated refresh token and both new expiries (the old refresh token is dead at TikTok)', async () => {
    const key = await connectWithTtl(120);
    const before = await stored(key);
    const oldTokens = await service.deps.connections.openTokens(before);
    service.emulator.setOptions({ accessTokenTtlSeconds: 7200, refreshTokenTtlSeconds: 15_552_000 });
    const outcome = await refreshConnection(service.depsOf('RefresherFunction'), {
      key,
      owner: 'test',
      deadline: inAMinute(),
    });
    expect(outcome.kind).toBe('refreshed');

    const after = await stored(key);
    const newTokens = await service.deps.connections.openTokens(after);
    expect(newTokens.refreshToken.reveal()).not.toBe(oldTokens.refreshToken.reveal());
    expect(newTokens.accessToken.reveal()).not.toBe(oldTokens.accessToken.reveal());
    expect(after.accessExpiresAt! - Date.now()).toBeGreaterThan(7_100_000);
    expect(after.accessExpiresAt! - Date.now()).toBeLessThanOrEqual(7_200_000);
    expect(after.refreshExpiresAt! - Date.now()).toBeGreaterThan(15_552_000_000 - 60_000);
    expect(after.refreshDueAt).toBeLessThanOrEqual(after.accessExpiresAt!);
    expect(after.lease).toBeUndefined();
    expect(after.version).toBe(before.version + 1);
    expect(await userInfoWorks(newTokens.accessToken)).toBe(true);
    await expect(service.deps.tiktokOAuth.refresh(oldTokens.refreshToken)).rejects.toMatchObject({
      code: 'tiktok_invalid_grant',
    });
  });

  it('lets only one of two racing refreshers call TikTok, and loses no token', async () => {
    const key = await connectWithTtl(120);
    service.emulator.setOptions({ latencyMs: 100 });
    try {
      const [a, b] = await Promise.all([
        refreshConnection(service.depsOf('RefresherFunction'), {
          key,
          owner: 'runner-a',
          deadline: inAMinute(),
          dueBefore: Date.now(),
        }),
        refreshConnection(service.depsOf('RefresherFunction'), {
          key,
          owner: 'runner-b',
          deadline: inAMinute(),
          dueBefore: Date.now(),
        }),
      ]);
      expect([a.kind, b.kind].sort()).toEqual(['refreshed', 'skipped']);
    } finally {
      service.emulator.setOptions({ latencyMs: 0 });
    }
    expect(service.emulator.calls.count('refresh')).toBe(1);
    const tokens = await service.deps.connections.openTokens(await stored(key));
    expect(await userInfoWorks(tokens.accessToken)).toBe(true);
    expect((await service.deps.tiktokOAuth.refresh(tokens.refreshToken)).openId).toBe(key.openId);
  });

  it('many runs and on-demand callers racing on the same connections make one TikTok call per connection', async () => {
    const keys = [await connectWithTtl(120), await connectWithTtl(120, 1), await connectWithTtl(120, 2)];
    service.emulator.setOptions({ latencyMs: 50 });
    try {
      await Promise.all([
        runScheduledRefresh(service.depsOf('RefresherFunction'), { deadline: inAMinute() }),
        runScheduledRefresh(service.depsOf('RefresherFunction'), { deadline: inAMinute() }),
        runScheduledRefresh(service.depsOf('RefresherFunction'), { deadline: inAMinute() }),
        ...keys.map((key) => getFreshAccessToken(service.deps, key)),
      ]);
    } finally {
      service.emulator.setOptions({ latencyMs: 0 });
    }
    expect(service.emulator.calls.count('refresh')).toBe(3);
    for (const key of keys) {
      const record = await stored(key);
      expect(record.status).toBe('active');
      expect(await userInfoWorks((await service.deps.connections.openTokens(record)).accessToken)).toBe(true);
    }
  });

  it('takes over a lease whose holder crashed once it expires, and notes the interrupted refresh', async () => {
    const key = await connectWithTtl(120);
    const now = Date.now();
    const taken = await service.deps.connections.acquireLease({
      key,
      owner: 'crashed-runner',
      now,
      leaseMs: 5000,
    });
    expect(taken).toBeDefined();
    expect(
      (
        await refreshConnection(service.depsOf('RefresherFunction'), {
          key,
          owner: 'next',
          deadline: inAMinute(),
        })
      ).kind,
    ).toBe('skipped');
    service.deps.now = () => realNow() + 6000;
    const outcome = await refreshConnection(service.depsOf('RefresherFunction'), {
      key,
      owner: 'next',
      deadline: realNow() + 60_000,
    });
    expect(outcome.kind).toBe('refreshed');
    expect(service.logs.some((line) => line.includes('refresh_interrupted_detected'))).toBe(true);
  });

  it('keeps trying to store a rotated token when the write fails (throttling), instead of losing the connection', async () => {
    const key = await connectWithTtl(120);
    const connections = service.deps.connections;
    const save = connections.saveRefreshed.bind(connections);
    let failures = 2;
    connections.saveRefreshed = async (input) => {
      if (failures-- > 0)
        throw Object.assign(new Error('Throughput exceeds the current capacity'), {
          name: 'ThrottlingException',
        });
      return save(input);
    };
    try {
      const outcome = await refreshConnection(service.depsOf('RefresherFunction'), {
        key,
        owner: 't',
        deadline: inAMinute(),
      });
      expect(outcome.kind).toBe('refreshed');
    } finally {
      connections.saveRefreshed = save;
    }
    const tokens = await service.deps.connections.openTokens(await stored(key));
    expect(await userInfoWorks(tokens.accessToken)).toBe(true);
    expect(service.emulator.calls.count('refresh')).toBe(1);
  });

  it('retries a TikTok 5xx inside the run with backoff and succeeds', async () => {
    const key = await connectWithTtl(120);
    service.emulator.faults.push({ endpoint: 'refresh', kind: 'http_500', count: 1 });
    const outcome = await refreshConnection(service.depsOf('RefresherFunction'), {
      key,
      owner: 't',
      deadline: inAMinute(),
    });
    expect(outcome).toMatchObject({ kind: 'refreshed', retries: 1 });
    expect(service.emulator.calls.count('refresh')).toBe(2);
  });

  it('after repeated failures marks the connection refresh_failing, backs off, then recovers', async () => {
    const key = await connectWithTtl(120);
    service.emulator.faults.push({ endpoint: 'refresh', kind: 'http_503', count: 3 });
    const failed = await refreshConnection(service.depsOf('RefresherFunction'), {
      key,
      owner: 't',
      deadline: inAMinute(),
    });
    expect(failed).toMatchObject({ kind: 'retry_later', reason: 'tiktok_unavailable', retries: 2 });
    const failing = await stored(key);
    expect(failing.status).toBe('refresh_failing');
    expect(failing.failureCount).toBe(1);
    expect(failing.refreshDueAt! - Date.now()).toBeGreaterThanOrEqual(25_000);
    expect(failing.sealedTokens).toBeDefined();
    expect(eventsOf('refresh_failing', key.openId)).toHaveLength(1);

    // Not due again until the backoff has passed.
    expect(
      (await runScheduledRefresh(service.depsOf('RefresherFunction'), { deadline: inAMinute() })).due,
    ).toBe(0);
    expect(
      (
        await refreshConnection(service.depsOf('RefresherFunction'), {
          key,
          owner: 't2',
          deadline: inAMinute(),
          dueBefore: Date.now(),
        })
      ).kind,
    ).toBe('skipped');
    service.deps.now = () => realNow() + 31 * 60_000;
    const recovered = await refreshConnection(service.depsOf('RefresherFunction'), {
      key,
      owner: 't3',
      deadline: realNow() + 31 * 60_000 + 60_000,
    });
    expect(recovered.kind).toBe('refreshed');
    const healthy = await stored(key);
    expect(healthy.status).toBe('active');
    expect(healthy.failureCount).toBe(0);
    expect(eventsOf('recovered', key.openId)).toHaveLength(1);
  });

  it('on invalid_grant with no rotation meanwhile: reauth_required, unscheduled, tokens deleted, event', async () => {
    const key = await connectWithTtl(120);
    service.emulator.faults.push({ endpoint: 'refresh', kind: 'invalid_grant' });
    const outcome = await refreshConnection(service.depsOf('RefresherFunction'), {
      key,
      owner: 't',
      deadline: inAMinute(),
    });
    expect(outcome).toMatchObject({ kind: 'reauth_required', reason: 'invalid_grant' });
    const record = await stored(key);
    expect(record.status).toBe('reauth_required');
    expect(record.sealedTokens).toBeUndefined();
    expect(record.refreshDueAt).toBeUndefined();
    // The wrapped data key goes with the tokens.
    const { Item } = await db.send(
      new GetItemCommand({
        TableName: service.tableName,
        Key: { pk: { S: `USER#${key.appUser}` }, sk: { S: `TIKTOK#${key.openId}` } },
        ConsistentRead: true,
      }),
    );
    for (const name of ['accessToken', 'refreshToken', 'wrappedKey', 'keyVersion']) {
      expect(Item?.[name], name).toBeUndefined();
    }
    const event = eventsOf('reauth_required', key.openId)[0];
    expect(event).toMatchObject({ appUser: key.appUser, openId: key.openId, reason: 'invalid_grant' });
    expect(JSON.stringify(event)).not.toMatch(/act\.|rft\./);
    // No longer scheduled, and the on-demand path refuses it with a re-connect hint.
    expect(
      (await runScheduledRefresh(service.depsOf('RefresherFunction'), { deadline: inAMinute() })).due,
    ).toBe(0);
    await expect(getFreshAccessToken(service.deps, key)).rejects.toMatchObject({
      code: 'connection_reauth_required',
    });
    // Connecting again brings it back.
    await connectAccount(service, key.appUser, 0);
    expect((await stored(key)).status).toBe('active');
    expect(eventsOf('recovered', key.openId)).toHaveLength(1);
  });

  it('on invalid_grant after someone else rotated the token meanwhile: not a failure', async () => {
    const key = await connectWithTtl(120);
    service.emulator.faults.push({ endpoint: 'refresh', kind: 'invalid_grant' });
    service.deps.checkpoint = async (name) => {
      // While our refresh is in flight, the user reconnects (a new grant is written).
      if (name === 'lease_taken') {
        service.deps.checkpoint = async () => undefined;
        await connectAccount(service, key.appUser, 0);
      }
    };
    try {
      const outcome = await refreshConnection(service.depsOf('RefresherFunction'), {
        key,
        owner: 't',
        deadline: inAMinute(),
      });
      expect(outcome.kind).toBe('superseded');
    } finally {
      service.deps.checkpoint = async () => undefined;
    }
    const record = await stored(key);
    expect(record.status).toBe('active');
    expect(eventsOf('reauth_required', key.openId)).toHaveLength(0);
    expect(await userInfoWorks((await service.deps.connections.openTokens(record)).accessToken)).toBe(true);
  });

  it('on invalid_client leaves the user’s connection alone and reports an operator error', async () => {
    const key = await connectWithTtl(120);
    service.emulator.faults.push({ endpoint: 'refresh', kind: 'invalid_client', count: 2 });
    const outcome = await refreshConnection(service.depsOf('RefresherFunction'), {
      key,
      owner: 't',
      deadline: inAMinute(),
    });
    expect(outcome.kind).toBe('operator_error');
    expect(service.emulator.calls.count('refresh')).toBe(2); // the secret was re-read once and tried again
    const record = await stored(key);
    expect(record.status).toBe('active');
    expect(record.lease).toBeUndefined();
    expect(service.events.published.filter((e) => e.type !== 'connected')).toHaveLength(0);
  });

  it('does not call TikTok for an expired refresh token: reauth_required directly', async () => {
    const key = await connectWithTtl(120);
    service.deps.now = () => realNow() + 400 * 86_400_000;
    const outcome = await refreshConnection(service.depsOf('RefresherFunction'), {
      key,
      owner: 't',
      deadline: realNow() + 400 * 86_400_000 + 60_000,
    });
    expect(outcome).toMatchObject({ kind: 'reauth_required', reason: 'refresh_token_expired' });
    expect(service.emulator.calls.count('refresh')).toBe(0);
  });

  it('warns once before the refresh token itself expires', async () => {
    service.emulator.setOptions({ refreshTokenTtlSeconds: 3 * 86_400 });
    const key = await connectWithTtl(120);
    await refreshConnection(service.depsOf('RefresherFunction'), { key, owner: 't', deadline: inAMinute() });
    expect(eventsOf('refresh_token_expiring', key.openId)).toHaveLength(1);
    expect(eventsOf('refresh_token_expiring', key.openId)[0]?.details?.refreshTokenExpiresAt).toMatch(
      /^\d{4}-/,
    );
  });

  it('stops taking new work when the time budget is spent and leaves it due for the next run', async () => {
    const key = await connectWithTtl(120);
    const report = await runScheduledRefresh(service.depsOf('RefresherFunction'), {
      deadline: Date.now() + 100,
    });
    expect(report.due).toBeGreaterThanOrEqual(1);
    expect(report.refreshed).toBe(0);
    expect(report.leftOver).toBe(report.due);
    expect(service.emulator.calls.count('refresh')).toBe(0);
    const next = await runScheduledRefresh(service.depsOf('RefresherFunction'), { deadline: inAMinute() });
    expect(next.refreshed).toBeGreaterThanOrEqual(1);
    expect((await stored(key)).version).toBe(2);
  });

  it('emits EMF metrics for each run', async () => {
    service.metricLines.length = 0;
    await runScheduledRefresh(service.depsOf('RefresherFunction'), { deadline: inAMinute() });
    const doc = JSON.parse(service.metricLines.at(-1) ?? '{}');
    expect(doc._aws.CloudWatchMetrics[0].Namespace).toBe('TikTokConnect');
    for (const name of [
      'Refreshed',
      'DueBacklog',
      'FailedTerminal',
      'InvalidClient',
      'UnfinishedDue',
      'RunDuration',
    ]) {
      expect(doc[name], name).toBeTypeOf('number');
    }
  });
});

describe('on-demand access tokens', () => {
  it('returns the stored token while it is fresh, without calling TikTok', async () => {
    const key = await connectWithTtl(86_400);
    const { accessToken } = await getFreshAccessToken(service.deps, key);
    expect(await userInfoWorks(accessToken)).toBe(true);
    expect(service.emulator.calls.count('refresh')).toBe(0);
  });

  it('refreshes a token about to expire before using it', async () => {
    const key = await connectWithTtl(60);
    const { accessToken, record } = await getFreshAccessToken(service.deps, key);
    expect(service.emulator.calls.count('refresh')).toBe(1);
    expect(record.version).toBe(2);
    expect(await userInfoWorks(accessToken)).toBe(true);
  });

  it('refreshes once and retries once when TikTok says access_token_invalid', async () => {
    const key = await connectWithTtl(86_400);
    let calls = 0;
    const result = await withFreshAccessToken(service.deps, key, async (token) => {
      calls++;
      if (calls === 1) {
        service.emulator.faults.push({ endpoint: 'user_info', kind: 'access_token_invalid' });
      }
      return fetchUserInfo({
        apiBaseUrl: service.emulator.apiBaseUrl,
        accessToken: token,
        fields: ['open_id'],
        timeoutMs: 2000,
      });
    });
    expect(result.profile.openId).toBe(key.openId);
    expect(calls).toBe(2);
    expect(service.emulator.calls.count('refresh')).toBe(1);
  });

  it('refuses unknown connections with 404', async () => {
    await expect(
      getFreshAccessToken(service.deps, { appUser: 'nobody', openId: 'none' }),
    ).rejects.toMatchObject({
      code: 'connection_not_found',
      status: 404,
    });
  });
});

describe('storage', () => {
  it('never holds a token in plaintext, in any item', async () => {
    await connectWithTtl(120);
    await runScheduledRefresh(service.depsOf('RefresherFunction'), { deadline: inAMinute() });
    const items = (await db.send(new ScanCommand({ TableName: service.tableName }))).Items ?? [];
    const raw = JSON.stringify(items, (_k, v) =>
      v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v,
    );
    expect(raw).not.toMatch(/act\.[A-Za-z0-9]|rft\.[A-Za-z0-9]/);
  });
});

void Redacted;
