import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TikTokEmulator } from '../../../local/tiktok-emulator/index.js';
import {
  connectUser,
  type DisplayBody,
  getUserInfo,
  postVideos,
  refresh,
  startEmulator,
  type TokenBody,
  userNamed,
} from './emulator-fixture.js';

let emulator: TikTokEmulator;
let tokens: TokenBody;

beforeEach(async () => {
  emulator = await startEmulator();
  tokens = await connectUser(emulator, userNamed(emulator, 'Mia Moves').openId);
});
afterEach(() => emulator.close());

async function refreshOutcome() {
  const response = await refresh(emulator, tokens.refresh_token);
  return { status: response.status, text: await response.text() };
}

describe('faults on the OAuth endpoints', () => {
  it('http_500 answers an HTML 500 and leaves the refresh token usable', async () => {
    emulator.faults.push({ endpoint: 'refresh', kind: 'http_500' });

    const failed = await refreshOutcome();

    expect(failed.status).toBe(500);
    expect(failed.text).toContain('<html>');
    expect((await refreshOutcome()).status).toBe(200);
  });

  it('http_503 answers a 503 gateway page', async () => {
    emulator.faults.push({ endpoint: 'refresh', kind: 'http_503' });

    expect((await refreshOutcome()).status).toBe(503);
  });

  it('rate_limit answers 429 with an OAuth error body', async () => {
    emulator.faults.push({ endpoint: 'refresh', kind: 'rate_limit' });

    const failed = await refreshOutcome();

    expect(failed.status).toBe(429);
    expect(JSON.parse(failed.text)).toMatchObject({
      error: 'temporarily_unavailable',
      log_id: expect.any(String),
    });
  });

  it('error_200 answers HTTP 200 with an OAuth error body, invalid_client unless told otherwise', async () => {
    emulator.faults.push({ endpoint: 'refresh', kind: 'error_200' });
    emulator.faults.push({ endpoint: 'refresh', kind: 'error_200', errorCode: 'invalid_grant' });

    const first = await refreshOutcome();
    const second = await refreshOutcome();

    expect(first.status).toBe(200);
    expect(JSON.parse(first.text)).toMatchObject({ error: 'invalid_client' });
    expect(JSON.parse(first.text)).not.toHaveProperty('access_token');
    expect(second.status).toBe(200);
    expect(JSON.parse(second.text)).toMatchObject({ error: 'invalid_grant' });
  });

  it.each([
    ['invalid_grant', 400],
    ['invalid_client', 401],
    ['server_error', 500],
    ['temporarily_unavailable', 503],
  ] as const)('%s answers that OAuth error with HTTP %i', async (kind, status) => {
    emulator.faults.push({ endpoint: 'refresh', kind });

    const failed = await refreshOutcome();

    expect(failed.status).toBe(status);
    expect(JSON.parse(failed.text)).toEqual({
      error: kind,
      error_description: expect.any(String),
      log_id: expect.any(String),
    });
  });

  it('rotate_then_fail rotates the refresh token, then answers 500', async () => {
    emulator.faults.push({ endpoint: 'refresh', kind: 'rotate_then_fail' });

    const failed = await refreshOutcome();
    const retried = await refreshOutcome();

    expect(failed.status).toBe(500);
    expect(JSON.parse(failed.text)).toMatchObject({ error: 'server_error' });
    expect(retried.status).toBe(400);
    expect(JSON.parse(retried.text)).toMatchObject({ error: 'invalid_grant' });
  });

  it("'token' faults hit the authorization_code grant only", async () => {
    emulator.faults.push({ endpoint: 'token', kind: 'server_error' });

    expect((await refreshOutcome()).status).toBe(200);
    await expect(connectUser(emulator, userNamed(emulator, 'Leo Bakes').openId)).rejects.toThrow(
      /server_error/,
    );
  });

  it('applies to revoke', async () => {
    emulator.faults.push({ endpoint: 'revoke', kind: 'temporarily_unavailable' });

    const response = await fetch(`${emulator.apiBaseUrl}/v2/oauth/revoke/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_key: 'x', client_secret: 'y', token: tokens.access_token }),
    });

    expect(response.status).toBe(503);
    expect((await getUserInfo(emulator, tokens.access_token, 'open_id')).status).toBe(200);
  });
});

describe('faults on the Display API', () => {
  it('http_500 answers internal_error', async () => {
    emulator.faults.push({ endpoint: 'user_info', kind: 'http_500' });

    const response = await getUserInfo(emulator, tokens.access_token, 'open_id');

    expect(response.status).toBe(500);
    expect(((await response.json()) as DisplayBody).error.code).toBe('internal_error');
  });

  it('rate_limit answers 429 rate_limit_exceeded', async () => {
    emulator.faults.push({ endpoint: 'video_list', kind: 'rate_limit' });

    const response = await postVideos(emulator, 'list', tokens.access_token, {});

    expect(response.status).toBe(429);
    expect(((await response.json()) as DisplayBody).error.code).toBe('rate_limit_exceeded');
  });

  it('access_token_invalid answers 401 for a token that is in fact valid', async () => {
    emulator.faults.push({ endpoint: 'video_query', kind: 'access_token_invalid' });

    const response = await postVideos(emulator, 'query', tokens.access_token, {
      filters: { video_ids: ['1'] },
    });

    expect(response.status).toBe(401);
    expect(((await response.json()) as DisplayBody).error.code).toBe('access_token_invalid');
  });

  it('error_200 answers HTTP 200 with an error code other than ok', async () => {
    emulator.faults.push({ endpoint: 'user_info', kind: 'error_200', errorCode: 'scope_not_authorized' });

    const response = await getUserInfo(emulator, tokens.access_token, 'open_id');

    expect(response.status).toBe(200);
    expect(((await response.json()) as DisplayBody).error.code).toBe('scope_not_authorized');
  });
});

describe('transport faults', () => {
  it('slow waits delayMs, then answers normally', async () => {
    emulator.faults.push({ endpoint: 'user_info', kind: 'slow', delayMs: 60 });
    const started = performance.now();

    const response = await getUserInfo(emulator, tokens.access_token, 'open_id');

    expect(response.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(50);
  });

  it('hang never answers, and close() still returns', async () => {
    emulator.faults.push({ endpoint: 'user_info', kind: 'hang' });

    const hung = getUserInfo(emulator, tokens.access_token, 'open_id');
    await vi.waitFor(() => expect(emulator.calls.count('user_info')).toBe(1));
    const timedOut = fetch(`${emulator.apiBaseUrl}/v2/user/info/?fields=open_id`, {
      signal: AbortSignal.timeout(50),
    });

    await expect(timedOut).resolves.toHaveProperty('status', 401);
    await emulator.close();
    await expect(hung).rejects.toThrow();
    expect(emulator.calls.list('user_info')[0]).toMatchObject({ status: 0, fault: 'hang' });
  });

  it('hang lets a client time out', async () => {
    emulator.faults.push({ endpoint: 'refresh', kind: 'hang' });

    await expect(
      refresh(emulator, tokens.refresh_token, { signal: AbortSignal.timeout(50) }),
    ).rejects.toThrow();
  });

  it('close drops the connection in the middle of the body', async () => {
    emulator.faults.push({ endpoint: 'refresh', kind: 'close' });

    const response = await refresh(emulator, tokens.refresh_token).catch((error: unknown) => error);
    const body = response instanceof Response ? response.text() : Promise.reject(response);

    await expect(body).rejects.toThrow();
    expect((await refreshOutcome()).status).toBe(200);
  });

  it('latencyMs delays every API call', async () => {
    emulator.setOptions({ latencyMs: 40 });
    const started = performance.now();

    await getUserInfo(emulator, tokens.access_token, 'open_id');

    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
  });
});

describe('the fault queue', () => {
  it('consumes faults in order, count times each', async () => {
    emulator.faults.push({ endpoint: 'refresh', kind: 'http_503', count: 2 });
    emulator.faults.push({ endpoint: 'any', kind: 'server_error' });

    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await refreshOutcome()).status);

    expect(statuses).toEqual([503, 503, 500, 200]);
    expect(emulator.faults.list()).toEqual([]);
    expect(emulator.calls.list('refresh').map((call) => call.fault)).toEqual([
      'http_503',
      'http_503',
      'server_error',
      undefined,
    ]);
  });

  it("lets an 'any' fault skip endpoints it cannot apply to", async () => {
    emulator.faults.push({ endpoint: 'any', kind: 'access_token_invalid' });

    expect((await refreshOutcome()).status).toBe(200);
    expect(emulator.faults.list()).toHaveLength(1);
  });

  it('refuses faults that cannot happen on their endpoint, and clears', () => {
    expect(() => emulator.faults.push({ endpoint: 'user_info', kind: 'rotate_then_fail' })).toThrow(
      TypeError,
    );
    expect(() => emulator.faults.push({ endpoint: 'token', kind: 'access_token_invalid' })).toThrow(
      TypeError,
    );
    emulator.faults.push({ endpoint: 'any', kind: 'http_500', count: 3 });

    emulator.faults.clear();

    expect(emulator.faults.list()).toEqual([]);
  });

  it('is driven over HTTP at /__emulator/faults', async () => {
    const url = `${emulator.origin}/__emulator/faults`;
    const post = (body: unknown) => fetch(url, { method: 'POST', body: JSON.stringify(body) });

    const created = await post({ endpoint: 'refresh', kind: 'rate_limit', count: 2 });
    const refused = await post({ endpoint: 'refresh', kind: 'explode' });
    const listed = (await (await fetch(url)).json()) as { faults: unknown[] };
    const hit = await refreshOutcome();
    const cleared = await fetch(url, { method: 'DELETE' });

    expect(created.status).toBe(201);
    expect(refused.status).toBe(400);
    expect(listed.faults).toEqual([{ endpoint: 'refresh', kind: 'rate_limit', remaining: 2, delayMs: 0 }]);
    expect(hit.status).toBe(429);
    expect(cleared.status).toBe(200);
    expect((await refreshOutcome()).status).toBe(200);
  });
});
