import { expect } from 'vitest';
import { createTikTokConnectClient, type TikTokConnectClient } from '../../client/index.js';
import type { LocalStack } from '../../local/local-stack.js';

/** A browser in miniature for the connect round trip: follows nothing by itself, keeps cookies per host. */
export function cookieBrowser() {
  const jar = new Map<string, Map<string, string>>();
  return {
    async fetch(url: string, init: RequestInit = {}) {
      const { host } = new URL(url);
      const cookies = [...(jar.get(host) ?? new Map()).entries()].map(([k, v]) => `${k}=${v}`).join('; ');
      const headers = new Headers(init.headers);
      if (cookies) headers.set('cookie', cookies);
      const response = await fetch(url, { ...init, headers, redirect: 'manual' });
      for (const setCookie of response.headers.getSetCookie()) {
        const [pair = '', ...attributes] = setCookie.split(';');
        const [name = '', value = ''] = pair.split('=');
        const hostJar = jar.get(host) ?? new Map<string, string>();
        if (attributes.some((a) => a.trim() === 'Max-Age=0')) hostJar.delete(name);
        else hostJar.set(name, value);
        jar.set(host, hostJar);
      }
      return response;
    },
  };
}

/** A signed-in user of the local stack: a /dev/token JWT and the typed client using it. */
export async function localUser(
  stack: LocalStack,
  sub: string,
): Promise<{ token: string; api: TikTokConnectClient }> {
  const { token } = (await (await fetch(`${stack.url}/dev/token?sub=${sub}`)).json()) as { token: string };
  return { token, api: createTikTokConnectClient({ baseUrl: stack.url, getAccessToken: () => token }) };
}

/**
 * The whole connect round trip over HTTP, as the demo page does it with the typed client: start (JSON), the
 * launch navigation from the app's page, TikTok's consent form, the callback, and the return page's finish step.
 */
export async function connectOverHttp(
  stack: LocalStack,
  api: TikTokConnectClient,
  options: { userIndex?: number } = {},
): Promise<string> {
  const browser = cookieBrowser();
  const { authorizeUrl } = await api.startConnect({ returnTo: `${stack.url}/platforms/connect` });
  const launched = await browser.fetch(authorizeUrl, {
    headers: { referer: `${stack.url}/platforms/connect` },
  });
  expect(launched.status).toBe(302);
  const tiktokUrl = launched.headers.get('location') as string;
  const html = await (await browser.fetch(tiktokUrl)).text();
  const form = new URLSearchParams();
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    form.set(match[1] as string, (match[2] as string).replace(/&amp;/g, '&').replace(/&quot;/g, '"'));
  }
  const openId = stack.emulator?.users[options.userIndex ?? 0]?.openId as string;
  form.set('decision', 'authorize');
  form.set('user', openId);
  for (const scope of ['user.info.profile', 'user.info.stats', 'video.list']) form.append('scope', scope);
  const decided = await browser.fetch(new URL('/v2/auth/authorize/decision', tiktokUrl).toString(), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  const back = await browser.fetch(decided.headers.get('location') as string);
  expect(back.status).toBe(302);
  const finished = await api.finishConnect(back.headers.get('location') as string);
  expect(finished.kind).toBe('connected');
  return openId;
}
