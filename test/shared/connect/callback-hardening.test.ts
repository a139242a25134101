import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../shared/store/hashing.js';
import { httpApiEvent, lambdaContext } from '../../support/api-events.js';
import { connectDriver, type HttpAnswer, outcomeOf } from '../../support/connect-driver.js';
import { localDynamoClient } from '../../support/dynamodb.js';
import { handlerOf } from '../../support/function-handlers.js';
import { APP_ORIGIN, startTestService, type TestService } from '../../support/service.js';
import { forgetAccount, tableItems } from '../../support/table-items.js';

/** The review's findings 4 and 5 on the connect flow (issue 8): tampered attempts, look-alikes, expiries. */
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

const LOOK_ALIKES = ['https://app.example.test.evil.example/', 'https://app.example.evil.test'];
const stateKey = (state: string) => ({ pk: { S: `STATE#${sha256Hex(state)}` }, sk: { S: 'STATE' } });

async function rewriteState(state: string, set: Record<string, string>) {
  const names = Object.keys(set);
  await db.send(
    new UpdateItemCommand({
      TableName: service.tableName,
      Key: stateKey(state),
      UpdateExpression: `SET ${names.map((_name, i) => `#f${i} = :v${i}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#f${i}`, name])),
      ExpressionAttributeValues: Object.fromEntries(
        names.map((name, i) => [`:v${i}`, { S: set[name] as string }]),
      ),
    }),
  );
}

async function later<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  const realNow = service.deps.now;
  service.deps.now = () => realNow() + ms;
  try {
    return await fn();
  } finally {
    service.deps.now = realNow;
  }
}

describe('a pending attempt re-pointed by a table write (finding 4)', () => {
  it.each([
    ['appUser', 'intruder'],
    ['returnTo', 'https://evil.example/steal'],
    ['redirectUri', 'https://evil.example/callback'],
  ])('fails to open when %s is changed: no code exchange, no redirect anywhere', async (field, value) => {
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'tamper-user' });
    const consent = driver.consent(authorizeUrl);
    await rewriteState(consent.state, { [field]: value });
    const answer = await driver.callback(consent.query, cookies);
    expect(answer.statusCode).toBe(400);
    expect(answer.headers.location).toBeUndefined();
    expect(JSON.parse(answer.body ?? '{}').code).toBe('state_invalid');
    expect(service.emulator.calls.count('token')).toBe(0);
    expect((await tableItems(service)).filter((i) => i.kind?.S === 'pending_connect')).toEqual([]);
  });

  it('never sends the browser to a re-pointed return URL, even on a failure answered before the attempt is opened', async () => {
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'tamper-expired' });
    const consent = driver.consent(authorizeUrl);
    await rewriteState(consent.state, { returnTo: 'https://evil.example/steal' });
    const answer = await later(11 * 60 * 1000, () => driver.callback(consent.query, cookies));
    const outcome = outcomeOf(answer);
    expect(outcome.reason).toBe('state_expired');
    expect(outcome.url.origin).toBe(APP_ORIGIN);
    expect(outcome.url.pathname).toBe('/settings/tiktok');
  });
});

describe('look-alike hosts (finding 5)', () => {
  it.each(LOOK_ALIKES)('refuses returnTo %s', async (lookAlike) => {
    const answer = await driver.start({ query: `returnTo=${encodeURIComponent(lookAlike)}` });
    expect(answer.statusCode).toBe(400);
    expect(JSON.parse(answer.body ?? '{}').code).toBe('return_to_not_allowed');
  });

  it.each(LOOK_ALIKES.map((host) => `${host.replace(/\/$/, '')}/settings/tiktok`))(
    'refuses a launch whose Referer is %s, leaving the ticket unused',
    async (referer) => {
      const started = await driver.start({ sub: 'look-alike-referer', accept: 'application/json' });
      const query = new URL(JSON.parse(started.body ?? '{}').authorizeUrl).search.slice(1);
      const refused = await driver.launch(query, [], referer);
      expect(outcomeOf(refused).reason).toBe('launch_origin_refused');
      expect(refused.cookies ?? []).toEqual([]);
      expect((await driver.launch(query)).headers.location).toContain(service.emulator.authorizeUrl);
    },
  );
});

describe('expiries and stored secrets (finding 5)', () => {
  it('refuses a launch ticket opened after its 2 minutes', async () => {
    const started = await driver.start({ sub: 'slow-launcher', accept: 'application/json' });
    const query = new URL(JSON.parse(started.body ?? '{}').authorizeUrl).search.slice(1);
    const late = await later(2 * 60 * 1000 + 1, () => driver.launch(query));
    expect(outcomeOf(late).reason).toBe('launch_invalid');
    expect(late.cookies ?? []).toEqual([]);
  });

  it('stores the PKCE verifier sealed: its bytes do not contain the verifier', async () => {
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'sealed-verifier' });
    const consent = driver.consent(authorizeUrl);
    const { Item } = await db.send(
      new GetItemCommand({
        TableName: service.tableName,
        Key: stateKey(consent.state),
        ConsistentRead: true,
      }),
    );
    const stored = Buffer.from(Item?.codeVerifier?.B ?? new Uint8Array());
    expect(stored.length).toBeGreaterThan(28);
    await driver.callback(consent.query, cookies); // the emulator now has seen the verifier
    const verifiers = service.emulator
      .secretsSeen()
      .filter((secret) => /^[A-Za-z0-9._~-]{43,128}$/.test(secret));
    expect(verifiers.length).toBeGreaterThan(0);
    for (const verifier of verifiers) {
      for (const encoding of ['latin1', 'utf8', 'base64', 'hex'] as const) {
        expect(stored.toString(encoding)).not.toContain(verifier);
      }
    }
  });
});

describe('what the callback believes (finding 5)', () => {
  it('takes the granted scopes from the token answer, not from the callback’s `scopes` parameter', async () => {
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'scope-inflater' });
    const consent = driver.consent(authorizeUrl, { scopes: ['user.info.basic'] });
    const query = new URLSearchParams(consent.query);
    query.set('scopes', 'user.info.basic,user.info.profile,user.info.stats,video.list');
    const openId = await driver.confirmCallback(
      await driver.callback(query.toString(), cookies),
      'scope-inflater',
    );
    const record = await service.deps.connections.get('scope-inflater', openId);
    expect(record?.scopes).toEqual(['user.info.basic']);
  });

  it('refuses a user-info answer naming another open_id than the token, and revokes the grant', async () => {
    await forgetAccount(service, service.emulator.users[0]?.openId as string);
    const otherOpenId = service.emulator.users[1]?.openId as string;
    // The callback as deployed (its own function deps), with TikTok's user info answering for someone else: the
    // real emulator answer with its open_id swapped.
    const callback = await handlerOf(service, 'CallbackFunction', {
      adapt: (deps) => ({
        ...deps,
        tiktokUserInfo: async (token, fields, options) => {
          const answer = await deps.tiktokUserInfo(token, fields, options);
          return { ...answer, profile: { ...answer.profile, openId: otherOpenId } };
        },
      }),
    });
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'other-open-id' });
    const consent = driver.consent(authorizeUrl);
    expect(consent.user.openId).not.toBe(otherOpenId);
    const answer = (await callback(
      httpApiEvent({ path: '/auth/tiktok/callback', query: consent.query, cookies }),
      lambdaContext,
    )) as HttpAnswer;
    expect(outcomeOf(answer)).toMatchObject({ tiktok: 'error', reason: 'tiktok_bad_response' });
    expect(outcomeOf(answer).url.searchParams.has('confirmation')).toBe(false);
    expect(service.emulator.calls.count('user_info')).toBe(1);
    expect((await tableItems(service)).filter((i) => i.appUser?.S === 'other-open-id')).toEqual([]);
    expect(service.emulator.calls.count('revoke')).toBe(1);
  });
});
