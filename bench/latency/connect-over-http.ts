/**
 * Connects one emulator account to the local stack over HTTP, as a browser would: a JWT from /dev/token, start
 * (JSON mode), launch, the emulator's consent page, its decision, the callback, the page's confirm. Every URL is taken to 127.0.0.1.
 */
export async function connectOverHttp(
  baseUrl: string,
  input: {
    appUser: string;
    emulatorUser: string /** The page the browser opens the launch link from. */;
    appPage: string;
    /** Scopes ticked on the consent page besides user.info.basic; default the service's default scopes. */
    scopes?: readonly string[];
  },
): Promise<{ token: string; openId: string }> {
  const jar = new Map<string, Map<string, string>>();
  const browse = async (url: string, init: RequestInit = {}) => {
    const target = new URL(loopback(url));
    const cookies = [...(jar.get(target.host) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`);
    const headers = new Headers(init.headers);
    if (cookies.length > 0) headers.set('cookie', cookies.join('; '));
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const setCookie of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = setCookie.split(';');
      const [name = '', value = ''] = pair.split('=');
      const hostJar = jar.get(target.host) ?? new Map<string, string>();
      if (attributes.some((a) => a.trim() === 'Max-Age=0')) hostJar.delete(name);
      else hostJar.set(name, value);
      jar.set(target.host, hostJar);
    }
    return response;
  };
  const expect = (response: Response, status: number, step: string) => {
    if (response.status !== status)
      throw new Error(`connect over HTTP: ${step} answered ${response.status} (${response.url})`);
    return response;
  };

  const { token } = (await expect(
    await browse(`${baseUrl}/dev/token?sub=${input.appUser}`),
    200,
    'dev token',
  ).json()) as {
    token: string;
  };
  const started = expect(
    await browse(`${baseUrl}/auth/tiktok/start`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    }),
    200,
    'start',
  );
  const { authorizeUrl } = (await started.json()) as { authorizeUrl: string };
  // The launch link is followed from the platform's own page: /launch refuses any other referring origin.
  const launched = expect(await browse(authorizeUrl, { headers: { referer: input.appPage } }), 302, 'launch');
  const consentUrl = launched.headers.get('location') ?? '';
  if (!consentUrl.includes('/v2/auth/authorize/'))
    throw new Error(`connect over HTTP: launch sent the browser to ${consentUrl}`);
  const consent = expect(await browse(consentUrl), 200, 'consent page');
  const form = new URLSearchParams();
  for (const match of (await consent.text()).matchAll(
    /<input type="hidden" name="([^"]+)" value="([^"]*)">/g,
  )) {
    form.set(match[1]!, match[2]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&'));
  }
  form.set('decision', 'authorize');
  form.set('user', input.emulatorUser);
  for (const scope of input.scopes ?? ['user.info.profile', 'user.info.stats', 'video.list'])
    form.append('scope', scope);
  const decided = expect(
    await browse(new URL('/v2/auth/authorize/decision', consentUrl).toString(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    }),
    302,
    'consent decision',
  );
  const done = expect(await browse(decided.headers.get('location') ?? ''), 302, 'callback');
  // The callback keeps the result pending; the signed-in user's page confirms it (POST /auth/tiktok/confirm).
  const returned = new URL(done.headers.get('location') ?? '', baseUrl);
  const confirmation = returned.searchParams.get('confirmation');
  if (returned.searchParams.get('tiktok') !== 'pending' || !confirmation) {
    throw new Error(
      `connect over HTTP: the callback sent the browser to ${returned.origin}${returned.pathname}`,
    );
  }
  const confirmed = expect(
    await browse(`${baseUrl}/auth/tiktok/confirm`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ confirmation }),
    }),
    200,
    'confirm',
  );
  const { status } = (await confirmed.json()) as { status?: string };
  if (status !== 'connected') throw new Error(`connect over HTTP: confirm answered status ${status}`);
  return { token, openId: input.emulatorUser };
}

/** The local stack names itself `localhost`; the load stays on 127.0.0.1. */
export function loopback(url: string): string {
  const parsed = new URL(url);
  if (parsed.hostname === 'localhost') parsed.hostname = '127.0.0.1';
  return parsed.toString();
}
