import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redacted } from '../../../shared/redacted.js';
import type { ClientSecretSource } from '../../../shared/secrets/client-secret.js';
import { signWebhook } from '../../../shared/tiktok/webhook-signature.js';
import { httpApiEvent, lambdaContext } from '../../support/api-events.js';
import { connectAccount, type HttpAnswer } from '../../support/connect-driver.js';
import { localDynamoClient } from '../../support/dynamodb.js';
import { type FunctionHandler, handlerOf } from '../../support/function-handlers.js';
import { CLIENT_KEY, CLIENT_SECRET, startTestService, type TestService } from '../../support/service.js';

const db = localDynamoClient();
let service: TestService;
let webhook: FunctionHandler;

beforeAll(async () => {
  service = await startTestService();
  webhook = await handlerOf(service, 'TikTokWebhookFunction');
});
afterAll(async () => {
  await service.close();
});
beforeEach(() => {
  service.events.published.length = 0;
});

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The body TikTok POSTs (tiktok-api.md §12): `content` is itself a JSON string. */
function removalBody(openId: string, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    client_key: CLIENT_KEY,
    event: 'authorization.removed',
    create_time: nowSeconds(),
    user_openid: openId,
    content: '{"reason":1}',
    ...overrides,
  });
}

/** POST /webhooks/tiktok as API Gateway HTTP API delivers it: no authorizer on this route, headers lower-cased. */
async function deliver(
  body: string,
  signature: string | undefined,
  options: { base64?: boolean } = {},
): Promise<HttpAnswer> {
  const base = httpApiEvent({
    method: 'POST',
    path: '/webhooks/tiktok',
    headers: {
      'content-type': 'application/json',
      ...(signature === undefined ? {} : { 'TikTok-Signature': signature }),
    },
    body: options.base64 ? Buffer.from(body, 'utf8').toString('base64') : body,
  });
  const { authorizer: _none, ...requestContext } = base.requestContext;
  const event: APIGatewayProxyEventV2 = {
    ...base,
    requestContext,
    isBase64Encoded: options.base64 ?? false,
  };
  return (await webhook(event, lambdaContext)) as HttpAnswer;
}

const signed = (body: string, at = nowSeconds(), secret = CLIENT_SECRET) => signWebhook(secret, body, at);

async function connectionItems(openId: string) {
  const result = await db.send(new ScanCommand({ TableName: service.tableName, ConsistentRead: true }));
  return (result.Items ?? [])
    .filter((item) => item.sk?.S === `TIKTOK#${openId}`)
    .sort((a, b) => (a.pk?.S ?? '').localeCompare(b.pk?.S ?? ''));
}

const bodyOf = (answer: HttpAnswer) => JSON.parse(answer.body ?? '{}');

describe('POST /webhooks/tiktok (authorization.removed)', () => {
  let removedOpenId: string;
  let otherOpenId: string;

  beforeAll(async () => {
    // One TikTok account connected by two app users of the platform, and an unrelated account.
    removedOpenId = await connectAccount(service, 'wh-alice', 0);
    await connectAccount(service, 'wh-bob', 0);
    otherOpenId = await connectAccount(service, 'wh-carol', 1);
  });

  it('refuses a signature made with another secret with 401 and changes nothing', async () => {
    const before = await connectionItems(removedOpenId);
    const body = removalBody(removedOpenId);
    const answer = await deliver(body, signed(body, nowSeconds(), 'not-the-client-secret'));
    expect(answer.statusCode).toBe(401);
    expect(answer.headers['content-type']).toContain('application/problem+json');
    expect(bodyOf(answer).code).toBe('unauthenticated');
    expect(await connectionItems(removedOpenId)).toEqual(before);
    expect(service.events.published).toEqual([]);
  });

  it('refuses a body changed after signing with 401', async () => {
    const body = removalBody(removedOpenId);
    const signature = signed(removalBody(otherOpenId));
    expect((await deliver(body, signature)).statusCode).toBe(401);
  });

  it('refuses a missing or malformed TikTok-Signature header with 401', async () => {
    const before = await connectionItems(removedOpenId);
    const body = removalBody(removedOpenId);
    const good = signed(body);
    const hex = good.split('s=')[1] ?? '';
    for (const header of [
      undefined,
      '',
      'garbage',
      `s=${hex}`,
      `t=${nowSeconds()}`,
      `t=abc,s=${hex}`,
      `t=${nowSeconds()},s=${hex.slice(0, 63)}`,
      `t=${nowSeconds()},s=${'z'.repeat(64)}`,
    ]) {
      const answer = await deliver(body, header);
      expect(answer.statusCode, String(header)).toBe(401);
      expect(bodyOf(answer).code).toBe('unauthenticated');
    }
    expect(await connectionItems(removedOpenId)).toEqual(before);
    expect(service.events.published).toEqual([]);
  });

  it('refuses a stale signature (more than 300 s old, or more than 300 s ahead) with 401', async () => {
    const before = await connectionItems(removedOpenId);
    const body = removalBody(removedOpenId);
    for (const at of [nowSeconds() - 301, nowSeconds() - 3600, nowSeconds() + 301]) {
      const answer = await deliver(body, signed(body, at));
      expect(answer.statusCode, String(at - nowSeconds())).toBe(401);
      expect(bodyOf(answer).detail).toContain('stale');
    }
    expect(await connectionItems(removedOpenId)).toEqual(before);
    expect(service.events.published).toEqual([]);
  });

  it('refuses a non-JSON body with 400 once the signature is valid (and with 401 before)', async () => {
    const body = '{not json';
    expect((await deliver(body, signed(body, nowSeconds(), 'wrong-secret'))).statusCode).toBe(401);
    const answer = await deliver(body, signed(body));
    expect(answer.statusCode).toBe(400);
    expect(bodyOf(answer).code).toBe('invalid_request');
  });

  it('refuses a delivery for another client_key with 400 and changes nothing', async () => {
    const before = await connectionItems(removedOpenId);
    const body = removalBody(removedOpenId, { client_key: 'someone-elses-app' });
    const answer = await deliver(body, signed(body));
    expect(answer.statusCode).toBe(400);
    expect(bodyOf(answer).code).toBe('invalid_request');
    expect(await connectionItems(removedOpenId)).toEqual(before);
  });

  it('acknowledges other event types with 200 handled:false and changes nothing', async () => {
    const before = await connectionItems(otherOpenId);
    const body = removalBody(otherOpenId, { event: 'video.publish.completed', content: '{}' });
    const answer = await deliver(body, signed(body));
    expect(answer.statusCode).toBe(200);
    expect(bodyOf(answer)).toEqual({ received: true, handled: false });
    expect(await connectionItems(otherOpenId)).toEqual(before);
    expect(service.events.published).toEqual([]);
  });

  it('revokes every connection to the account, deletes their tokens and publishes one revoked event each', async () => {
    const before = await connectionItems(removedOpenId);
    expect(before.map((item) => item.pk?.S)).toEqual(['USER#wh-alice', 'USER#wh-bob']);
    const otherBefore = await connectionItems(otherOpenId);
    // The refused deliveries above used this very body shape: none of them may have counted as "seen".
    const body = removalBody(removedOpenId);

    const answer = await deliver(body, signed(body));

    expect(answer.statusCode).toBe(200);
    expect(bodyOf(answer)).toEqual({ received: true, revoked: 2 });
    const after = await connectionItems(removedOpenId);
    expect(after).toHaveLength(2);
    for (const [i, item] of after.entries()) {
      expect(item.status?.S).toBe('revoked');
      expect(item.statusReason?.S).toBe('authorization_removed_user_disconnected');
      expect(Number(item.revokedAt?.N)).toBeGreaterThan(0);
      expect(item.version?.N).toBe(String(Number(before[i]?.version?.N) + 1));
      for (const name of [
        'accessToken',
        'refreshToken',
        'wrappedKey',
        'keyVersion',
        'refreshShard',
        'refreshDueAt',
      ])
        expect(item[name], name).toBeUndefined();
    }
    expect(await connectionItems(otherOpenId)).toEqual(otherBefore);

    const events = service.events.published;
    expect(events).toHaveLength(2);
    expect(events.map((e) => e.appUser).sort()).toEqual(['wh-alice', 'wh-bob']);
    for (const event of events) {
      expect(event).toMatchObject({
        type: 'revoked',
        openId: removedOpenId,
        status: 'revoked',
        reason: 'authorization_removed_user_disconnected',
      });
    }
    expect(JSON.stringify(events)).not.toMatch(/act\.|rft\./);

    // TikTok delivers at least once: the same body again, signed anew, is acknowledged and ignored.
    service.events.published.length = 0;
    const again = await deliver(body, signed(body, nowSeconds() + 1));
    expect(again.statusCode).toBe(200);
    expect(bodyOf(again)).toEqual({ received: true, duplicate: true });
    expect(service.events.published).toEqual([]);
    expect(await connectionItems(removedOpenId)).toEqual(after);
  });

  it('maps the removal reason code, and an unknown one to unknown', async () => {
    const cases: [string, string][] = [
      ['{"reason":2}', 'authorization_removed_account_deleted'],
      ['{"reason":5}', 'authorization_removed_developer_revoked'],
      ['{"reason":99}', 'authorization_removed_unknown'],
      ['not json', 'authorization_removed_unknown'],
    ];
    for (const [i, [content, reason]] of cases.entries()) {
      const appUser = `wh-reason-${i}`;
      const openId = await connectAccount(service, appUser, 2);
      const body = removalBody(openId, { content, create_time: nowSeconds() + i });
      const answer = await deliver(body, signed(body));
      expect(bodyOf(answer), content).toMatchObject({ revoked: 1 });
      const item = (await connectionItems(openId)).find((it) => it.pk?.S === `USER#${appUser}`);
      expect(item?.statusReason?.S, content).toBe(reason);
    }
  });

  it('leaves a connection made after the removal alone (a late delivery of an old removal)', async () => {
    const openId = await connectAccount(service, 'wh-late', 0);
    service.events.published.length = 0;
    const body = removalBody(openId, { create_time: nowSeconds() - 3600 });
    expect(bodyOf(await deliver(body, signed(body)))).toMatchObject({ received: true });
    const item = (await connectionItems(openId)).find((i) => i.pk?.S === 'USER#wh-late');
    expect(item?.status?.S).toBe('active');
    expect(service.events.published.filter((e) => e.appUser === 'wh-late')).toHaveLength(0);
  });

  it('leaves a connection the user already disconnected as it is', async () => {
    const openId = await connectAccount(service, 'wh-gone', 2);
    // Disconnected through the store, as DELETE /tiktok/connections/{openId} does.
    await service.deps.connections.markUnusable({
      key: { appUser: 'wh-gone', openId },
      status: 'disconnected',
      reason: 'user_disconnected',
      now: Date.now(),
    });
    const before = await connectionItems(openId);
    service.events.published.length = 0;
    const body = removalBody(openId, { create_time: nowSeconds() + 100 });
    const answer = await deliver(body, signed(body));
    expect(answer.statusCode).toBe(200);
    expect(bodyOf(answer)).toEqual({ received: true, revoked: 0 });
    expect(await connectionItems(openId)).toEqual(before);
    expect(service.events.published).toEqual([]);
  });

  it('refuses a body over 64 KiB with 413 before anything else', async () => {
    const body = removalBody(otherOpenId, { padding: 'x'.repeat(64 * 1024) });
    const answer = await deliver(body, signed(body));
    expect(answer.statusCode).toBe(413);
    expect(bodyOf(answer).code).toBe('payload_too_large');
  });

  // A delivery whose first attempt died (a timeout throws nothing) must not be dropped as a duplicate.
  it('processes a retry of a delivery whose first attempt died mid-way, once its claim has expired', async () => {
    const openId = await connectAccount(service, 'wh-crash', 2);
    const body = removalBody(openId, { create_time: nowSeconds() + 300 });
    // The first attempt claims the delivery, then its Lambda is killed while looking up the connections.
    const deps = service.depsOf('TikTokWebhookFunction');
    const frozen = new Proxy(deps.connections, {
      get(target, name) {
        if (name === 'findByOpenId') return () => new Promise<never>(() => undefined);
        const value = Reflect.get(target, name, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const dying = await handlerOf(service, 'TikTokWebhookFunction', {
      adapt: (functionDeps) => ({ ...functionDeps, connections: frozen }),
    });
    void dying(
      httpApiEvent({
        method: 'POST',
        path: '/webhooks/tiktok',
        headers: { 'tiktok-signature': signed(body) },
        body,
      }),
      lambdaContext,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));

    // TikTok got no 200 and retries at once: the claim is still live, so "try later" (503), nothing dropped.
    const early = await deliver(body, signed(body, nowSeconds() + 1));
    expect(early.statusCode).toBe(503);
    expect(bodyOf(early)).toMatchObject({ code: 'delivery_in_progress' });

    // TikTok retries later (its backoff is minutes to hours): the dead attempt's claim has expired.
    const realNow = service.deps.now;
    service.deps.now = () => realNow() + 61_000;
    let retry: Awaited<ReturnType<typeof deliver>>;
    try {
      retry = await deliver(body, signed(body, nowSeconds() + 61));
    } finally {
      service.deps.now = realNow;
    }
    expect(bodyOf(retry)).toEqual({ received: true, revoked: 1 });
    expect((await service.deps.connections.get('wh-crash', openId))?.status).toBe('revoked');
  });

  it('accepts a base64-encoded body (isBase64Encoded: true), verifying the decoded bytes', async () => {
    const openId = await connectAccount(service, 'wh-base64', 1);
    service.events.published.length = 0;
    const body = removalBody(openId, {
      create_time: nowSeconds() + 200,
      content: '{"reason":1,"note":"é✓"}',
    });
    const answer = await deliver(body, signed(body), { base64: true });
    expect(answer.statusCode).toBe(200);
    expect(bodyOf(answer)).toMatchObject({ received: true });
    const item = (await connectionItems(openId)).find((i) => i.pk?.S === 'USER#wh-base64');
    expect(item?.status?.S).toBe('revoked');
    expect(service.events.published.filter((e) => e.appUser === 'wh-base64')).toHaveLength(1);
  });
});

describe('POST /webhooks/tiktok after a client secret rotation', () => {
  const NEW_SECRET = 'rotated-client-secret-value-9876543210';

  /** Secrets Manager seen from one container: the cached (old) secret until someone forces a re-read. */
  class RotatingSecret implements ClientSecretSource {
    forcedReads = 0;
    #current = CLIENT_SECRET;

    async get(options: { forceRefresh?: boolean } = {}): Promise<Redacted> {
      if (options.forceRefresh) {
        this.forcedReads++;
        this.#current = NEW_SECRET;
      }
      return new Redacted(this.#current);
    }
  }

  let rotating: TestService;
  let secret: RotatingSecret;

  beforeAll(async () => {
    secret = new RotatingSecret();
    rotating = await startTestService({ overrides: { clientSecret: secret } });
  });
  afterAll(async () => {
    await rotating.close();
  });

  it('accepts a body signed with the new secret by re-reading the secret once', async () => {
    const openId = await connectAccount(rotating, 'wh-rotation', 0);
    expect(secret.forcedReads).toBe(0);
    const handler = await handlerOf(rotating, 'TikTokWebhookFunction');
    const body = removalBody(openId);
    const event = httpApiEvent({
      method: 'POST',
      path: '/webhooks/tiktok',
      headers: { 'tiktok-signature': signWebhook(NEW_SECRET, body, nowSeconds()) },
      body,
    });

    const answer = (await handler(event, lambdaContext)) as HttpAnswer;

    expect(answer.statusCode).toBe(200);
    expect(bodyOf(answer)).toEqual({ received: true, revoked: 1 });
    expect(secret.forcedReads).toBe(1);
    expect((await rotating.deps.connections.get('wh-rotation', openId))?.status).toBe('revoked');

    // From now on the old secret no longer verifies.
    const stale = removalBody(openId, { create_time: nowSeconds() + 1 });
    const old = httpApiEvent({
      method: 'POST',
      path: '/webhooks/tiktok',
      headers: { 'tiktok-signature': signWebhook(CLIENT_SECRET, stale, nowSeconds()) },
      body: stale,
    });
    expect(((await handler(old, lambdaContext)) as HttpAnswer).statusCode).toBe(401);
  });
});
