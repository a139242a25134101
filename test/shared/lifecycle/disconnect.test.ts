import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { httpApiEvent, lambdaContext } from '../../support/api-events.js';
import { connectAccount, type HttpAnswer } from '../../support/connect-driver.js';
import { localDynamoClient } from '../../support/dynamodb.js';
import { type FunctionHandler, handlerOf } from '../../support/function-handlers.js';
import { startTestService, type TestService } from '../../support/service.js';

const db = localDynamoClient();
let service: TestService;
let disconnect: FunctionHandler;

beforeAll(async () => {
  // Tokens sealed under data keys of the KMS stand-in: each item keeps its wrapped key, which disconnect removes.
  // The service's clock follows a faked Date, as the emulator's does (tests move both past token expiry).
  service = await startTestService({ overrides: { now: () => Date.now() } });
  disconnect = await handlerOf(service, 'DisconnectFunction');
});
afterAll(async () => {
  await service.close();
});
afterEach(() => {
  vi.useRealTimers();
  service.emulator.setOptions({ accessTokenTtlSeconds: 86_400 });
});
beforeEach(() => {
  service.emulator.faults.clear();
  service.emulator.calls.reset();
  service.events.published.length = 0;
});

/** DELETE /tiktok/connections/{openId} as API Gateway HTTP API delivers it behind the JWT authorizer. */
async function deleteConnection(openId: string, sub: string | undefined): Promise<HttpAnswer> {
  const path = `/tiktok/connections/${encodeURIComponent(openId)}`;
  const base = httpApiEvent({ method: 'DELETE', path, sub });
  const routeKey = 'DELETE /tiktok/connections/{openId}';
  const event: APIGatewayProxyEventV2WithJWTAuthorizer = {
    ...base,
    routeKey,
    pathParameters: { openId },
    requestContext: { ...base.requestContext, routeKey },
  };
  return (await disconnect(event, lambdaContext)) as HttpAnswer;
}

async function rawItem(appUser: string, openId: string) {
  const { Item } = await db.send(
    new GetItemCommand({
      TableName: service.tableName,
      Key: { pk: { S: `USER#${appUser}` }, sk: { S: `TIKTOK#${openId}` } },
      ConsistentRead: true,
    }),
  );
  return Item;
}

async function accessTokenOf(appUser: string, openId: string): Promise<string> {
  const record = await service.deps.connections.get(appUser, openId);
  if (!record) throw new Error('no connection');
  return (await service.deps.connections.openTokens(record)).accessToken.reveal();
}

/** What TikTok's Display API says about a token: 200 while it lives, 401 access_token_invalid once revoked. */
async function userInfoStatus(accessToken: string): Promise<{ status: number; code: string | undefined }> {
  const response = await fetch(`${service.emulator.apiBaseUrl}/v2/user/info/?fields=open_id`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  const body = (await response.json()) as { error?: { code?: string } };
  return { status: response.status, code: body.error?.code };
}

const TOKEN_AND_SCHEDULE_ATTRIBUTES = [
  'accessToken',
  'refreshToken',
  'wrappedKey',
  'keyVersion',
  'refreshShard',
  'refreshDueAt',
];

describe('DELETE /tiktok/connections/{openId}', () => {
  it('revokes the grant at TikTok, deletes the tokens and their key, and marks the connection disconnected', async () => {
    const openId = await connectAccount(service, 'dc-alice', 0);
    const before = await rawItem('dc-alice', openId);
    expect(before?.wrappedKey?.B).toBeInstanceOf(Uint8Array);
    expect(before?.version?.N).toBe('1');
    const accessToken = await accessTokenOf('dc-alice', openId);
    expect((await userInfoStatus(accessToken)).status).toBe(200);
    service.emulator.calls.reset();

    const answer = await deleteConnection(openId, 'dc-alice');

    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toContain('application/json');
    expect(JSON.parse(answer.body ?? '{}')).toEqual({
      openId,
      status: 'disconnected',
      revokedAtTikTok: true,
      revocation: 'revoked',
    });
    expect(service.emulator.calls.count('revoke')).toBe(1);
    expect(service.emulator.calls.list('revoke')[0]?.status).toBe(200);
    expect(await userInfoStatus(accessToken)).toEqual({ status: 401, code: 'access_token_invalid' });

    const after = await rawItem('dc-alice', openId);
    expect(after?.status?.S).toBe('disconnected');
    expect(after?.statusReason?.S).toBe('user_disconnected');
    expect(after?.version?.N).toBe('2');
    expect(Number(after?.disconnectedAt?.N)).toBeGreaterThan(0);
    for (const name of TOKEN_AND_SCHEDULE_ATTRIBUTES) expect(after?.[name], name).toBeUndefined();
    // The profile stays, so the app can still show which account was disconnected.
    expect(after?.displayName?.S).toBe(service.emulator.users[0]?.displayName);
  });

  it('publishes one disconnected event naming the app user and account, without any token', async () => {
    const openId = await connectAccount(service, 'dc-event-user', 1);
    const accessToken = await accessTokenOf('dc-event-user', openId);
    const record = await service.deps.connections.get('dc-event-user', openId);
    const refreshToken = (await service.deps.connections.openTokens(record!)).refreshToken.reveal();
    service.events.published.length = 0;

    expect((await deleteConnection(openId, 'dc-event-user')).statusCode).toBe(200);

    expect(service.events.published).toHaveLength(1);
    const [event] = service.events.published;
    expect(event).toMatchObject({
      type: 'disconnected',
      appUser: 'dc-event-user',
      openId,
      status: 'disconnected',
      reason: 'user_disconnected',
    });
    const text = JSON.stringify(event);
    expect(text).not.toContain(accessToken);
    expect(text).not.toContain(refreshToken);
    expect(text).not.toMatch(/act\.|rft\./);
  });

  it('still deletes the tokens when TikTok fails the revoke, and says it could not revoke', async () => {
    const openId = await connectAccount(service, 'dc-revoke-fails', 2);
    const accessToken = await accessTokenOf('dc-revoke-fails', openId);
    service.emulator.calls.reset();
    service.events.published.length = 0;
    service.emulator.faults.push({ endpoint: 'revoke', kind: 'http_500' });

    const answer = await deleteConnection(openId, 'dc-revoke-fails');

    expect(answer.statusCode).toBe(200);
    const body = JSON.parse(answer.body ?? '{}');
    expect(body).toMatchObject({
      openId,
      status: 'disconnected',
      revokedAtTikTok: false,
      revocation: 'failed',
    });
    expect(body.revokeFailure).toBe('tiktok_unavailable');
    expect(service.emulator.calls.count('revoke')).toBe(1);
    expect(service.emulator.calls.list('revoke')[0]?.status).toBe(500);

    const after = await rawItem('dc-revoke-fails', openId);
    expect(after?.status?.S).toBe('disconnected');
    expect(after?.statusReason?.S).toBe('user_disconnected_revoke_tiktok_unavailable');
    expect(after?.version?.N).toBe('2');
    for (const name of TOKEN_AND_SCHEDULE_ATTRIBUTES) expect(after?.[name], name).toBeUndefined();
    expect(JSON.stringify(after)).not.toContain(accessToken);
    expect(service.events.published.map((e) => [e.type, e.reason])).toEqual([
      ['disconnected', 'user_disconnected_revoke_failed'],
    ]);
  });

  it("refuses another user's connection with 404 and leaves it untouched", async () => {
    const openId = await connectAccount(service, 'dc-bob', 1);
    const before = await rawItem('dc-bob', openId);
    service.emulator.calls.reset();
    service.events.published.length = 0;

    const answer = await deleteConnection(openId, 'dc-mallory');

    expect(answer.statusCode).toBe(404);
    expect(answer.headers['content-type']).toContain('application/problem+json');
    expect(JSON.parse(answer.body ?? '{}').code).toBe('connection_not_found');
    expect(await rawItem('dc-bob', openId)).toEqual(before);
    expect(await rawItem('dc-mallory', openId)).toBeUndefined();
    expect(service.emulator.calls.count('revoke')).toBe(0);
    expect(service.events.published).toEqual([]);
    expect((await userInfoStatus(await accessTokenOf('dc-bob', openId))).status).toBe(200);
  });

  it('answers 404 for an open_id the user never connected', async () => {
    const answer = await deleteConnection('00000000-0000-4000-8000-000000000000', 'dc-nobody');
    expect(answer.statusCode).toBe(404);
    expect(JSON.parse(answer.body ?? '{}').code).toBe('connection_not_found');
    expect(service.emulator.calls.count('revoke')).toBe(0);
  });

  it('refuses a malformed open_id with 400 problem+json before touching anything', async () => {
    for (const openId of ['../x', 'a'.repeat(300), 'has space', 'a/b', '']) {
      const answer = await deleteConnection(openId, 'dc-alice');
      expect(answer.statusCode, openId.slice(0, 20)).toBe(400);
      expect(answer.headers['content-type']).toContain('application/problem+json');
      expect(JSON.parse(answer.body ?? '{}').code).toBe('invalid_request');
    }
    expect(service.emulator.calls.count('revoke')).toBe(0);
  });

  it('refuses a caller without a signed-in user (no sub claim) with 401', async () => {
    const answer = await deleteConnection(service.emulator.users[0]?.openId ?? 'x', undefined);
    expect(answer.statusCode).toBe(401);
    expect(JSON.parse(answer.body ?? '{}').code).toBe('unauthenticated');
    expect(service.emulator.calls.count('revoke')).toBe(0);
  });

  it('disconnects a connection TikTok already revoked without calling TikTok', async () => {
    const openId = await connectAccount(service, 'dc-already-revoked', 2);
    await service.deps.connections.markUnusable({
      key: { appUser: 'dc-already-revoked', openId },
      status: 'revoked',
      reason: 'authorization_removed_user_disconnected',
      now: Date.now(),
    });
    service.emulator.calls.reset();
    service.events.published.length = 0;

    const answer = await deleteConnection(openId, 'dc-already-revoked');

    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body ?? '{}')).toEqual({
      openId,
      status: 'disconnected',
      revokedAtTikTok: false,
      revocation: 'not_needed',
      revokeFailure: 'no_tokens',
    });
    expect(service.emulator.calls.count('revoke')).toBe(0);
    expect((await rawItem('dc-already-revoked', openId))?.status?.S).toBe('disconnected');
    expect(service.events.published.map((e) => e.type)).toEqual(['disconnected']);
  });

  it('answers 404 to a second disconnect of the same connection, without calling TikTok again', async () => {
    const openId = await connectAccount(service, 'dc-twice', 0);
    service.emulator.calls.reset();
    expect((await deleteConnection(openId, 'dc-twice')).statusCode).toBe(200);
    const afterFirst = await rawItem('dc-twice', openId);
    service.events.published.length = 0;

    const second = await deleteConnection(openId, 'dc-twice');

    expect(second.statusCode).toBe(404);
    expect(JSON.parse(second.body ?? '{}').code).toBe('connection_not_found');
    expect(service.emulator.calls.count('revoke')).toBe(1);
    expect(await rawItem('dc-twice', openId)).toEqual(afterFirst);
    expect(service.events.published).toEqual([]);
  });
});

/** What TikTok says about a refresh token: 200 while the grant lives, 400 invalid_grant once it is ended. */
async function refreshStatus(refreshToken: string): Promise<number> {
  const response = await fetch(`${service.emulator.apiBaseUrl}/v2/oauth/token/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_key: 'test-client-key',
      client_secret: 'test-client-secret-value-0123456789',
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    }),
  });
  await response.arrayBuffer();
  return response.status;
}

/** Earlier tests connected the same emulator accounts for other app users: end those, so this user holds it alone. */
async function makeSoleHolder(appUser: string, openId: string): Promise<void> {
  for (const key of await service.deps.connections.findByOpenId(openId)) {
    if (key.appUser === appUser) continue;
    await service.deps.connections.markUnusable({
      key,
      status: 'disconnected',
      reason: 'test',
      now: Date.now(),
    });
  }
}

async function refreshTokenOf(appUser: string, openId: string): Promise<string> {
  const record = await service.deps.connections.get(appUser, openId);
  if (!record) throw new Error('no connection');
  return (await service.deps.connections.openTokens(record)).refreshToken.reveal();
}

describe('DELETE when two app users hold the same TikTok account', () => {
  it('deletes only this row’s tokens and does not revoke while another holder remains; the last holder revokes', async () => {
    const openId = await connectAccount(service, 'dc-share-a', 2);
    await makeSoleHolder('dc-share-a', openId);
    expect(await connectAccount(service, 'dc-share-b', 2)).toBe(openId);
    const tokenB = await accessTokenOf('dc-share-b', openId);
    service.emulator.calls.reset();
    service.events.published.length = 0;

    const first = await deleteConnection(openId, 'dc-share-a');

    expect(first.statusCode).toBe(200);
    expect(JSON.parse(first.body ?? '{}')).toEqual({
      openId,
      status: 'disconnected',
      revokedAtTikTok: false,
      revocation: 'kept_for_other_holder',
    });
    expect(service.emulator.calls.count('revoke')).toBe(0);
    const rowA = await rawItem('dc-share-a', openId);
    expect(rowA?.status?.S).toBe('disconnected');
    for (const name of TOKEN_AND_SCHEDULE_ATTRIBUTES) expect(rowA?.[name], name).toBeUndefined();
    // The other holder's connection keeps working, at TikTok and in the table.
    expect((await userInfoStatus(tokenB)).status).toBe(200);
    expect((await service.deps.connections.get('dc-share-b', openId))?.status).toBe('active');
    expect(service.events.published.map((e) => [e.appUser, e.type, e.reason])).toEqual([
      ['dc-share-a', 'disconnected', 'user_disconnected_grant_shared'],
    ]);

    const last = await deleteConnection(openId, 'dc-share-b');

    expect(JSON.parse(last.body ?? '{}')).toMatchObject({ revokedAtTikTok: true, revocation: 'revoked' });
    expect(service.emulator.calls.count('revoke')).toBe(1);
    expect((await userInfoStatus(tokenB)).status).toBe(401);
  });
});

describe('DELETE with an expired access token', () => {
  it('refreshes first, then revokes: the refresh token is dead at TikTok afterwards', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    service.emulator.setOptions({ accessTokenTtlSeconds: 120 });
    const openId = await connectAccount(service, 'dc-expired', 2);
    await makeSoleHolder('dc-expired', openId);
    const refreshToken = await refreshTokenOf('dc-expired', openId);
    vi.setSystemTime(Date.now() + 10 * 60_000);
    service.emulator.calls.reset();

    const answer = await deleteConnection(openId, 'dc-expired');

    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body ?? '{}')).toEqual({
      openId,
      status: 'disconnected',
      revokedAtTikTok: true,
      revocation: 'revoked',
    });
    expect(service.emulator.calls.count('refresh')).toBe(1);
    expect(service.emulator.calls.count('revoke')).toBe(1);
    expect(service.emulator.calls.list().map((call) => call.endpoint)).toEqual(['refresh', 'revoke']);
    // The grant is over at TikTok: neither the old refresh token nor the rotated one works.
    expect(await refreshStatus(refreshToken)).toBe(400);
    const after = await rawItem('dc-expired', openId);
    expect(after?.status?.S).toBe('disconnected');
    for (const name of TOKEN_AND_SCHEDULE_ATTRIBUTES) expect(after?.[name], name).toBeUndefined();
  });

  it('says so honestly when the refresh before the revoke fails, and still deletes the tokens', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    service.emulator.setOptions({ accessTokenTtlSeconds: 120 });
    const openId = await connectAccount(service, 'dc-expired-dead', 1);
    await makeSoleHolder('dc-expired-dead', openId);
    vi.setSystemTime(Date.now() + 10 * 60_000);
    service.emulator.calls.reset();
    service.emulator.faults.push({ endpoint: 'refresh', kind: 'invalid_grant' });

    const answer = await deleteConnection(openId, 'dc-expired-dead');

    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body ?? '{}')).toEqual({
      openId,
      status: 'disconnected',
      revokedAtTikTok: false,
      revocation: 'failed',
      revokeFailure: 'connection_reauth_required',
    });
    expect(service.emulator.calls.count('revoke')).toBe(0);
    const after = await rawItem('dc-expired-dead', openId);
    expect(after?.status?.S).toBe('disconnected');
    for (const name of TOKEN_AND_SCHEDULE_ATTRIBUTES) expect(after?.[name], name).toBeUndefined();
  });
});

describe('DELETE when TikTok answers the revoke with an error', () => {
  it.each([
    {
      name: 'an error inside HTTP 200',
      fault: { kind: 'error_200', errorCode: 'invalid_request' },
      failure: 'tiktok_invalid_request',
    },
    { name: 'server_error', fault: { kind: 'server_error' }, failure: 'tiktok_unavailable' },
    {
      name: 'a 429 with TikTok’s Retry-After',
      fault: { kind: 'rate_limit' },
      failure: 'tiktok_rate_limited',
    },
  ] as const)('reports $name as not revoked, and deletes the tokens', async ({ fault, failure }) => {
    const openId = await connectAccount(service, `dc-revoke-${failure}`, 1);
    await makeSoleHolder(`dc-revoke-${failure}`, openId);
    const accessToken = await accessTokenOf(`dc-revoke-${failure}`, openId);
    service.emulator.calls.reset();
    service.emulator.faults.push({ endpoint: 'revoke', ...fault });

    const answer = await deleteConnection(openId, `dc-revoke-${failure}`);

    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body ?? '{}')).toEqual({
      openId,
      status: 'disconnected',
      revokedAtTikTok: false,
      revocation: 'failed',
      revokeFailure: failure,
    });
    // TikTok refused, so the grant is still alive there: the answer must not claim otherwise.
    expect((await userInfoStatus(accessToken)).status).toBe(200);
    const after = await rawItem(`dc-revoke-${failure}`, openId);
    for (const name of TOKEN_AND_SCHEDULE_ATTRIBUTES) expect(after?.[name], name).toBeUndefined();
  });
});
