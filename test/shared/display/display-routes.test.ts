import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiDriver, VIDEO_QUERY } from '../../support/api-driver.js';
import { connectAccount, connectDriver } from '../../support/connect-driver.js';
import { startTestService, type TestService } from '../../support/service.js';

let service: TestService;
let api: ReturnType<typeof apiDriver>;
/** One connected account per emulator user, for app user `alice`. */
const alice = { mia: '', leo: '' };

beforeAll(async () => {
  // A short TikTok timeout keeps the timeout cases quick; the emulator answers in milliseconds.
  service = await startTestService({ env: { TIKTOK_HTTP_TIMEOUT_MS: '400' } });
  api = apiDriver(service);
  alice.mia = await connectAccount(service, 'alice', 0);
  alice.leo = await connectAccount(service, 'alice', 1);
});
afterAll(async () => {
  await service.close();
});
beforeEach(() => {
  service.emulator.faults.clear();
  service.emulator.calls.reset();
});

/** Connects an emulator account for `appUser` granting only `scopes`. */
async function connectWithScopes(appUser: string, scopes: string[], userIndex = 0): Promise<string> {
  const driver = connectDriver(service);
  const { authorizeUrl, cookies } = await driver.begin({ sub: appUser });
  const consent = driver.consent(authorizeUrl, { userIndex, scopes });
  await driver.confirmCallback(await driver.callback(consent.query, cookies), appUser);
  return consent.user.openId;
}

const mia = () => service.emulator.users[0]!;

describe('GET /tiktok/connections/{openId}/profile', () => {
  it('returns the profile with the counters the granted scopes allow, and TikTok’s log_id', async () => {
    const answer = await api.profile('alice', alice.mia);
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    const { profile } = answer.json;
    expect(profile).toMatchObject({
      openId: mia().openId,
      displayName: mia().displayName,
      username: mia().username,
      isVerified: true,
      followerCount: mia().followerCount,
      followingCount: mia().followingCount,
      likesCount: mia().likesCount,
      videoCount: 45,
    });
    expect(answer.json.scopes).toEqual([
      'user.info.basic',
      'user.info.profile',
      'user.info.stats',
      'video.list',
    ]);
    expect(answer.json.cached).toBe(false);
    expect(answer.json.tiktokLogId).toMatch(/\w{10,}/);
    expect(service.emulator.calls.list('user_info').map((c) => c.status)).toEqual([200]);
    expect(service.logs.join('\n')).toContain(`"tiktokLogId":"${answer.json.tiktokLogId}"`);
  });

  it('asks only for fields the granted scopes allow: basic + stats gives counters but no username', async () => {
    const openId = await connectWithScopes('stats-only', ['user.info.basic', 'user.info.stats']);
    service.emulator.calls.reset();
    const answer = await api.profile('stats-only', openId);
    expect(answer.statusCode).toBe(200);
    expect(answer.json.profile.followerCount).toBe(mia().followerCount);
    expect(answer.json.profile.username).toBeUndefined();
    expect(answer.json.profile.bioDescription).toBeUndefined();
    expect(service.emulator.calls.list('user_info')[0]?.status).toBe(200);
  });

  it('refreshes the token once when TikTok calls it invalid mid-request, then succeeds', async () => {
    const before = await service.deps.connections.get('alice', alice.mia);
    service.emulator.faults.push({ endpoint: 'user_info', kind: 'access_token_invalid' });
    const answer = await api.profile('alice', alice.mia);
    expect(answer.statusCode).toBe(200);
    expect(service.emulator.calls.list('user_info').map((c) => c.status)).toEqual([401, 200]);
    expect(service.emulator.calls.count('refresh')).toBe(1);
    const after = await service.deps.connections.get('alice', alice.mia);
    expect(after!.version).toBe(before!.version + 1);
  });

  it('answers 502 when TikTok refuses even the refreshed token (not a 401: the caller’s sign-in is fine)', async () => {
    service.emulator.faults.push({ endpoint: 'user_info', kind: 'access_token_invalid', count: 2 });
    const answer = await api.profile('alice', alice.mia);
    expect(answer.statusCode).toBe(502);
    expect(answer.json.code).toBe('tiktok_access_token_invalid');
    expect(answer.json.tiktokLogId).toBeTruthy();
    expect(service.emulator.calls.count('user_info')).toBe(2);
  });
});

describe('GET /tiktok/connections/{openId}/videos', () => {
  it('pages through all 45 videos, 20 at a time: no duplicates, ids kept strings, hasMore false at the end', async () => {
    const pages = [];
    let cursor: string | undefined;
    do {
      const query = cursor === undefined ? 'limit=20' : `limit=20&cursor=${cursor}`;
      const answer = await api.videos('alice', alice.mia, query);
      expect(answer.statusCode).toBe(200);
      pages.push(answer.json);
      cursor = answer.json.hasMore ? answer.json.cursor : undefined;
    } while (cursor !== undefined && pages.length < 5);

    expect(pages.map((page) => page.videos.length)).toEqual([20, 20, 5]);
    expect(pages.map((page) => page.hasMore)).toEqual([true, true, false]);
    const videos = pages.flatMap((page) => page.videos);
    expect(videos.map((video) => video.id)).toEqual(mia().videos.map((video) => video.id));
    expect(new Set(videos.map((video) => video.id)).size).toBe(45);
    for (const video of videos) {
      expect(typeof video.id).toBe('string');
      expect(video.id).toMatch(/^\d{19}$/);
      expect(video.createdAt).toBe(new Date(video.createTime * 1000).toISOString());
      expect(video.coverImageUrl).toMatch(/^http/);
    }
    // The cursor is milliseconds (the last video's create_time × 1000), carried as a string.
    const firstPage = pages[0];
    expect(typeof firstPage.cursor).toBe('string');
    expect(firstPage.cursor).toBe(String(firstPage.videos.at(-1).createTime * 1000));
    expect(service.emulator.calls.count('video_list')).toBe(3);
  });

  it('defaults to 10 videos from the newest', async () => {
    const answer = await api.videos('alice', alice.mia);
    expect(answer.json.videos).toHaveLength(10);
    expect(answer.json.videos[0].id).toBe(mia().videos[0]?.id);
    expect(answer.json.hasMore).toBe(true);
  });

  it('returns an empty last page for an account without videos', async () => {
    const openId = await connectAccount(service, 'ava-fan', 2);
    const answer = await api.videos('ava-fan', openId);
    expect(answer.statusCode).toBe(200);
    expect(answer.json).toMatchObject({ videos: [], hasMore: false });
  });

  it.each([
    ['limit=0', 'limit must be an integer from 1 to 20'],
    ['limit=21', 'limit must be an integer from 1 to 20'],
    ['limit=abc', 'limit must be an integer from 1 to 20'],
    ['limit=', 'limit must be an integer from 1 to 20'],
    ['limit=5&limit=6', 'Query parameter limit is repeated'],
    ['cursor=-1', 'cursor must be a non-negative integer'],
    ['cursor=abc', 'cursor must be a non-negative integer'],
    ['cursor=1.5', 'cursor must be a non-negative integer'],
    ['cursor=9999999999999999', 'cursor is too large'],
  ])('refuses %s with a clear 400 and no TikTok call', async (query, message) => {
    const answer = await api.videos('alice', alice.mia, query);
    expect(answer.statusCode).toBe(400);
    expect(answer.headers['content-type']).toContain('application/problem+json');
    expect(answer.json.code).toBe('invalid_request');
    expect(answer.json.detail).toContain(message);
    expect(service.emulator.calls.count()).toBe(0);
  });

  it('refuses a connection without video.list with 403, naming the scope and how to connect again', async () => {
    const openId = await connectWithScopes('no-videos', ['user.info.basic', 'user.info.profile']);
    service.emulator.calls.reset();
    const answer = await api.videos('no-videos', openId);
    expect(answer.statusCode).toBe(403);
    expect(answer.json).toMatchObject({
      code: 'scope_missing',
      status: 403,
      missingScopes: ['video.list'],
      reconnectUrl: '/auth/tiktok/start?force=1',
    });
    expect(answer.json.type).toBe('urn:tiktok-connect:problem:scope_missing');
    expect(answer.json.title).toBeTruthy();
    expect(service.emulator.calls.count()).toBe(0);
  });

  it('maps TikTok’s own scope_not_authorized to 403 with the scope and its log_id', async () => {
    service.emulator.faults.push({
      endpoint: 'video_list',
      kind: 'error_200',
      errorCode: 'scope_not_authorized',
    });
    const answer = await api.videos('alice', alice.mia);
    expect(answer.statusCode).toBe(403);
    expect(answer.json).toMatchObject({
      code: 'tiktok_scope_not_authorized',
      missingScopes: ['video.list'],
      reconnectUrl: '/auth/tiktok/start?force=1',
    });
    expect(answer.json.tiktokLogId).toBeTruthy();
  });

  it('answers TikTok’s 429 with our 429 and Retry-After, without hammering TikTok', async () => {
    service.emulator.faults.push({ endpoint: 'video_list', kind: 'rate_limit' });
    const answer = await api.videos('alice', alice.mia);
    expect(answer.statusCode).toBe(429);
    expect(answer.headers['retry-after']).toBe('60');
    expect(answer.json.code).toBe('tiktok_rate_limited');
    expect(answer.json.tiktokLogId).toBeTruthy();
    expect(service.emulator.calls.count('video_list')).toBe(1);
  });

  it('retries a TikTok 5xx and succeeds on the second attempt', async () => {
    service.emulator.faults.push({ endpoint: 'video_list', kind: 'http_500' });
    const answer = await api.videos('alice', alice.mia);
    expect(answer.statusCode).toBe(200);
    expect(service.emulator.calls.list('video_list').map((c) => c.status)).toEqual([500, 200]);
  });

  it('answers 502 with TikTok’s log_id after two retries of a failing TikTok', async () => {
    service.emulator.faults.push({ endpoint: 'video_list', kind: 'http_500', count: 3 });
    service.logs.length = 0;
    const answer = await api.videos('alice', alice.mia);
    expect(answer.statusCode).toBe(502);
    expect(answer.json.code).toBe('tiktok_unavailable');
    expect(answer.json.tiktokLogId).toBeTruthy();
    expect(service.emulator.calls.count('video_list')).toBe(3);
    const logs = service.logs.join('\n');
    expect(logs.match(/tiktok_display_retry/g)).toHaveLength(2);
    expect(logs).toContain(`"tiktokLogId":"${answer.json.tiktokLogId}"`);
  });

  it('answers 504 when TikTok does not answer in time, after two retries', async () => {
    service.emulator.faults.push({ endpoint: 'video_list', kind: 'hang', count: 3 });
    const answer = await api.videos('alice', alice.mia);
    expect(answer.statusCode).toBe(504);
    expect(answer.json.code).toBe('tiktok_timeout');
    expect(service.emulator.calls.count('video_list')).toBe(3);
  });

  it('retries an internal_error TikTok sends with HTTP 200', async () => {
    service.emulator.faults.push({ endpoint: 'video_list', kind: 'error_200' });
    const answer = await api.videos('alice', alice.mia);
    expect(answer.statusCode).toBe(200);
    expect(service.emulator.calls.count('video_list')).toBe(2);
  });
});

describe('POST /tiktok/connections/{openId}/videos/query', () => {
  it('returns the account’s own videos with fresh covers and names the ids TikTok did not return', async () => {
    const own = mia()
      .videos.slice(0, 2)
      .map((video) => video.id);
    const foreign = service.emulator.users[1]!.videos[0]!.id;
    const answer = await api.queryVideos('alice', alice.mia, [...own, foreign]);
    expect(answer.statusCode).toBe(200);
    expect(answer.json.videos.map((video: { id: string }) => video.id)).toEqual(own);
    expect(answer.json.missingIds).toEqual([foreign]);
    expect(answer.json.videos[0].coverImageUrl).toMatch(/x-expires=\d+/);
    expect(answer.json.tiktokLogId).toBeTruthy();
  });

  it.each([
    [
      '21 ids',
      { ids: Array.from({ length: 21 }, (_, i) => String(7_000_000_000_000_000_000n + BigInt(i))) },
      'at most 20',
    ],
    ['no ids', { ids: [] }, 'at least one'],
    ['a non-digit id', { ids: ['12a'] }, 'string of digits'],
    ['a numeric id', { ids: [123] }, 'body ids.0'],
    ['no ids field', {}, 'body ids'],
    ['an unknown field', { ids: ['1'], extra: true }, 'extra'],
    ['an array body', ['1'], 'body'],
  ])('refuses %s with 400', async (_label, body, message) => {
    const answer = await api.call(VIDEO_QUERY, {
      sub: 'alice',
      openId: alice.mia,
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    expect(answer.statusCode).toBe(400);
    expect(answer.json.code).toBe('invalid_request');
    expect(answer.json.detail).toContain(message);
    expect(service.emulator.calls.count()).toBe(0);
  });

  it('refuses a body that is not JSON (400), not declared JSON (415) or larger than 16 KB (413)', async () => {
    const send = (body: string, headers: Record<string, string>) =>
      api.call(VIDEO_QUERY, { sub: 'alice', openId: alice.mia, body, headers });
    const json = { 'content-type': 'application/json; charset=utf-8' };
    const notJson = await send('{"ids": [', json);
    expect([notJson.statusCode, notJson.json.code]).toEqual([400, 'invalid_request']);
    const wrongType = await send('{"ids":["1"]}', { 'content-type': 'text/plain' });
    expect([wrongType.statusCode, wrongType.json.code]).toEqual([415, 'unsupported_media_type']);
    const noType = await send('{"ids":["1"]}', {});
    expect(noType.statusCode).toBe(415);
    const huge = await send(JSON.stringify({ ids: ['1'], pad: 'x'.repeat(17_000) }), json);
    expect([huge.statusCode, huge.json.code]).toEqual([413, 'payload_too_large']);
    expect(service.emulator.calls.count()).toBe(0);
  });
});

describe('whose connection', () => {
  it('answers 404 for another user’s connection exactly as for one that does not exist', async () => {
    const theirs = await api.profile('mallory', alice.mia);
    const unknown = await api.profile('mallory', '00000000-0000-4000-8000-000000000000');
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json.code).toBe('connection_not_found');
    expect(unknown.json).toEqual({ ...theirs.json });
    for (const answer of [
      await api.videos('mallory', alice.mia),
      await api.queryVideos('mallory', alice.mia, ['1']),
    ]) {
      expect(answer.statusCode).toBe(404);
    }
    expect(service.emulator.calls.count()).toBe(0);
  });

  it('answers 409 with the re-connect hint when the connection needs the user to connect again', async () => {
    const openId = await connectAccount(service, 'lapsed', 1);
    await service.deps.connections.markUnusable({
      key: { appUser: 'lapsed', openId },
      status: 'reauth_required',
      reason: 'invalid_grant',
      now: Date.now(),
    });
    service.emulator.calls.reset();
    for (const answer of [await api.profile('lapsed', openId), await api.videos('lapsed', openId)]) {
      expect(answer.statusCode).toBe(409);
      expect(answer.json).toMatchObject({
        code: 'connection_reauth_required',
        reconnectUrl: '/auth/tiktok/start?force=1',
      });
    }
    expect(service.emulator.calls.count()).toBe(0);
  });

  it('refuses a malformed openId with 400 and a missing sign-in with 401', async () => {
    const malformed = await api.profile('alice', 'not an open id');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json.detail).toContain('openId');
    const anonymous = await api.profile('', alice.mia);
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json.code).toBe('unauthenticated');
  });
});

describe('GET /tiktok/connections', () => {
  it('lists the user’s connections without tokens, and drops one once disconnected', async () => {
    const openId = await connectAccount(service, 'lister', 0);
    await connectAccount(service, 'lister', 1);
    const listed = await api.connections('lister');
    expect(listed.statusCode).toBe(200);
    expect(listed.json.connections).toHaveLength(2);
    const connection = listed.json.connections.find((c: { openId: string }) => c.openId === openId);
    expect(connection).toMatchObject({
      displayName: mia().displayName,
      status: 'active',
      scopes: ['user.info.basic', 'user.info.profile', 'user.info.stats', 'video.list'],
    });
    expect(Date.parse(connection.accessTokenExpiresAt)).toBeGreaterThan(Date.now());
    expect(Date.parse(connection.refreshTokenExpiresAt)).toBeGreaterThan(Date.now());
    expect(listed.body).not.toMatch(/act\.|rft\./);

    expect((await api.disconnect('lister', openId)).statusCode).toBe(200);
    const after = await api.connections('lister');
    expect(after.json.connections.map((c: { openId: string }) => c.openId)).not.toContain(openId);
    expect((await api.profile('lister', openId)).statusCode).toBe(404);
  });
});
