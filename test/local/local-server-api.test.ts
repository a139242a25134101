import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalJwtIssuer } from '../../local/local-authorizer.js';
import { localRequestListener } from '../../local/local-server.js';
import { loadConfig } from '../../shared/config.js';
import { DEFAULT_CORS_ALLOW_HEADERS } from '../../shared/http/cors.js';
import { expectContract } from '../support/openapi-contract.js';
import { networkAddress, rawRequest } from '../support/raw-http.js';

const rootDir = resolve(import.meta.dirname, '../..');
const FRONTEND = 'https://app.example.test';
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  const issuer = await LocalJwtIssuer.create({ issuer: 'http://localhost/dev' });
  server = createServer(
    localRequestListener({
      rootDir,
      issuer,
      runRefresh: async () => ({}),
      corsOrigins: [FRONTEND],
      // What loadConfig gives when CORS_ALLOWED_HEADERS is unset (asserted below).
      corsHeaders: DEFAULT_CORS_ALLOW_HEADERS,
    }),
  );
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
});

describe('the local server, as the HTTP API', () => {
  it('serves the checked-in OpenAPI document at /openapi.json', async () => {
    const response = await fetch(`${baseUrl}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(await response.text()).toBe(readFileSync(resolve(rootDir, 'openapi.json'), 'utf8'));
  });

  it('answers a CORS preflight from an allowed origin, and gives a foreign origin nothing', async () => {
    const preflight = (origin: string) =>
      fetch(`${baseUrl}/tiktok/connections/abc/videos/query`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    const allowed = await preflight(FRONTEND);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(FRONTEND);
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    expect(allowed.headers.get('access-control-allow-headers')).toBe(
      'authorization, content-type, traceparent, sentry-trace',
    );
    // Bearer tokens, never cookies: no credentials mode, on the preflight or the answer.
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
    const foreign = await preflight('https://evil.example');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows the request headers CORS_ALLOWED_HEADERS names, and refuses a setting that is not a header name', async () => {
    const env = { TIKTOK_CLIENT_KEY: 'k', TIKTOK_CLIENT_SECRET: 's' };
    expect(loadConfig(env).cors.allowedHeaders).toEqual([
      'authorization',
      'content-type',
      'traceparent',
      'sentry-trace',
    ]);
    const configured = loadConfig({ ...env, CORS_ALLOWED_HEADERS: 'Authorization, X-Request-Id' });
    expect(configured.cors.allowedHeaders).toEqual(['authorization', 'x-request-id']);
    expect(() => loadConfig({ ...env, CORS_ALLOWED_HEADERS: 'authorization,bad header' })).toThrow(
      /CORS_ALLOWED_HEADERS/,
    );
    const issuer = await LocalJwtIssuer.create({ issuer: 'http://localhost/dev' });
    const custom = createServer(
      localRequestListener({
        rootDir,
        issuer,
        runRefresh: async () => ({}),
        corsOrigins: [FRONTEND],
        corsHeaders: configured.cors.allowedHeaders,
      }),
    );
    await new Promise<void>((done) => custom.listen(0, '127.0.0.1', done));
    try {
      const port = (custom.address() as AddressInfo).port;
      const preflight = await fetch(`http://127.0.0.1:${port}/tiktok/connections`, {
        method: 'OPTIONS',
        headers: { origin: FRONTEND, 'access-control-request-method': 'GET' },
      });
      expect(preflight.headers.get('access-control-allow-headers')).toBe('authorization, x-request-id');
    } finally {
      custom.closeAllConnections();
      await new Promise((done) => custom.close(done));
    }
  });

  it('puts CORS headers on answers to allowed origins; the authorizer’s 401 matches the contract', async () => {
    const response = await fetch(`${baseUrl}/tiktok/connections`, { headers: { origin: FRONTEND } });
    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBe(FRONTEND);
    expect(response.headers.get('access-control-expose-headers')).toContain('retry-after');
    expect(response.headers.get('vary')).toContain('origin');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expectContract('GET', '/tiktok/connections', {
      statusCode: response.status,
      headers: Object.fromEntries(response.headers),
      body: await response.text(),
    });
  });
});

describe('the local server’s /dev routes', () => {
  // Listening on every interface, as with HOST=0.0.0.0: /dev must still answer this machine only.
  let exposed: Server;
  let port: number;
  let refreshes = 0;
  beforeAll(async () => {
    const issuer = await LocalJwtIssuer.create({ issuer: 'http://localhost/dev' });
    exposed = createServer(
      localRequestListener({
        rootDir,
        issuer,
        runRefresh: async () => {
          refreshes++;
          return {};
        },
        corsOrigins: [FRONTEND],
      }),
    );
    await new Promise<void>((done) => exposed.listen(0, '0.0.0.0', done));
    port = (exposed.address() as AddressInfo).port;
  });
  afterAll(async () => {
    exposed.closeAllConnections();
    await new Promise((done) => exposed.close(done));
  });

  it('mints a dev token for a loopback caller addressing the server by a loopback name', async () => {
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, 'localhost']) {
      const answer = await rawRequest({ address: '127.0.0.1', port, path: '/dev/token?sub=u1', host });
      expect(answer.status, host).toBe(200);
      expect(JSON.parse(answer.body).token).toMatch(/^eyJ/);
    }
  });

  it('answers 404 to a DNS-rebinding Host (a loopback peer, a foreign name) on every /dev route', async () => {
    const before = refreshes;
    for (const host of [
      'evil.example:3001',
      `evil.example:${port}`,
      'localhost.evil.example',
      '127.0.0.1.nip.io',
      `localhost@evil.example:${port}`,
    ]) {
      const token = await rawRequest({ address: '127.0.0.1', port, path: '/dev/token?sub=u1', host });
      expect(token.status, host).toBe(404);
      expect(token.body).not.toContain('token');
      const refresh = await rawRequest({
        address: '127.0.0.1',
        port,
        path: '/dev/refresh',
        method: 'POST',
        host,
      });
      expect(refresh.status, host).toBe(404);
    }
    expect(refreshes).toBe(before);
  });

  const lanAddress = networkAddress();
  it.skipIf(!lanAddress)('answers 404 to a caller from the network even with a loopback Host', async () => {
    const before = refreshes;
    const address = lanAddress as string;
    const token = await rawRequest({ address, port, path: '/dev/token?sub=u1', host: `localhost:${port}` });
    expect(token.status).toBe(404);
    const refresh = await rawRequest({
      address,
      port,
      path: '/dev/refresh',
      method: 'POST',
      host: `localhost:${port}`,
    });
    expect(refresh.status).toBe(404);
    expect(refreshes).toBe(before);
    // The rest of the API is what it is in AWS: reachable, behind its own checks.
    const api = await rawRequest({ address, port, path: '/tiktok/connections', host: `localhost:${port}` });
    expect(api.status).toBe(401);
  });
});
