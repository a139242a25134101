import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RefreshOutcome, refreshConnection } from '../../../shared/lifecycle/refresh-connection.js';
import { runScheduledRefresh } from '../../../shared/lifecycle/refresh-run.js';
import { signWebhook } from '../../../shared/tiktok/webhook-signature.js';
import { apiDriver } from '../../support/api-driver.js';
import { httpApiEvent, lambdaContext } from '../../support/api-events.js';
import { connectAccount, type HttpAnswer } from '../../support/connect-driver.js';
import { handlerOf } from '../../support/function-handlers.js';
import { CLIENT_KEY, CLIENT_SECRET, startTestService, type TestService } from '../../support/service.js';

/**
 * A successful refresh that loses its race: TikTok has answered with a rotated pair, and before our write lands
 * the user disconnects, TikTok's webhook revokes, or the user connects again. The refresher's write is a
 * compare-and-swap on the version it read and the lease it holds; without it, the refresh's pair would overwrite
 * whatever happened meanwhile. Each test pauses the refresh at the `tiktok_answered` checkpoint (TikTok's answer
 * is in hand, nothing is written yet), runs the other operation through its real function, then lets it finish.
 */
let service: TestService;

beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service.close();
});
beforeEach(() => {
  service.emulator.calls.reset();
  service.deps.checkpoint = async () => undefined;
});

// Each test uses its own emulator account: revoking at TikTok ends every grant of the account, and the code
// keeps a grant another holder still uses, so tests sharing an account would change each other's outcome.
async function connectDue(appUser: string, userIndex: number) {
  service.emulator.setOptions({ accessTokenTtlSeconds: 120 });
  try {
    return { appUser, openId: await connectAccount(service, appUser, userIndex) };
  } finally {
    service.emulator.setOptions({ accessTokenTtlSeconds: 86_400 });
  }
}

/** Access tokens the emulator issued since `before` (its record of every secret it handed out). */
function accessTokensIssuedSince(before: ReadonlySet<string>): string[] {
  return service.emulator.secretsSeen().filter((secret) => secret.startsWith('act.') && !before.has(secret));
}

async function tokenWorksAtTikTok(accessToken: string): Promise<boolean> {
  const response = await fetch(`${service.emulator.apiBaseUrl}/v2/user/info/?fields=open_id`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  return response.status === 200;
}

/**
 * Runs a scheduled-style refresh of `key` and, once TikTok has answered it, `meanwhile` — then lets the refresh
 * store its result. Returns the refresh's outcome and the access token TikTok gave it.
 */
async function refreshRacing(
  key: { appUser: string; openId: string },
  meanwhile: () => Promise<void>,
): Promise<{ outcome: RefreshOutcome; refreshedAccessToken: string }> {
  const before = new Set(service.emulator.secretsSeen());
  let refreshedAccessToken: string | undefined;
  let ranMeanwhile = false;
  service.deps.checkpoint = async (name) => {
    if (name !== 'tiktok_answered') return;
    service.deps.checkpoint = async () => undefined;
    [refreshedAccessToken] = accessTokensIssuedSince(before);
    await meanwhile();
    ranMeanwhile = true;
  };
  const outcome = await refreshConnection(service.depsOf('RefresherFunction'), {
    key,
    owner: 'run-racing',
    dueBefore: Date.now(),
    deadline: Date.now() + 60_000,
  });
  expect(ranMeanwhile, 'the refresh never reached TikTok’s answer').toBe(true);
  expect(refreshedAccessToken).toMatch(/^act\./);
  return { outcome, refreshedAccessToken: refreshedAccessToken as string };
}

async function expectNoTokensAndUnscheduled(key: { appUser: string; openId: string }, status: string) {
  const record = await service.deps.connections.get(key.appUser, key.openId);
  expect(record?.status).toBe(status);
  expect(record?.sealedTokens).toBeUndefined();
  expect(record?.refreshDueAt).toBeUndefined();
  expect(record?.lease).toBeUndefined();
  // Nothing brings it back: the next scheduled run finds nothing due and calls TikTok for nothing.
  service.emulator.calls.reset();
  const next = await runScheduledRefresh(service.depsOf('RefresherFunction'), {
    deadline: Date.now() + 60_000,
  });
  expect(next.due).toBe(0);
  expect(service.emulator.calls.count('refresh')).toBe(0);
}

describe('a successful refresh racing another write to the connection', () => {
  it('a disconnect landing between TikTok’s answer and our write stays disconnected; the rotated grant is revoked', async () => {
    const key = await connectDue('race-disconnect', 0);
    const { outcome, refreshedAccessToken } = await refreshRacing(key, async () => {
      const answer = await apiDriver(service).disconnect(key.appUser, key.openId);
      expect(answer.statusCode).toBe(200);
    });

    await expectNoTokensAndUnscheduled(key, 'disconnected');
    expect(outcome.kind).toBe('superseded');
    // The pair TikTok rotated while the user disconnected lives nowhere in our table: the refresher revoked it.
    expect(await tokenWorksAtTikTok(refreshedAccessToken)).toBe(false);
    const connections = await apiDriver(service).connections(key.appUser);
    expect(connections.json.connections).toEqual([]);
  });

  it('an authorization.removed webhook landing mid-refresh leaves the connection revoked, without tokens', async () => {
    const key = await connectDue('race-webhook', 1);
    const webhook = await handlerOf(service, 'TikTokWebhookFunction');
    const { outcome, refreshedAccessToken } = await refreshRacing(key, async () => {
      // The user removes the app at TikTok (every token of the account dies there), and TikTok tells us.
      service.emulator.revokeUser(key.openId);
      const body = JSON.stringify({
        client_key: CLIENT_KEY,
        event: 'authorization.removed',
        create_time: Math.floor(Date.now() / 1000),
        user_openid: key.openId,
        content: '{"reason":1}',
      });
      const base = httpApiEvent({
        method: 'POST',
        path: '/webhooks/tiktok',
        headers: {
          'content-type': 'application/json',
          'tiktok-signature': signWebhook(CLIENT_SECRET, body, Math.floor(Date.now() / 1000)),
        },
        body,
      });
      const { authorizer: _none, ...requestContext } = base.requestContext;
      const event: APIGatewayProxyEventV2 = { ...base, requestContext, isBase64Encoded: false };
      const answer = (await webhook(event, lambdaContext)) as HttpAnswer;
      expect(JSON.parse(answer.body ?? '{}')).toMatchObject({ received: true, revoked: 1 });
    });

    await expectNoTokensAndUnscheduled(key, 'revoked');
    expect(outcome.kind).toBe('superseded');
    expect(await tokenWorksAtTikTok(refreshedAccessToken)).toBe(false);
  });

  it('a reconnect landing mid-refresh keeps the reconnect’s tokens, not the refresh’s', async () => {
    const key = await connectDue('race-reconnect', 2);
    let reconnected: { version: number; accessToken: string } | undefined;
    const { outcome, refreshedAccessToken } = await refreshRacing(key, async () => {
      await connectAccount(service, key.appUser, 2);
      const record = await service.deps.connections.get(key.appUser, key.openId);
      if (!record) throw new Error('reconnect stored nothing');
      const { accessToken } = await service.deps.connections.openTokens(record);
      reconnected = { version: record.version, accessToken: accessToken.reveal() };
    });

    const record = await service.deps.connections.get(key.appUser, key.openId);
    if (!record) throw new Error('connection missing');
    const stored = (await service.deps.connections.openTokens(record)).accessToken.reveal();
    expect(stored === refreshedAccessToken, 'the lost refresh’s token overwrote the reconnect’s').toBe(false);
    expect(stored).toBe(reconnected?.accessToken);
    expect(record.status).toBe('active');
    expect(record.version).toBe(reconnected?.version);
    expect(outcome.kind).toBe('superseded');
    // The reconnect's grant still works: the lost refresh did not revoke the account's authorization under it.
    expect(await tokenWorksAtTikTok(stored)).toBe(true);
    expect(service.emulator.calls.count('revoke')).toBe(0);
  });
});
