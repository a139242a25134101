import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiDriver } from '../../support/api-driver.js';
import { connectAccount, connectDriver } from '../../support/connect-driver.js';
import { localDynamoClient } from '../../support/dynamodb.js';
import { startTestService, type TestService } from '../../support/service.js';

/**
 * What the frontend sees of a connection is exactly the documented fields: checked against a stored row that
 * carries every sealed and internal attribute the service ever writes (sealed tokens, wrapped data key, key
 * version, lease, version, schedule, failure bookkeeping), not by looking for token-shaped strings.
 */
const db = localDynamoClient();
let service: TestService;

beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service.close();
});

const CONNECTION_FIELDS = [
  'accessTokenExpiresAt',
  'avatarUrl',
  'connectedAt',
  'displayName',
  'openId',
  'refreshTokenExpiresAt',
  'scopes',
  'status',
  'username',
];

/** Every attribute a connection row can hold besides what the list shows. */
const INTERNAL_ATTRIBUTES = [
  'accessToken',
  'refreshToken',
  'wrappedKey',
  'keyVersion',
  'leaseOwner',
  'leaseExpiresAt',
  'version',
  'refreshShard',
  'refreshDueAt',
  'failureCount',
  'lastFailureCode',
  'lastFailureAt',
  'statusReason',
  'refreshExpiryWarnedAt',
  'refreshedAt',
  'updatedAt',
  'profileUpdatedAt',
  'unionId',
  'appUser',
  'kind',
];

async function rawRow(appUser: string, openId: string) {
  const { Item } = await db.send(
    new GetItemCommand({
      TableName: service.tableName,
      Key: { pk: { S: `USER#${appUser}` }, sk: { S: `TIKTOK#${openId}` } },
      ConsistentRead: true,
    }),
  );
  if (!Item) throw new Error('no row');
  return Item;
}

describe('connection answers carry exactly the documented fields', () => {
  it('GET /tiktok/connections: each item has exactly the Connection fields, from a row with every internal attribute', async () => {
    const openId = await connectAccount(service, 'fields-user', 0);
    // Held lease, failure bookkeeping, expiry warning, a union id: everything a row can carry at once.
    const now = Date.now();
    await db.send(
      new UpdateItemCommand({
        TableName: service.tableName,
        Key: { pk: { S: 'USER#fields-user' }, sk: { S: `TIKTOK#${openId}` } },
        UpdateExpression:
          'SET leaseOwner = :owner, leaseExpiresAt = :later, failureCount = :one, lastFailureCode = :code, ' +
          'lastFailureAt = :now, statusReason = :code, refreshExpiryWarnedAt = :now, refreshedAt = :now, unionId = :union',
        ExpressionAttributeValues: {
          ':owner': { S: 'run-fields' },
          ':later': { N: String(now + 60_000) },
          ':one': { N: '1' },
          ':code': { S: 'tiktok_unavailable' },
          ':now': { N: String(now) },
          ':union': { S: 'union-fields' },
        },
      }),
    );
    const row = await rawRow('fields-user', openId);
    for (const name of INTERNAL_ATTRIBUTES) expect(row[name], `the row lacks ${name}`).toBeDefined();

    const listed = await apiDriver(service).connections('fields-user');
    expect(listed.statusCode).toBe(200);
    expect(Object.keys(listed.json)).toEqual(['connections']);
    expect(listed.json.connections).toHaveLength(1);
    expect(Object.keys(listed.json.connections[0]).sort()).toEqual(CONNECTION_FIELDS);
    // Nor under another name: no sealed bytes (in any encoding) and no internal value in the body.
    for (const name of ['accessToken', 'refreshToken', 'wrappedKey'] as const) {
      const bytes = Buffer.from(row[name]?.B ?? new Uint8Array());
      expect(bytes.length).toBeGreaterThan(16);
      for (const encoded of [bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex')]) {
        expect(listed.body).not.toContain(encoded.slice(0, 24));
      }
    }
    for (const value of ['run-fields', 'union-fields', row.refreshShard?.S ?? '?']) {
      expect(listed.body).not.toContain(value);
    }
  });

  it('POST /auth/tiktok/confirm and DELETE /tiktok/connections/{openId}: exactly their documented fields', async () => {
    const driver = connectDriver(service);
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'fields-confirm' });
    const consent = driver.consent(authorizeUrl, { userIndex: 1 });
    const answer = await driver.callback(consent.query, cookies);
    const code = new URL(answer.headers.location as string).searchParams.get('confirmation') ?? '';
    const confirmed = await driver.confirm(code, 'fields-confirm');
    expect(confirmed.statusCode).toBe(200);
    expect(Object.keys(confirmed.json).sort()).toEqual(['openId', 'status']);

    const disconnected = await apiDriver(service).disconnect('fields-confirm', consent.user.openId);
    expect(disconnected.statusCode).toBe(200);
    expect(Object.keys(disconnected.json).sort()).toEqual([
      'openId',
      'revocation',
      'revokedAtTikTok',
      'status',
    ]);
  });
});
