import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TikTokEmulator } from '../../../local/tiktok-emulator/index.js';
import {
  ALL_SCOPES,
  CLIENT_KEY,
  exchangeCode,
  pkcePair,
  REDIRECT_URI,
  startEmulator,
  type TokenBody,
  userNamed,
} from './emulator-fixture.js';

let emulator: TikTokEmulator;

beforeEach(async () => {
  emulator = await startEmulator();
});
afterEach(() => emulator.close());

function authorizeUrl(
  overrides: Record<string, string | undefined> = {},
  challenge = pkcePair().challenge,
): string {
  const params: Record<string, string | undefined> = {
    client_key: CLIENT_KEY,
    response_type: 'code',
    scope: ALL_SCOPES.join(','),
    redirect_uri: REDIRECT_URI,
    state: 'st-123',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    disable_auto_auth: '1',
    ...overrides,
  };
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) query.set(name, value);
  return `${emulator.authorizeUrl}?${query}`;
}

function hiddenFields(html: string): URLSearchParams {
  const form = new URLSearchParams();
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    const value = (match[2] ?? '')
      .replaceAll('&quot;', '"')
      .replaceAll('&#39;', "'")
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>')
      .replaceAll('&amp;', '&');
    form.append(match[1] ?? '', value);
  }
  return form;
}

/** Submits the consent form the way a browser would (disabled checkboxes are not sent). */
async function decide(
  url: string,
  choice: { decision: 'authorize' | 'cancel'; userId?: string; ticked?: string[] },
): Promise<URL> {
  const page = await fetch(url);
  expect(page.status).toBe(200);
  const form = hiddenFields(await page.text());
  form.set('decision', choice.decision);
  if (choice.userId !== undefined) form.set('user', choice.userId);
  for (const scope of choice.ticked ?? ALL_SCOPES.filter((s) => s !== 'user.info.basic'))
    form.append('scope', scope);
  const response = await fetch(`${emulator.origin}/v2/auth/authorize/decision`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
    redirect: 'manual',
  });
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location') ?? '');
}

describe('GET /v2/auth/authorize/', () => {
  it('renders a consent page carrying the request parameters', async () => {
    const { challenge } = pkcePair();
    const response = await fetch(authorizeUrl({ state: 'a"b<c>&d' }, challenge));
    const html = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(response.headers.get('x-tt-logid')).toMatch(/^\d{14}[0-9A-F]{20}$/);
    expect(html).toContain('<title>TikTok (emulator) – Authorize</title>');
    expect(html).toContain('action="/v2/auth/authorize/decision"');
    expect(html).toContain('id="tiktok-authorize"');
    expect(html).toContain('id="tiktok-cancel"');
    for (const user of emulator.users) expect(html).toContain(`name="user" value="${user.openId}"`);
    expect(html).toMatch(/name="scope" value="user\.info\.basic" checked disabled>/);
    for (const scope of ALL_SCOPES.slice(1))
      expect(html).toMatch(new RegExp(`name="scope" value="${scope}" checked>`));
    const hidden = hiddenFields(html);
    expect(Object.fromEntries(hidden)).toEqual({
      client_key: CLIENT_KEY,
      response_type: 'code',
      requested_scope: ALL_SCOPES.join(','),
      redirect_uri: REDIRECT_URI,
      state: 'a"b<c>&d',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      disable_auto_auth: '1',
    });
  });

  it('shows an error page, not a redirect, when code_challenge is missing', async () => {
    const response = await fetch(authorizeUrl({ code_challenge: undefined }), { redirect: 'manual' });
    const html = await response.text();

    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(html).toContain('correct the following and try again: code_challenge');
  });

  it('shows an error page for an unregistered redirect_uri', async () => {
    await emulator.close();
    emulator = await startEmulator({ redirectUris: [REDIRECT_URI] });

    const response = await fetch(authorizeUrl({ redirect_uri: 'https://evil.example/cb' }), {
      redirect: 'manual',
    });

    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('try again: redirect_uri');
  });

  it('refuses client_id in place of client_key', async () => {
    const response = await fetch(authorizeUrl({ client_key: undefined, client_id: CLIENT_KEY }));

    expect(response.status).toBe(400);
    expect(await response.text()).toContain('try again: client_key');
  });

  it('refuses a challenge method other than S256', async () => {
    const response = await fetch(authorizeUrl({ code_challenge_method: 'plain' }));

    expect(await response.text()).toContain('try again: code_challenge_method');
  });

  it('redirects with invalid_scope for an unknown or space-joined scope', async () => {
    const response = await fetch(authorizeUrl({ scope: 'user.info.basic video.list' }), {
      redirect: 'manual',
    });
    const location = new URL(response.headers.get('location') ?? '');

    expect(response.status).toBe(302);
    expect(location.origin + location.pathname).toBe(REDIRECT_URI);
    expect(location.searchParams.get('error')).toBe('invalid_scope');
    expect(location.searchParams.get('state')).toBe('st-123');
    expect(location.searchParams.get('code')).toBeNull();
  });

  it('redirects at once with every requested scope when autoConsent is set', async () => {
    const leo = userNamed(emulator, 'Leo Bakes');
    await emulator.close();
    emulator = await startEmulator({ autoConsent: { userId: leo.openId } });
    const { verifier, challenge } = pkcePair();

    const response = await fetch(authorizeUrl({ scope: 'user.info.basic,video.list' }, challenge), {
      redirect: 'manual',
    });
    const location = new URL(response.headers.get('location') ?? '');
    const tokens = await exchangeCode(emulator, {
      code: location.searchParams.get('code') ?? '',
      codeVerifier: verifier,
    });

    expect(response.status).toBe(302);
    expect(location.searchParams.get('scopes')).toBe('user.info.basic,video.list');
    expect(location.searchParams.get('state')).toBe('st-123');
    expect(((await tokens.json()) as TokenBody).open_id).toBe(leo.openId);
  });
});

describe('POST /v2/auth/authorize/decision', () => {
  it('redirects with code, granted scopes and state when the user authorizes', async () => {
    const mia = userNamed(emulator, 'Mia Moves');
    const { verifier, challenge } = pkcePair();
    const state = 'state with spaces & symbols/é';

    const location = await decide(authorizeUrl({ state }, challenge), {
      decision: 'authorize',
      userId: mia.openId,
    });
    const code = location.searchParams.get('code') ?? '';
    const tokens = (await (
      await exchangeCode(emulator, { code, codeVerifier: verifier })
    ).json()) as TokenBody;

    expect(location.origin + location.pathname).toBe(REDIRECT_URI);
    expect(code).not.toBe('');
    expect(location.searchParams.get('scopes')).toBe(ALL_SCOPES.join(','));
    expect(location.searchParams.get('state')).toBe(state);
    expect(tokens.open_id).toBe(mia.openId);
    expect(tokens.scope).toBe(ALL_SCOPES.join(','));
    expect(emulator.calls.list('authorize_decision')).toEqual([
      expect.objectContaining({ status: 302, openId: mia.openId }),
    ]);
  });

  it('grants only the ticked scopes, always keeping user.info.basic', async () => {
    const location = await decide(authorizeUrl(), {
      decision: 'authorize',
      userId: userNamed(emulator, 'Ava Draws').openId,
      ticked: ['video.list'],
    });

    expect(location.searchParams.get('scopes')).toBe('user.info.basic,video.list');
  });

  it('redirects with access_denied when the user cancels', async () => {
    const location = await decide(authorizeUrl(), { decision: 'cancel' });

    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('error_description')).not.toBe('');
    expect(location.searchParams.get('state')).toBe('st-123');
    expect(location.searchParams.get('code')).toBeNull();
    expect(emulator.calls.list('authorize_decision')[0]?.errorCode).toBe('access_denied');
  });

  it('checks the echoed request again, so a tampered redirect_uri is refused', async () => {
    await emulator.close();
    emulator = await startEmulator({ redirectUris: [REDIRECT_URI] });
    const page = await (await fetch(authorizeUrl())).text();
    const form = hiddenFields(page);
    form.set('redirect_uri', 'https://evil.example/cb');
    form.set('decision', 'authorize');
    form.set('user', userNamed(emulator, 'Mia Moves').openId);

    const response = await fetch(`${emulator.origin}/v2/auth/authorize/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
      redirect: 'manual',
    });

    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
  });
});
