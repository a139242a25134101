/**
 * A small typed client for the tiktok-connect API, for a browser frontend (React, Next.js, plain pages). Types come
 * from openapi.json (`npm run client:types` writes client/api-types.ts); requests go through openapi-fetch. It
 * imports nothing from the server: copy or import the `client/` folder as it is.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './api-types.js';
import { errorFromAnswer } from './errors.js';

export type Connection = components['schemas']['Connection'];
export type ConnectionStatus = Connection['status'];
export type Profile = components['schemas']['Profile'];
export type ProfileAnswer = components['schemas']['ProfileResponse'];
export type Video = components['schemas']['Video'];
export type VideoPage = components['schemas']['VideoPage'];
export type VideoQueryAnswer = components['schemas']['VideoQueryResponse'];
export type DisconnectAnswer = components['schemas']['DisconnectResponse'];
export type StartAnswer = components['schemas']['StartJsonResponse'];
export type ConfirmAnswer = components['schemas']['ConfirmResponse'];

/** What the browser came back with from TikTok (the query string of your return URL). */
export type ConnectReturn =
  | { kind: 'pending'; confirmation: string }
  | { kind: 'connected'; openId?: string }
  | { kind: 'error'; reason: string }
  | { kind: 'none' };

export type TikTokConnectClientOptions = {
  /** Where the API is, e.g. `https://api.example.com` or `http://localhost:3001`. */
  baseUrl: string;
  /** The signed-in user's access token (the JWT your authorizer accepts); read before every request. */
  getAccessToken: () => string | undefined | null | Promise<string | undefined | null>;
  /** Another fetch (tests, server-side rendering); default the global one. */
  fetch?: typeof fetch;
};

/** The query parameters the service adds to your return URL. */
const RETURN_PARAMS = ['tiktok', 'confirmation', 'reason'] as const;

/** Reads `?tiktok=pending&confirmation=…`, `?tiktok=connected` or `?tiktok=error&reason=…` from a URL. */
export function readConnectReturn(url: string | URL): ConnectReturn {
  const params = new URL(url).searchParams;
  const outcome = params.get('tiktok');
  const confirmation = params.get('confirmation');
  if (outcome === 'pending' && confirmation) return { kind: 'pending', confirmation };
  if (outcome === 'connected') return { kind: 'connected' };
  if (outcome === 'error' || outcome === 'pending')
    return { kind: 'error', reason: params.get('reason') ?? 'unknown' };
  return { kind: 'none' };
}

/** The URL without the parameters the service added: put it in the address bar so a reload does not repeat them. */
export function withoutConnectReturn(url: string | URL): string {
  const clean = new URL(url);
  for (const name of RETURN_PARAMS) clean.searchParams.delete(name);
  return clean.toString();
}

export function createTikTokConnectClient(options: TikTokConnectClientOptions) {
  const api = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const bearer: Middleware = {
    async onRequest({ request }) {
      const token = await options.getAccessToken();
      if (token) request.headers.set('authorization', `Bearer ${token}`);
      request.headers.set('accept', 'application/json');
      return request;
    },
  };
  api.use(bearer);

  /** Unwraps openapi-fetch's `{ data, error, response }`: the data, or a typed error. */
  async function unwrap<T>(
    call: Promise<{ data?: T; error?: unknown; response: Response }>,
    operation: 'confirm' | 'other' = 'other',
  ): Promise<T> {
    const { data, error, response } = await call;
    if (!response.ok || data === undefined) throw errorFromAnswer(response, error, operation);
    return data;
  }

  const client = {
    /**
     * Step 1: start connecting. Navigate the browser to the answer's `authorizeUrl` (a one-time link, valid
     * `expiresIn` seconds) from a page on an allowed origin: `location.assign(authorizeUrl)`.
     * `returnTo` must be on an allowed origin; `force` shows TikTok's consent page even to a user who already
     * approved (to switch accounts or grant a permission again).
     */
    startConnect(input: { returnTo?: string; force?: boolean } = {}): Promise<StartAnswer> {
      const query: { returnTo?: string; force?: '1' } = {};
      if (input.returnTo) query.returnTo = input.returnTo;
      if (input.force) query.force = '1';
      return unwrap(api.GET('/auth/tiktok/start', { params: { query } }));
    },

    /**
     * Step 3: back from TikTok with `?tiktok=pending&confirmation=…`, the signed-in user confirms. Only the user
     * who started gets the connection (another gets ConnectUserMismatchError and nothing is connected).
     */
    confirmConnect(confirmation: string): Promise<ConfirmAnswer> {
      return unwrap(api.POST('/auth/tiktok/confirm', { body: { confirmation } }), 'confirm');
    },

    /**
     * Steps 3 and 4 together, for the page TikTok's round trip returns to: reads the outcome from `url`, confirms a
     * pending one, and says what happened. Errors other than a refused confirmation are thrown.
     */
    async finishConnect(
      url: string | URL,
    ): Promise<
      { kind: 'connected'; openId?: string } | { kind: 'error'; reason: string } | { kind: 'none' }
    > {
      const outcome = readConnectReturn(url);
      if (outcome.kind !== 'pending') return outcome;
      const confirmed = await client.confirmConnect(outcome.confirmation);
      return { kind: 'connected', openId: confirmed.openId };
    },

    /** The user's connections (never a token), newest first; disconnected ones are left out. */
    async listConnections(): Promise<Connection[]> {
      return (await unwrap(api.GET('/tiktok/connections'))).connections;
    },

    /** The TikTok profile, with only the fields the granted scopes allow. */
    profile(openId: string): Promise<ProfileAnswer> {
      return unwrap(api.GET('/tiktok/connections/{openId}/profile', { params: { path: { openId } } }));
    },

    /** One page of public videos, newest first; pass the previous page's `cursor` for the next. */
    videos(openId: string, page: { limit?: number; cursor?: string } = {}): Promise<VideoPage> {
      const query: { limit?: string; cursor?: string } = {};
      if (page.limit !== undefined) query.limit = String(page.limit);
      if (page.cursor) query.cursor = page.cursor;
      return unwrap(api.GET('/tiktok/connections/{openId}/videos', { params: { path: { openId }, query } }));
    },

    /** Every page in turn, while TikTok says there are more (`for await (const page of …)`). */
    async *videoPages(openId: string, page: { limit?: number } = {}): AsyncGenerator<VideoPage> {
      let cursor: string | undefined;
      for (;;) {
        const next = await client.videos(openId, { ...page, ...(cursor ? { cursor } : {}) });
        yield next;
        if (!next.hasMore) return;
        cursor = next.cursor;
      }
    },

    /** Up to 20 videos by id with fresh cover URLs (covers expire after about 6 hours). */
    queryVideos(openId: string, ids: string[]): Promise<VideoQueryAnswer> {
      return unwrap(
        api.POST('/tiktok/connections/{openId}/videos/query', {
          params: { path: { openId } },
          body: { ids },
        }),
      );
    },

    /** Revokes at TikTok and deletes the tokens; `revokedAtTikTok` says whether TikTok confirmed. */
    disconnect(openId: string): Promise<DisconnectAnswer> {
      return unwrap(api.DELETE('/tiktok/connections/{openId}', { params: { path: { openId } } }));
    },
  };
  return client;
}

export type TikTokConnectClient = ReturnType<typeof createTikTokConnectClient>;
