import { DeleteItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expirePendingConnects } from '../../../shared/connect/expire-pending-connects.js';
import { sha256Hex } from '../../../shared/store/hashing.js';
import {
  browserCookies,
  connectDriver,
  outcomeOf,
  pendingConfirmation,
} from '../../support/connect-driver.js';
import { localDynamoClient } from '../../support/dynamodb.js';
import { APP_ORIGIN, startTestService, type TestService } from '../../support/service.js';
import { forgetAccount as forgetAccountOf, tableItems as tableItemsOf } from '../../support/table-items.js';

const db = localDynamoClient();
let service: TestService;
let driver: ReturnType<typeof connectDriver>;

beforeAll(async () => {
  service = await startTestService();
  driver = connectDriver(service);
});
afterAll(async () => {
  await service.close();
});
beforeEach(() => {
  service.emulator.faults.clear();
  service.emulator.calls.reset();
});

const tableItems = () => tableItemsOf(service);

async function connectionsOf(appUser: string) {
  return (await tableItems()).filter((item) => item.pk?.S === `USER#${appUser}`);
}

const pendingItems = async () => (await tableItems()).filter((item) => item.kind?.S === 'pending_connect');

const forgetAccount = (openId: string) => forgetAccountOf(service, openId);

/** Redirect-mode start → TikTok consent (emulator user `userIndex`) → callback: the pending answer. */
async function consented(sub: string, userIndex = 0) {
  const { authorizeUrl, cookies } = await driver.begin({ sub });
  const consent = driver.consent(authorizeUrl, { userIndex });
  const answer = await driver.callback(consent.query, cookies);
  return { consent, answer, confirmation: pendingConfirmation(answer) };
}

/** Runs `fn` with the service's clock moved forward by `ms`. */
async function later<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  const realNow = service.deps.now;
  service.deps.now = () => realNow() + ms;
  try {
    return await fn();
  } finally {
    service.deps.now = realNow;
  }
}

const revokes = () => service.emulator.calls.list('revoke').filter((call) => call.status === 200);

describe('account-linking CSRF (issue 8, finding 1)', () => {
  it('attaches nothing when a user’s launch link is opened by another person’s browser who then confirms', async () => {
    await forgetAccount(service.emulator.users[1]?.openId as string);
    // Mallory starts a connect and plants the launch link on a page of the platform (a post, a bio, a DM).
    const started = await driver.start({ sub: 'mallory', accept: 'application/json' });
    const launchUrl = new URL(JSON.parse(started.body ?? '{}').authorizeUrl);
    // Valerie's browser opens it from that page: the Referer is an allowed origin, the launch goes through.
    const launched = await driver.launch(launchUrl.search.slice(1), [], `${APP_ORIGIN}/posts/mallory-42`);
    expect(launched.headers.location).toContain(service.emulator.authorizeUrl);
    // She approves with her own TikTok account and comes back to the platform with a pending result.
    const consent = driver.consent(launched.headers.location as string, { userIndex: 1 });
    const answer = await driver.callback(consent.query, browserCookies(launched));
    const confirmation = pendingConfirmation(answer);
    expect(outcomeOf(answer).url.origin).toBe(APP_ORIGIN);

    // Her frontend confirms with her own token: refused, the result dropped, the grant revoked at TikTok.
    const refused = await driver.confirm(confirmation, 'valerie');
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json.code).toBe('connect_user_mismatch');
    expect(revokes()).toHaveLength(1);
    expect(await pendingItems()).toHaveLength(0);
    // The code is spent: Mallory cannot confirm it afterwards even if it reached him.
    expect((await driver.confirm(confirmation, 'mallory')).json.code).toBe('confirmation_invalid');
    expect(await connectionsOf('mallory')).toHaveLength(0);
    expect(await connectionsOf('valerie')).toHaveLength(0);
    expect(await service.deps.connections.findByOpenId(consent.user.openId)).toEqual([]);
    expect(service.events.published.filter((e) => e.openId === consent.user.openId)).toEqual([]);
  });

  it('does not revoke when the victim’s own stored connection to that TikTok account still uses the grant', async () => {
    const own = await consented('valerie-2', 1);
    await driver.confirmCallback(own.answer, 'valerie-2');
    service.emulator.calls.reset();

    const attack = await consented('mallory-2', 1);
    const refused = await driver.confirm(attack.confirmation, 'valerie-2');
    expect(refused.statusCode).toBe(403);
    expect(revokes()).toHaveLength(0);
    expect((await service.deps.connections.get('valerie-2', own.consent.user.openId))?.status).toBe('active');
    expect(await connectionsOf('mallory-2')).toHaveLength(0);
  });
});

describe('POST /auth/tiktok/confirm', () => {
  it('keeps the result under the hash of the code only, tokens sealed, for 10 minutes', async () => {
    const before = Date.now();
    const { confirmation } = await consented('stored-user');
    const [item] = (await pendingItems()).filter((i) => i.appUser?.S === 'stored-user');
    expect(item?.pk?.S).toBe(`PENDING#${sha256Hex(confirmation)}`);
    const raw = JSON.stringify(item, (_k, v) =>
      v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v,
    );
    expect(raw).not.toContain(confirmation);
    expect(raw).not.toMatch(/act\.|rft\./);
    expect(item?.openId).toBeUndefined(); // not a stored connection: stays out of ByOpenId
    const expiresAt = Number(item?.expiresAt?.N);
    expect(expiresAt - before).toBeGreaterThanOrEqual(600_000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(600_000);
    expect(Number(item?.ttl?.N)).toBeGreaterThan(Math.floor(expiresAt / 1000));
  });

  it('is single use: a second confirm of the same code is a 400', async () => {
    const { answer, confirmation } = await consented('once-user');
    await driver.confirmCallback(answer, 'once-user');
    const again = await driver.confirm(confirmation, 'once-user');
    expect(again.statusCode).toBe(400);
    expect(again.json.code).toBe('confirmation_invalid');
  });

  it('lets exactly one of two concurrent confirms win', async () => {
    const { confirmation } = await consented('race-confirm-user');
    const answers = await Promise.all([
      driver.confirm(confirmation, 'race-confirm-user'),
      driver.confirm(confirmation, 'race-confirm-user'),
    ]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 400]);
    const [item] = await connectionsOf('race-confirm-user');
    expect(item?.version?.N).toBe('1');
    expect(
      service.events.published.filter((e) => e.appUser === 'race-confirm-user' && e.type === 'connected'),
    ).toHaveLength(1);
  });

  it('refuses unknown codes (400), malformed bodies (400, 415) and a missing token (401)', async () => {
    const cases: [string, number, string][] = [
      [JSON.stringify({ confirmation: 'A'.repeat(43) }), 400, 'confirmation_invalid'],
      [JSON.stringify({ confirmation: 'short' }), 400, 'confirmation_invalid'],
      [JSON.stringify({ confirmation: 42 }), 400, 'invalid_request'],
      [JSON.stringify({ confirmation: 'A'.repeat(43), extra: 1 }), 400, 'invalid_request'],
      ['{not json', 400, 'invalid_request'],
      [JSON.stringify({ confirmation: 'A'.repeat(2000) }), 413, 'payload_too_large'],
    ];
    for (const [body, status, code] of cases) {
      const answer = await driver.confirm('', 'someone', body);
      expect(answer.statusCode, body.slice(0, 40)).toBe(status);
      expect(answer.json.code, body.slice(0, 40)).toBe(code);
    }
    expect((await driver.confirm('A'.repeat(43), '')).statusCode).toBe(401);
  });

  it('answers 410 for a code confirmed after its 10 minutes, and connects nothing', async () => {
    const { confirmation } = await consented('late-confirm-user');
    const answer = await later(10 * 60 * 1000 + 1, () => driver.confirm(confirmation, 'late-confirm-user'));
    expect(answer.statusCode).toBe(410);
    expect(answer.json.code).toBe('confirmation_expired');
    expect(await connectionsOf('late-confirm-user')).toHaveLength(0);
  });

  it('refuses a pending result whose owner was re-pointed by a table write (the owner is bound to the sealed tokens)', async () => {
    const { confirmation } = await consented('repointed-owner');
    await db.send(
      new UpdateItemCommand({
        TableName: service.tableName,
        Key: { pk: { S: `PENDING#${sha256Hex(confirmation)}` }, sk: { S: 'PENDING' } },
        UpdateExpression: 'SET appUser = :intruder',
        ExpressionAttributeValues: { ':intruder': { S: 'intruder' } },
      }),
    );
    const answer = await driver.confirm(confirmation, 'intruder');
    expect(answer.statusCode).toBe(500);
    expect(await connectionsOf('intruder')).toHaveLength(0);
  });
});

describe('pending results nobody confirms', () => {
  // Each case counts what one cleanup run finds: start from no pending result.
  beforeEach(async () => {
    for (const item of await pendingItems()) {
      await db.send(
        new DeleteItemCommand({ TableName: service.tableName, Key: { pk: item.pk!, sk: item.sk! } }),
      );
    }
  });

  it('are revoked at TikTok and deleted once expired, by the refresher’s schedule — not before', async () => {
    await forgetAccount(service.emulator.users[0]?.openId as string);
    const { confirmation } = await consented('never-confirms');
    const key = `PENDING#${sha256Hex(confirmation)}`;
    expect(await expirePendingConnects(service.deps)).toMatchObject({ expired: 0 });
    expect((await tableItems()).some((i) => i.pk?.S === key)).toBe(true);

    const report = await later(10 * 60 * 1000 + 1, () => expirePendingConnects(service.deps));
    expect(report).toMatchObject({ expired: 1, revoked: 1, retryLater: 0 });
    expect(revokes()).toHaveLength(1);
    expect((await tableItems()).some((i) => i.pk?.S === key)).toBe(false);
  });

  it('are kept for the next run when TikTok cannot be reached to revoke', async () => {
    await forgetAccount(service.emulator.users[0]?.openId as string);
    await consented('tiktok-down-user');
    service.emulator.faults.push({ endpoint: 'revoke', kind: 'http_503', count: 1 });
    const first = await later(11 * 60 * 1000, () => expirePendingConnects(service.deps));
    expect(first).toMatchObject({ expired: 1, revoked: 0, retryLater: 1 });
    expect(await pendingItems()).toHaveLength(1);
    const second = await later(12 * 60 * 1000, () => expirePendingConnects(service.deps));
    expect(second).toMatchObject({ expired: 1, revoked: 1 });
    expect(await pendingItems()).toHaveLength(0);
  });

  it('are deleted without a revoke while a stored connection to the account still uses the grant', async () => {
    const own = await consented('holder-user', 1);
    await driver.confirmCallback(own.answer, 'holder-user');
    await consented('abandons-user', 1);
    service.emulator.calls.reset();
    const report = await later(11 * 60 * 1000, () => expirePendingConnects(service.deps));
    expect(report).toMatchObject({ expired: 1, revoked: 0, grantInUse: 1 });
    expect(revokes()).toHaveLength(0);
    expect(await pendingItems()).toHaveLength(0);
    expect((await service.deps.connections.get('holder-user', own.consent.user.openId))?.status).toBe(
      'active',
    );
  });
});
