import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TikTokEmulator } from '../../../local/tiktok-emulator/index.js';
import {
  CLIENT_KEY,
  CLIENT_SECRET,
  connectUser,
  exchangeCode,
  getUserInfo,
  pkcePair,
  postForm,
  REDIRECT_URI,
  refresh,
  startEmulator,
  type TokenBody,
  userNamed,
} from './emulator-fixture.js';

/** RFC 7636 appendix B. */
const RFC_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const RFC_CHALLENGE_BASE64URL = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const RFC_CHALLENGE_HEX = '13d31e961a1ad8ec2f16b10c4c982e0876a878ad6df144566ee1894acb70f9c3';

let emulator: TikTokEmulator;
let miaId: string;

beforeEach(async () => {
  emulator = await startEmulator();
  miaId = userNamed(emulator, 'Mia Moves').openId;
});
afterEach(async () => {
  vi.useRealTimers();
  await emulator.close();
});

function issue(challenge: string, scopes = ['user.info.basic', 'video.list']) {
  return emulator.issueCode({
    userId: miaId,
    scopes,
    redirectUri: REDIRECT_URI,
    codeChallenge: challenge,
    codeChallengeMethod: 'S256',
  });
}

function revoke(token: string, secret = CLIENT_SECRET) {
  return postForm(`${emulator.apiBaseUrl}/v2/oauth/revoke/`, {
    client_key: CLIENT_KEY,
    client_secret: secret,
    token,
  });
}

describe('POST /v2/oauth/token/ (authorization_code)', () => {
  it('exchanges a code for TikTok-shaped tokens', async () => {
    const { verifier, challenge } = pkcePair();

    const response = await exchangeCode(emulator, { code: issue(challenge), codeVerifier: verifier });
    const body = (await response.json()) as TokenBody;

    expect(response.status).toBe(200);
    expect(response.headers.get('x-tt-logid')).toMatch(/^\d{14}[0-9A-F]{20}$/);
    expect(body).toEqual({
      access_token: expect.stringMatching(/^act\.[A-Za-z0-9]+(!\d{4})?$/),
      expires_in: 86_400,
      open_id: miaId,
      refresh_token: expect.stringMatching(/^rft\.[A-Za-z0-9]+(!\d{4})?$/),
      refresh_expires_in: 31_536_000,
      scope: 'user.info.basic,video.list',
      token_type: 'Bearer',
    });
  });

  it('issues tokens with and without "!" and accepts them back through a form body', async () => {
    const first = await connectUser(emulator, miaId);
    const second = await connectUser(emulator, miaId);
    const tokens = [first.access_token, first.refresh_token, second.access_token, second.refresh_token];

    expect(tokens.some((token) => token.includes('!'))).toBe(true);
    expect(tokens.some((token) => !token.includes('!'))).toBe(true);
    const withBang = [first, second].find((t) => t.refresh_token.includes('!')) ?? first;
    expect((await refresh(emulator, withBang.refresh_token)).status).toBe(200);
  });

  it('uses the expires_in values set through setOptions', async () => {
    emulator.setOptions({ accessTokenTtlSeconds: 7200, refreshTokenTtlSeconds: 15_552_000 });

    const tokens = await connectUser(emulator, miaId);

    expect(tokens.expires_in).toBe(7200);
    expect(tokens.refresh_expires_in).toBe(15_552_000);
  });

  it('checks the RFC 7636 vector as lower-case hex by default (TikTok style)', async () => {
    expect(createHash('sha256').update(RFC_VERIFIER).digest('hex')).toBe(RFC_CHALLENGE_HEX);

    const hex = await exchangeCode(emulator, { code: issue(RFC_CHALLENGE_HEX), codeVerifier: RFC_VERIFIER });
    const rfc = await exchangeCode(emulator, {
      code: issue(RFC_CHALLENGE_BASE64URL),
      codeVerifier: RFC_VERIFIER,
    });

    expect(hex.status).toBe(200);
    expect(rfc.status).toBe(400);
    expect(await rfc.json()).toEqual({
      error: 'invalid_request',
      error_description: 'Code verifier or code challenge is invalid.',
      log_id: rfc.headers.get('x-tt-logid'),
    });
  });

  it('checks base64url challenges when configured so', async () => {
    expect(createHash('sha256').update(RFC_VERIFIER).digest('base64url')).toBe(RFC_CHALLENGE_BASE64URL);
    emulator.setOptions({ pkceEncoding: 'base64url' });

    const rfc = await exchangeCode(emulator, {
      code: issue(RFC_CHALLENGE_BASE64URL),
      codeVerifier: RFC_VERIFIER,
    });
    const hex = await exchangeCode(emulator, { code: issue(RFC_CHALLENGE_HEX), codeVerifier: RFC_VERIFIER });

    expect(rfc.status).toBe(200);
    expect(((await hex.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('refuses a missing or too short code_verifier', async () => {
    const shortVerifier = 'a'.repeat(42);
    const code = issue(createHash('sha256').update(shortVerifier).digest('hex'));

    const response = await exchangeCode(emulator, { code, codeVerifier: shortVerifier });

    expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('refuses a code used twice', async () => {
    const { verifier, challenge } = pkcePair();
    const code = issue(challenge);

    const first = await exchangeCode(emulator, { code, codeVerifier: verifier });
    const second = await exchangeCode(emulator, { code, codeVerifier: verifier });

    expect(first.status).toBe(200);
    expect(second.status).toBe(400);
    expect(((await second.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('refuses a code older than 5 minutes', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { verifier, challenge } = pkcePair();
    const code = issue(challenge);
    vi.setSystemTime(Date.now() + 5 * 60_000 + 1);

    const response = await exchangeCode(emulator, { code, codeVerifier: verifier });

    expect(await response.json()).toMatchObject({
      error: 'invalid_grant',
      error_description: expect.any(String),
    });
  });

  it('refuses a redirect_uri different from the authorize request', async () => {
    const { verifier, challenge } = pkcePair();

    const response = await exchangeCode(emulator, {
      code: issue(challenge),
      codeVerifier: verifier,
      redirectUri: `${REDIRECT_URI}?x=1`,
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: 'invalid_grant',
      error_description: 'Redirect_uri is not matched with the uri when requesting code.',
    });
  });

  it('refuses wrong client credentials with invalid_client', async () => {
    const { verifier, challenge } = pkcePair();
    const response = await postForm(`${emulator.apiBaseUrl}/v2/oauth/token/`, {
      client_key: CLIENT_KEY,
      client_secret: 'wrong',
      grant_type: 'authorization_code',
      code: issue(challenge),
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    });

    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_client');
  });

  it('refuses a JSON body', async () => {
    const { verifier, challenge } = pkcePair();
    const response = await fetch(`${emulator.apiBaseUrl}/v2/oauth/token/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_key: CLIENT_KEY,
        client_secret: CLIENT_SECRET,
        grant_type: 'authorization_code',
        code: issue(challenge),
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
      }),
    });

    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('refuses an unknown grant type', async () => {
    const response = await postForm(`${emulator.apiBaseUrl}/v2/oauth/token/`, {
      client_key: CLIENT_KEY,
      client_secret: CLIENT_SECRET,
      grant_type: 'password',
    });

    expect(((await response.json()) as { error: string }).error).toBe('unsupported_grant_type');
  });

  it('answers 404 without the trailing slash', async () => {
    const response = await postForm(`${emulator.apiBaseUrl}/v2/oauth/token`, { grant_type: 'refresh_token' });

    expect(response.status).toBe(404);
  });

  it('logs grant type, status, error and open_id but no tokens', async () => {
    const tokens = await connectUser(emulator, miaId);
    await refresh(emulator, 'rft.unknown');

    const calls = emulator.calls.list();

    expect(calls).toEqual([
      expect.objectContaining({
        endpoint: 'token',
        grantType: 'authorization_code',
        status: 200,
        openId: miaId,
      }),
      expect.objectContaining({
        endpoint: 'refresh',
        grantType: 'refresh_token',
        status: 400,
        errorCode: 'invalid_grant',
      }),
    ]);
    expect(JSON.stringify(calls)).not.toContain(tokens.access_token);
    expect(emulator.calls.count('token')).toBe(1);
    emulator.calls.reset();
    expect(emulator.calls.count()).toBe(0);
  });
});

describe('POST /v2/oauth/token/ (refresh_token)', () => {
  it('rotates both tokens and kills the old pair', async () => {
    const first = await connectUser(emulator, miaId);

    const response = await refresh(emulator, first.refresh_token);
    const second = (await response.json()) as TokenBody;
    const reused = await refresh(emulator, first.refresh_token);

    expect(response.status).toBe(200);
    expect(second.open_id).toBe(miaId);
    expect(second.scope).toBe(first.scope);
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(reused.status).toBe(400);
    expect(((await reused.json()) as { error: string }).error).toBe('invalid_grant');
    expect((await getUserInfo(emulator, first.access_token, 'open_id')).status).toBe(401);
    expect((await getUserInfo(emulator, second.access_token, 'open_id')).status).toBe(200);
  });

  it('refuses an expired refresh token', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    emulator.setOptions({ refreshTokenTtlSeconds: 60 });
    const tokens = await connectUser(emulator, miaId);
    vi.setSystemTime(Date.now() + 61_000);

    const response = await refresh(emulator, tokens.refresh_token);

    expect(await response.json()).toMatchObject({
      error: 'invalid_grant',
      error_description: 'Refresh token is expired.',
    });
  });

  it('lets an expired access token be renewed with the refresh token', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    emulator.setOptions({ accessTokenTtlSeconds: 60 });
    const tokens = await connectUser(emulator, miaId);
    vi.setSystemTime(Date.now() + 61_000);

    const expired = await getUserInfo(emulator, tokens.access_token, 'open_id');
    const renewed = (await (await refresh(emulator, tokens.refresh_token)).json()) as TokenBody;

    expect(expired.status).toBe(401);
    expect((await getUserInfo(emulator, renewed.access_token, 'open_id')).status).toBe(200);
  });
});

describe('POST /v2/oauth/revoke/', () => {
  it('invalidates the access and refresh tokens of the user', async () => {
    const tokens = await connectUser(emulator, miaId);

    const response = await revoke(tokens.access_token);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    expect((await getUserInfo(emulator, tokens.access_token, 'open_id')).status).toBe(401);
    expect((await refresh(emulator, tokens.refresh_token)).status).toBe(400);
    expect(emulator.calls.list('revoke')).toEqual([expect.objectContaining({ status: 200, openId: miaId })]);
  });

  it('revokes nothing with an expired access token (answered as an unknown token): the refresh token lives on', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    emulator.setOptions({ accessTokenTtlSeconds: 60 });
    const tokens = await connectUser(emulator, miaId);
    vi.setSystemTime(Date.now() + 61_000);

    const response = await revoke(tokens.access_token);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    expect((await refresh(emulator, tokens.refresh_token)).status).toBe(200);
  });

  it('leaves other users connected', async () => {
    const mia = await connectUser(emulator, miaId);
    const leo = await connectUser(emulator, userNamed(emulator, 'Leo Bakes').openId);

    await revoke(mia.access_token);

    expect((await getUserInfo(emulator, leo.access_token, 'open_id')).status).toBe(200);
  });

  it('refuses wrong client credentials', async () => {
    const tokens = await connectUser(emulator, miaId);

    const response = await revoke(tokens.access_token, 'wrong');

    expect(response.status).toBe(401);
    expect((await getUserInfo(emulator, tokens.access_token, 'open_id')).status).toBe(200);
  });

  it('revokeUser kills every token of the user, as when they remove the app', async () => {
    const tokens = await connectUser(emulator, miaId);

    emulator.revokeUser(miaId);

    expect((await getUserInfo(emulator, tokens.access_token, 'open_id')).status).toBe(401);
    expect((await refresh(emulator, tokens.refresh_token)).status).toBe(400);
  });
});
