import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../shared/store/hashing.js';
import { httpApiEvent, lambdaContext } from '../../support/api-events.js';
import {
  browserCookies,
  connectDriver,
  type HttpAnswer,
  outcomeOf,
  pendingConfirmation,
} from '../../support/connect-driver.js';
import { localDynamoClient } from '../../support/dynamodb.js';
import { handlerOf } from '../../support/function-handlers.js';
import { deployedPolicies } from '../../support/iam/policy-check.js';
import {
  APP_ORIGIN,
  CLIENT_KEY,
  CLIENT_SECRET,
  REDIRECT_URI,
  startTestService,
  type TestService,
} from '../../support/service.js';
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

const forgetAccount = (openId: string) => forgetAccountOf(service, openId);

async function connectionItems(appUser: string) {
  return (await tableItems()).filter((item) => item.pk?.S === `USER#${appUser}`);
}

describe('GET /auth/tiktok/start', () => {
  it('redirects to TikTok with client_key, comma scopes, state and a hex S256 challenge', async () => {
    const answer = await driver.start({ sub: 'start-user' });
    expect(answer.statusCode).toBe(302);
    const url = new URL(answer.headers.location as string);
    expect(url.origin + url.pathname).toBe(service.emulator.authorizeUrl);
    expect(url.searchParams.get('client_key')).toBe(CLIENT_KEY);
    expect(url.searchParams.get('client_id')).toBeNull();
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('scope')).toBe(
      'user.info.basic,user.info.profile,user.info.stats,video.list',
    );
    expect(url.searchParams.get('redirect_uri')).toBe(REDIRECT_URI);
    expect(url.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('code_challenge')).toMatch(/^[0-9a-f]{64}$/);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('disable_auto_auth')).toBeNull();
    expect(answer.headers.location).not.toContain(CLIENT_SECRET);
  });

  it('binds the attempt to the browser with a __Host- HttpOnly SameSite=Lax Secure cookie over https', async () => {
    const answer = await driver.start({ sub: 'start-user' });
    const cookie = answer.cookies?.[0] ?? '';
    expect(cookie).toMatch(/^__Host-tiktok_connect_nonce=[A-Za-z0-9_-]{43}; /);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).toContain('Secure');
    expect(cookie).toContain('Path=/');
    expect(cookie).not.toContain('Domain=');
  });

  it('stores the state server-side, keyed by its hash, verifier encrypted, expiring in 10 minutes with a TTL', async () => {
    const before = Date.now();
    const answer = await driver.start({ sub: 'store-user' });
    const state = new URL(answer.headers.location as string).searchParams.get('state') as string;
    const { Item } = await db.send(
      new GetItemCommand({
        TableName: service.tableName,
        Key: { pk: { S: `STATE#${sha256Hex(state)}` }, sk: { S: 'STATE' } },
      }),
    );
    expect(Item?.appUser?.S).toBe('store-user');
    expect(Item?.redirectUri?.S).toBe(REDIRECT_URI);
    expect(Item?.returnTo?.S).toBe(`${APP_ORIGIN}/settings/tiktok`);
    expect(Item?.nonceHash?.S).toMatch(/^[0-9a-f]{64}$/);
    expect(Item?.codeVerifier?.B).toBeInstanceOf(Uint8Array);
    expect(JSON.stringify(Item)).not.toContain(state);
    const expiresAt = Number(Item?.expiresAt?.N);
    expect(expiresAt - before).toBeGreaterThanOrEqual(600_000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(600_000);
    expect(Number(Item?.ttl?.N)).toBeGreaterThanOrEqual(Math.floor(expiresAt / 1000));
  });

  it('adds disable_auto_auth=1 when force=1', async () => {
    const answer = await driver.start({ query: 'force=1' });
    expect(new URL(answer.headers.location as string).searchParams.get('disable_auto_auth')).toBe('1');
  });

  it('answers JSON with a one-time launch URL when the caller accepts JSON, and sets no cookie on that answer', async () => {
    const answer = await driver.start({ accept: 'application/json' });
    expect(answer.statusCode).toBe(200);
    const body = JSON.parse(answer.body ?? '{}');
    const launch = new URL(body.authorizeUrl);
    expect(launch.origin + launch.pathname).toBe('https://api.example.test/auth/tiktok/launch');
    expect(body.expiresIn).toBe(120);
    expect(answer.cookies ?? []).toEqual([]);

    const launched = await driver.launch(launch.search.slice(1));
    expect(launched.statusCode).toBe(302);
    expect(launched.headers.location).toContain(service.emulator.authorizeUrl);
    expect(launched.cookies?.[0]).toMatch(/^__Host-tiktok_connect_nonce=/);

    const again = await driver.launch(launch.search.slice(1));
    expect(outcomeOf(again).reason).toBe('launch_invalid');
    expect(outcomeOf(again).url.origin).toBe(APP_ORIGIN);
  });

  it('refuses a launch not opened from the app (no Referer, or another site’s), before using the ticket', async () => {
    const answer = await driver.start({ sub: 'csrf-victim', accept: 'application/json' });
    const query = new URL(JSON.parse(answer.body ?? '{}').authorizeUrl).search.slice(1);
    for (const referer of [null, 'https://evil.example/page', 'not a url']) {
      const refused = await driver.launch(query, [], referer);
      expect(outcomeOf(refused).reason).toBe('launch_origin_refused');
      expect(refused.cookies ?? []).toEqual([]);
    }
    // The ticket is still good for the app's own page.
    expect((await driver.launch(query)).headers.location).toContain(service.emulator.authorizeUrl);
  });

  it('makes TikTok show its consent page for launched attempts, and keeps the state out of the stored ticket', async () => {
    const answer = await driver.start({ sub: 'launch-consent', accept: 'application/json' });
    const query = new URL(JSON.parse(answer.body ?? '{}').authorizeUrl).search.slice(1);
    const items = await tableItems();
    const launched = await driver.launch(query);
    const tiktokUrl = new URL(launched.headers.location as string);
    expect(tiktokUrl.searchParams.get('disable_auto_auth')).toBe('1');
    const state = tiktokUrl.searchParams.get('state') as string;
    const raw = JSON.stringify(items, (_k, v) =>
      v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v,
    );
    expect(raw).not.toContain(state);
    // The launch ticket itself is stored only as a hash.
    const ticket = new URLSearchParams(query).get('ticket') as string;
    expect(ticket.length).toBeGreaterThanOrEqual(43);
    expect(raw).not.toContain(ticket);
  });

  it('refuses a malformed launch ticket with a reason, not a 500', async () => {
    expect(outcomeOf(await driver.launch('ticket=short')).reason).toBe('launch_invalid');
    expect(outcomeOf(await driver.launch('')).reason).toBe('launch_invalid');
  });

  it('accepts returnTo on an allowed origin and refuses a foreign one with 400 (no open redirect)', async () => {
    const ok = await driver.start({
      query: `returnTo=${encodeURIComponent('https://other.example.test/x?y=1')}`,
    });
    expect(ok.statusCode).toBe(302);
    for (const bad of [
      'https://evil.example/',
      '//evil.example/',
      'javascript:alert(1)',
      'https://app.example.test@evil.example/',
      `${'https://app.example.test/'}${'a'.repeat(3000)}`,
    ]) {
      const answer = await driver.start({ query: `returnTo=${encodeURIComponent(bad)}` });
      expect(answer.statusCode, bad).toBe(400);
      expect(answer.headers['content-type']).toContain('application/problem+json');
      expect(JSON.parse(answer.body ?? '{}').code).toBe('return_to_not_allowed');
    }
  });

  it('refuses an unauthenticated call with 401 and a repeated parameter with 400', async () => {
    const anonymous = await driver.start({ sub: '' });
    expect(anonymous.statusCode).toBe(401);
    expect(JSON.parse(anonymous.body ?? '{}').code).toBe('unauthenticated');
    const repeated = await driver.start({ query: 'returnTo=a&returnTo=b' });
    expect(repeated.statusCode).toBe(400);
    expect(JSON.parse(repeated.body ?? '{}').code).toBe('invalid_request');
  });
});

describe('GET /auth/tiktok/callback', () => {
  it('connects the account once confirmed: tokens encrypted, expiries from TikTok, granted scopes, profile, version 1', async () => {
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'happy-user' });
    const consent = driver.consent(authorizeUrl);
    const answer = await driver.callback(consent.query, cookies);
    const outcome = outcomeOf(answer);
    expect(outcome.url.origin + outcome.url.pathname).toBe(`${APP_ORIGIN}/settings/tiktok`);
    expect(answer.cookies?.[0]).toMatch(/^__Host-tiktok_connect_nonce=; .*Max-Age=0/);
    const confirmation = pendingConfirmation(answer);
    // Nothing is connected before the user's own frontend confirms.
    expect(await connectionItems('happy-user')).toHaveLength(0);
    expect(service.events.published).not.toContainEqual(expect.objectContaining({ appUser: 'happy-user' }));
    expect(await driver.confirmCallback(answer, 'happy-user')).toBe(consent.user.openId);
    expect(service.events.published).toContainEqual(
      expect.objectContaining({ type: 'connected', appUser: 'happy-user', openId: consent.user.openId }),
    );

    const [item] = await connectionItems('happy-user');
    expect(item?.sk?.S).toBe(`TIKTOK#${consent.user.openId}`);
    expect(item?.status?.S).toBe('active');
    expect(item?.version?.N).toBe('1');
    expect(item?.displayName?.S).toBe(consent.user.displayName);
    expect(item?.avatarUrl?.S).toMatch(/^http/);
    expect(item?.scopes?.L?.map((s) => s.S)).toEqual([
      'user.info.basic',
      'user.info.profile',
      'user.info.stats',
      'video.list',
    ]);
    const accessExpiresAt = Number(item?.accessExpiresAt?.N);
    const refreshExpiresAt = Number(item?.refreshExpiresAt?.N);
    expect(accessExpiresAt - Date.now()).toBeGreaterThan(86_000_000);
    expect(refreshExpiresAt - Date.now()).toBeGreaterThan(31_000_000_000);
    expect(Number(item?.refreshDueAt?.N)).toBeLessThanOrEqual(accessExpiresAt);
    expect(item?.refreshShard?.S).toMatch(/^DUE#\d+$/);
    expect(item?.keyVersion?.S).toBe(`kms:${deployedPolicies().resources.tokenKeyArn}`);
    const raw = JSON.stringify(item, (_k, v) =>
      v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v,
    );
    expect(raw).not.toMatch(/act\.|rft\./);

    const record = await service.deps.connections.get('happy-user', consent.user.openId);
    const tokens = await service.deps.connections.openTokens(record!);
    expect(tokens.accessToken.reveal()).toMatch(/^act\./);
    expect(tokens.refreshToken.reveal()).toMatch(/^rft\./);
    // The state and the pending result are gone: nothing of the attempt stays behind.
    const keys = (await tableItems()).map((i) => i.pk?.S);
    expect(keys).not.toContain(`STATE#${sha256Hex(consent.state)}`);
    expect(keys).not.toContain(`PENDING#${sha256Hex(confirmation)}`);
  });

  it('sends exactly the token request TikTok documents: form body with client_key, verifier and redirect_uri', async () => {
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'form-user' });
    await driver.callback(driver.consent(authorizeUrl).query, cookies);
    const [token] = service.emulator.calls.list('token');
    expect(token?.status).toBe(200);
    expect(token?.grantType).toBe('authorization_code');
  });

  it('refuses a state used twice: the second callback gets a 400, not a second connection', async () => {
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'twice-user' });
    const consent = driver.consent(authorizeUrl);
    expect(outcomeOf(await driver.callback(consent.query, cookies)).tiktok).toBe('pending');
    const replay = await driver.callback(consent.query, cookies);
    expect(replay.statusCode).toBe(400);
    expect(JSON.parse(replay.body ?? '{}').code).toBe('state_invalid');
    expect(service.emulator.calls.count('token')).toBe(1);
  });

  it('lets exactly one of two concurrent callbacks with the same state succeed', async () => {
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'race-user' });
    const consent = driver.consent(authorizeUrl);
    const answers = await Promise.all([
      driver.callback(consent.query, cookies),
      driver.callback(consent.query, cookies),
    ]);
    const pending = answers.filter((a) => a.statusCode === 302 && outcomeOf(a).tiktok === 'pending');
    const refused = answers.filter((a) => a.statusCode === 400);
    expect(pending).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(service.emulator.calls.count('token')).toBe(1);
    await driver.confirmCallback(pending[0] as (typeof answers)[number], 'race-user');
    expect(await connectionItems('race-user')).toHaveLength(1);
  });

  it('fails an expired state with state_expired and sends the browser back to its return URL', async () => {
    const { authorizeUrl, cookies } = await driver.begin({
      sub: 'late-user',
      query: `returnTo=${encodeURIComponent(`${APP_ORIGIN}/late`)}`,
    });
    const consent = driver.consent(authorizeUrl);
    const realNow = service.deps.now;
    service.deps.now = () => realNow() + 11 * 60 * 1000;
    try {
      const outcome = outcomeOf(await driver.callback(consent.query, cookies));
      expect(outcome.reason).toBe('state_expired');
      expect(outcome.url.pathname).toBe('/late');
    } finally {
      service.deps.now = realNow;
    }
    expect(service.emulator.calls.count('token')).toBe(0);
    expect(await connectionItems('late-user')).toHaveLength(0);
  });

  it('refuses a callback without the cookie or with another browser’s cookie, and keeps the attempt for the right browser', async () => {
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'cookie-user' });
    const consent = driver.consent(authorizeUrl);
    expect(outcomeOf(await driver.callback(consent.query, [])).reason).toBe('state_browser_mismatch');
    const other = await driver.begin({ sub: 'attacker' });
    expect(outcomeOf(await driver.callback(consent.query, other.cookies)).reason).toBe(
      'state_browser_mismatch',
    );
    expect(service.emulator.calls.count('token')).toBe(0);
    expect(outcomeOf(await driver.callback(consent.query, cookies)).tiktok).toBe('pending');
  });

  it('ignores a duplicated nonce cookie (a planted second cookie) instead of trusting either', async () => {
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'dup-cookie-user' });
    const consent = driver.consent(authorizeUrl);
    const planted = `__Host-tiktok_connect_nonce=${'A'.repeat(43)}`;
    expect(outcomeOf(await driver.callback(consent.query, [...cookies, planted])).reason).toBe(
      'state_browser_mismatch',
    );
  });

  it('passes the user declining on TikTok back as tiktok=error&reason=access_denied and consumes the state', async () => {
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'decline-user' });
    const state = new URL(authorizeUrl).searchParams.get('state') as string;
    const query = new URLSearchParams({
      error: 'access_denied',
      error_description: 'User canceled',
      state,
    }).toString();
    expect(outcomeOf(await driver.callback(query, cookies)).reason).toBe('access_denied');
    expect((await driver.callback(query, cookies)).statusCode).toBe(400);
  });

  it('answers 400 JSON when there is no state to find a return URL by', async () => {
    const cases: [string, string][] = [
      ['code=abc', 'state_missing'],
      ['error=access_denied', 'state_missing'],
      ['code=abc&state=not-a-state', 'state_invalid'],
      [`code=abc&state=${'x'.repeat(43)}`, 'state_invalid'],
      ['code=a&state=b&state=c', 'invalid_request'],
      [`code=abc&state=${'%zz'.repeat(3)}`, 'state_invalid'],
      [`code=${'c'.repeat(10_000)}`, 'invalid_request'],
    ];
    for (const [query, code] of cases) {
      const answer = await driver.callback(query);
      expect(answer.statusCode, query.slice(0, 40)).toBe(400);
      expect(JSON.parse(answer.body ?? '{}').code, query.slice(0, 40)).toBe(code);
    }
  });

  it('refuses a missing or overlong code with code_missing', async () => {
    for (const code of [undefined, 'c'.repeat(2049)]) {
      const { authorizeUrl, cookies } = await driver.begin({ sub: 'nocode-user' });
      const state = new URL(authorizeUrl).searchParams.get('state') as string;
      const query = new URLSearchParams({ state, ...(code ? { code } : {}) }).toString();
      expect(outcomeOf(await driver.callback(query, cookies)).reason).toBe('code_missing');
    }
    expect(await connectionItems('nocode-user')).toHaveLength(0);
  });

  it.each([
    ['http_500', 'tiktok_unavailable'],
    ['http_503', 'tiktok_unavailable'],
    ['rate_limit', 'tiktok_rate_limited'],
    ['error_200', 'tiktok_invalid_client'],
    ['invalid_grant', 'tiktok_invalid_grant'],
    ['server_error', 'tiktok_unavailable'],
    ['close', 'tiktok_unavailable'],
    ['hang', 'tiktok_timeout'],
  ] as const)('maps a token exchange failure (%s) to %s and writes nothing', async (kind, reason) => {
    const sub = `fault-${kind}`;
    const { authorizeUrl, cookies } = await driver.begin({ sub });
    service.emulator.faults.push({ endpoint: 'token', kind, count: kind === 'error_200' ? 2 : 1 });
    expect(outcomeOf(await driver.callback(driver.consent(authorizeUrl).query, cookies)).reason).toBe(reason);
    expect(await connectionItems(sub)).toHaveLength(0);
  });

  it('re-reads the client secret once and retries on invalid_client (a rotated secret)', async () => {
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'rotated-secret-user' });
    service.emulator.faults.push({ endpoint: 'token', kind: 'invalid_client', count: 1 });
    expect(outcomeOf(await driver.callback(driver.consent(authorizeUrl).query, cookies)).tiktok).toBe(
      'pending',
    );
    expect(service.emulator.calls.count('token')).toBe(2);
  });

  it('writes no half connection when user info fails after a successful exchange, and revokes the unused grant', async () => {
    await forgetAccount(service.emulator.users[0]?.openId as string);
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'userinfo-fail-user' });
    service.emulator.faults.push({ endpoint: 'user_info', kind: 'http_500' });
    expect(outcomeOf(await driver.callback(driver.consent(authorizeUrl).query, cookies)).reason).toBe(
      'tiktok_unavailable',
    );
    expect(await connectionItems('userinfo-fail-user')).toHaveLength(0);
    expect(service.emulator.calls.count('revoke')).toBe(1);
  });

  it('stores only the scopes the user granted and asks user info only for fields they allow', async () => {
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'few-scopes-user' });
    const consent = driver.consent(authorizeUrl, { scopes: ['user.info.basic', 'video.list'] });
    await driver.confirmCallback(await driver.callback(consent.query, cookies), 'few-scopes-user');
    const [item] = await connectionItems('few-scopes-user');
    expect(item?.scopes?.L?.map((s) => s.S)).toEqual(['user.info.basic', 'video.list']);
    expect(item?.displayName?.S).toBe(consent.user.displayName);
    expect(item?.username).toBeUndefined();
    expect(service.emulator.calls.list('user_info')[0]?.status).toBe(200);
  });

  it('refuses a grant without user.info.basic (the account cannot be identified) and revokes it', async () => {
    await forgetAccount(service.emulator.users[0]?.openId as string);
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'no-basic-user' });
    const consent = driver.consent(authorizeUrl, { scopes: ['video.list'] });
    expect(outcomeOf(await driver.callback(consent.query, cookies)).reason).toBe('scope_missing');
    expect(await connectionItems('no-basic-user')).toHaveLength(0);
    expect(service.emulator.calls.count('revoke')).toBe(1);
  });

  it('reconnecting the same account updates the one connection (version 2); a second account adds another', async () => {
    for (const userIndex of [0, 0, 1]) {
      const { authorizeUrl, cookies } = await driver.begin({ sub: 'multi-user' });
      const answer = await driver.callback(driver.consent(authorizeUrl, { userIndex }).query, cookies);
      await driver.confirmCallback(answer, 'multi-user');
    }
    const items = await connectionItems('multi-user');
    expect(items).toHaveLength(2);
    const first = items.find((i) => i.sk?.S === `TIKTOK#${service.emulator.users[0]?.openId}`);
    expect(first?.version?.N).toBe('2');
    const listed = await service.deps.connections.listForUser('multi-user');
    expect(listed.map((c) => c.openId).sort()).toEqual(
      [service.emulator.users[0]?.openId, service.emulator.users[1]?.openId].sort(),
    );
  });

  it('completes the JSON-mode flow: start → launch → TikTok → callback with the launch cookie', async () => {
    const started = await driver.start({ sub: 'json-user', accept: 'application/json' });
    const launchUrl = new URL(JSON.parse(started.body ?? '{}').authorizeUrl);
    const launched = await driver.launch(launchUrl.search.slice(1));
    const consent = driver.consent(launched.headers.location as string);
    const answer = await driver.callback(consent.query, browserCookies(launched));
    expect(await driver.confirmCallback(answer, 'json-user')).toBe(consent.user.openId);
  });
});

describe('logs', () => {
  it('never contain a token, code, verifier, state, nonce or the client secret', async () => {
    service.logs.length = 0;
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'log-user' });
    const consent = driver.consent(authorizeUrl);
    const answer = await driver.callback(consent.query, cookies);
    const confirmation = pendingConfirmation(answer);
    await driver.confirmCallback(answer, 'log-user');
    const { authorizeUrl: second, cookies: secondCookies } = await driver.begin({ sub: 'log-user' });
    service.emulator.faults.push({ endpoint: 'token', kind: 'error_200', count: 2 });
    await driver.callback(driver.consent(second).query, secondCookies);
    const record = await service.deps.connections.get('log-user', consent.user.openId);
    const tokens = await service.deps.connections.openTokens(record!);
    const secrets = [
      tokens.accessToken.reveal(),
      tokens.refreshToken.reveal(),
      consent.code,
      consent.state,
      confirmation,
      CLIENT_SECRET,
      ...cookies.map((c) => c.split('=')[1] ?? ''),
    ];
    expect(service.logs.length).toBeGreaterThan(3);
    const all = service.logs.join('\n');
    for (const secret of secrets) expect(all).not.toContain(secret);
    for (const line of service.logs) expect(() => JSON.parse(line)).not.toThrow();
    expect(all).toContain('connect_completed');
    expect(all).toMatch(/"tiktokLogId":"[^"]+"/);
  });
});

describe('a reconnect that fails', () => {
  it('does not revoke at TikTok when a stored connection to the account still holds tokens', async () => {
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'reconnect-fail-user' });
    const answer = await driver.callback(driver.consent(authorizeUrl, { userIndex: 1 }).query, cookies);
    await driver.confirmCallback(answer, 'reconnect-fail-user');
    service.emulator.calls.reset();
    const again = await driver.begin({ sub: 'reconnect-fail-user' });
    service.emulator.faults.push({ endpoint: 'user_info', kind: 'http_500' });
    const consent = driver.consent(again.authorizeUrl, { userIndex: 1 });
    expect(outcomeOf(await driver.callback(consent.query, again.cookies)).reason).toBe('tiktok_unavailable');
    expect(service.emulator.calls.count('revoke')).toBe(0);
    const record = await service.deps.connections.get('reconnect-fail-user', consent.user.openId);
    expect(record?.status).toBe('active');
  });

  it('revokes the unsaved grant, and logs an error, when it cannot tell whether a stored connection uses it', async () => {
    const { authorizeUrl, cookies } = await driver.begin({ sub: 'check-fail-user' });
    const first = driver.consent(authorizeUrl, { userIndex: 2 });
    expect(await driver.confirmCallback(await driver.callback(first.query, cookies), 'check-fail-user')).toBe(
      first.user.openId,
    );
    service.emulator.calls.reset();
    // The callback whose look-up of the account's connections fails (as a denied Query did in AWS).
    const callback = await handlerOf(service, 'CallbackFunction', {
      adapt: (deps) => ({
        ...deps,
        connections: new Proxy(deps.connections, {
          get: (target, property) =>
            property === 'findByOpenId'
              ? () => Promise.reject(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }))
              : (Reflect.get(target, property) as () => unknown).bind(target),
        }),
      }),
    });
    const again = await driver.begin({ sub: 'check-fail-user' });
    service.emulator.faults.push({ endpoint: 'user_info', kind: 'http_500' });
    const consent = driver.consent(again.authorizeUrl, { userIndex: 2 });
    const logsBefore = service.logs.length;
    const event = httpApiEvent({
      path: '/auth/tiktok/callback',
      query: consent.query,
      cookies: again.cookies,
    });
    const answer = (await callback(event, lambdaContext)) as HttpAnswer;
    expect(outcomeOf(answer).reason).toBe('tiktok_unavailable');
    expect(service.emulator.calls.count('revoke')).toBe(1);
    const logs = service.logs.slice(logsBefore);
    const checkFailed = logs
      .map((line) => JSON.parse(line))
      .find((entry) => entry.event === 'grant_holders_unknown');
    expect(checkFailed).toMatchObject({ level: 'error' });
    expect(logs.some((line) => line.includes('revoke_skipped_grant_in_use'))).toBe(false);
  });
});
