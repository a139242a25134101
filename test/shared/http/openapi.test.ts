import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiFileText } from '../../../shared/http/openapi-document.js';
import { ROUTES } from '../../../shared/http/route-table.js';
import { signWebhook } from '../../../shared/tiktok/webhook-signature.js';
import { apiDriver } from '../../support/api-driver.js';
import { httpApiEvent, lambdaContext } from '../../support/api-events.js';
import {
  connectAccount,
  connectDriver,
  type HttpAnswer,
  pendingConfirmation,
} from '../../support/connect-driver.js';
import { handlerOf } from '../../support/function-handlers.js';
import {
  contractViolations,
  createValidator,
  expectContract,
  openApiDocument,
} from '../../support/openapi-contract.js';
import {
  APP_ORIGIN,
  CLIENT_KEY,
  CLIENT_SECRET,
  startTestService,
  type TestService,
} from '../../support/service.js';

describe('openapi.json', () => {
  it('is what `npm run openapi` generates from the routes and schemas (run it after changing either)', () => {
    const checkedIn = readFileSync(resolve(import.meta.dirname, '../../../openapi.json'), 'utf8');
    expect(checkedIn === openApiFileText(), 'openapi.json is stale: run `npm run openapi`').toBe(true);
  });

  it('documents every route, with the bearer JWT except where the route has no authorizer', () => {
    expect(openApiDocument).toMatchObject({ openapi: '3.1.0' });
    for (const route of ROUTES) {
      const operation = openApiDocument.paths[route.path]?.[route.method.toLowerCase()] as
        | {
            security?: unknown[];
            responses: Record<string, unknown>;
            parameters?: { name: string; in: string }[];
          }
        | undefined;
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      if (route.auth === 'none') expect(operation?.security).toEqual([]);
      else expect(operation?.security).toBeUndefined();
      expect(Object.keys(operation?.responses ?? {})).toContain('500');
      for (const param of route.path.match(/\{(\w+)\}/g) ?? []) {
        expect(operation?.parameters).toContainEqual(
          expect.objectContaining({ name: param.slice(1, -1), in: 'path', required: true }),
        );
      }
    }
  });

  it('holds component schemas that are valid JSON Schema 2020-12 (strict)', () => {
    const strict = createValidator({ strict: true });
    const defs = JSON.parse(
      JSON.stringify(openApiDocument.components.schemas).replaceAll('#/components/schemas/', '#/$defs/'),
    );
    strict.addSchema({ $id: 'urn:tiktok-connect:components', $defs: defs });
    for (const name of Object.keys(defs)) {
      expect(strict.getSchema(`urn:tiktok-connect:components#/$defs/${name}`), name).toBeTypeOf('function');
    }
  });

  it('catches answers that break it', () => {
    const answer = (statusCode: number, body: unknown, type = 'application/json'): HttpAnswer => ({
      statusCode,
      headers: { 'content-type': type },
      body: JSON.stringify(body),
    });
    const profile = 'GET /tiktok/connections/{openId}/profile'.split(' ') as [string, string];
    expect(contractViolations(...profile, answer(418, {}))).toEqual([
      'GET /tiktok/connections/{openId}/profile does not document status 418',
    ]);
    expect(contractViolations(...profile, answer(200, { profile: {} })).join()).toMatch(/required/);
    expect(contractViolations(...profile, answer(404, { code: 'x' }, 'application/json')).join()).toMatch(
      /not application\/json/,
    );
    expect(
      contractViolations(
        ...profile,
        answer(
          429,
          { type: 'https://x', title: 't', status: 429, detail: 'd', code: 'c' },
          'application/problem+json',
        ),
      ),
    ).toEqual(['status 429 lacks the Retry-After header']);
  });

  it('refuses a field the contract does not name, in any answer object (the schemas are closed)', () => {
    const answer = (statusCode: number, body: unknown, type = 'application/json'): HttpAnswer => ({
      statusCode,
      headers: { 'content-type': type },
      body: JSON.stringify(body),
    });
    const connection = {
      openId: 'open-1',
      displayName: null,
      avatarUrl: null,
      username: null,
      scopes: ['user.info.basic'],
      status: 'active',
      connectedAt: '2026-01-01T00:00:00.000Z',
      accessTokenExpiresAt: null,
      refreshTokenExpiresAt: null,
    };
    const list = (item: object) =>
      contractViolations('GET', '/tiktok/connections', answer(200, { connections: [item] }));
    expect(list(connection)).toEqual([]);
    for (const leaked of [
      { version: 3 },
      { leaseOwner: 'run-1' },
      { wrappedKey: 'AQID' },
      { accessToken: 'x' },
    ]) {
      expect(list({ ...connection, ...leaked }).join(), JSON.stringify(leaked)).toMatch(
        /must NOT have additional properties/,
      );
    }
    const problemBody = { type: 'urn:x', title: 't', status: 404, detail: 'd', code: 'connection_not_found' };
    const disconnect = 'DELETE /tiktok/connections/{openId}'.split(' ') as [string, string];
    expect(contractViolations(...disconnect, answer(404, problemBody, 'application/problem+json'))).toEqual(
      [],
    );
    expect(
      contractViolations(
        ...disconnect,
        answer(404, { ...problemBody, stack: 'Error: at …' }, 'application/problem+json'),
      ).join(),
    ).toMatch(/must NOT have additional properties/);
    const confirm = { status: 'connected', openId: 'open-1' };
    expect(contractViolations('POST', '/auth/tiktok/confirm', answer(200, confirm))).toEqual([]);
    expect(
      contractViolations(
        'POST',
        '/auth/tiktok/confirm',
        answer(200, { ...confirm, appUser: 'alice' }),
      ).join(),
    ).toMatch(/must NOT have additional properties/);
  });

  it('closes every object schema of the document except TikTok’s webhook body (a request we do not own)', () => {
    const open: string[] = [];
    const walk = (node: unknown, path: string) => {
      // Arrays are walked as objects too (their entries keyed by index).
      if (typeof node !== 'object' || node === null) return;
      const schema = node as Record<string, unknown>;
      if (schema.type === 'object' && schema.properties && schema.additionalProperties !== false)
        open.push(path);
      for (const [key, child] of Object.entries(schema)) walk(child, `${path}/${key}`);
    };
    walk(openApiDocument, '');
    expect(open).toEqual(['/components/schemas/TikTokWebhookBody']);
  });
});

describe('real answers of the connect, connection and webhook routes match it', () => {
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(async () => {
    await service.close();
  });

  it('GET /auth/tiktok/start: 200 JSON, 302, 400, 401', async () => {
    const driver = connectDriver(service);
    const check = (answer: HttpAnswer, status: number) => {
      expect(answer.statusCode).toBe(status);
      expectContract('GET', '/auth/tiktok/start', answer);
    };
    check(await driver.start({ accept: 'application/json' }), 200);
    check(await driver.start(), 302);
    check(await driver.start({ query: `returnTo=${encodeURIComponent('https://evil.example/')}` }), 400);
    check(await driver.start({ sub: '' }), 401);
  });

  it('GET /auth/tiktok/launch and /auth/tiktok/callback: 302 and 400', async () => {
    const driver = connectDriver(service);
    const started = await driver.start({ accept: 'application/json' });
    const launchQuery = new URL(JSON.parse(started.body ?? '{}').authorizeUrl).search.slice(1);
    const launched = await driver.launch(launchQuery);
    expect(launched.statusCode).toBe(302);
    expectContract('GET', '/auth/tiktok/launch', launched);
    const repeated = await driver.launch('ticket=a&ticket=b');
    expect(repeated.statusCode).toBe(400);
    expectContract('GET', '/auth/tiktok/launch', repeated);

    const { authorizeUrl, cookies } = await driver.begin();
    const done = await driver.callback(driver.consent(authorizeUrl).query, cookies);
    expect(done.statusCode).toBe(302);
    expect(done.headers.location).toContain(`${APP_ORIGIN}/`);
    expectContract('GET', '/auth/tiktok/callback', done);
    const noState = await driver.callback('code=abc');
    expect(noState.statusCode).toBe(400);
    expectContract('GET', '/auth/tiktok/callback', noState);
  });

  it('POST /auth/tiktok/confirm: 200, 400, 401, 403, 410 (the driver checks each against the contract)', async () => {
    const driver = connectDriver(service);
    const pending = async () => {
      const { authorizeUrl, cookies } = await driver.begin({ sub: 'confirm-contract' });
      return pendingConfirmation(await driver.callback(driver.consent(authorizeUrl).query, cookies));
    };
    expect((await driver.confirm(await pending(), 'confirm-contract')).statusCode).toBe(200);
    expect((await driver.confirm('A'.repeat(43), 'confirm-contract')).statusCode).toBe(400);
    expect((await driver.confirm('A'.repeat(43), '')).statusCode).toBe(401);
    expect((await driver.confirm(await pending(), 'someone-else')).statusCode).toBe(403);
    const late = await pending();
    const realNow = service.deps.now;
    service.deps.now = () => realNow() + 11 * 60 * 1000;
    try {
      expect((await driver.confirm(late, 'confirm-contract')).statusCode).toBe(410);
    } finally {
      service.deps.now = realNow;
    }
  });

  it('GET /tiktok/connections and DELETE /tiktok/connections/{openId}: 200, 400, 401, 404', async () => {
    const api = apiDriver(service); // checks each answer against the contract itself
    const openId = await connectAccount(service, 'contract-user', 1);
    expect((await api.connections('contract-user')).statusCode).toBe(200);
    expect((await api.connections('')).statusCode).toBe(401);
    expect((await api.disconnect('contract-user', 'bad id!')).statusCode).toBe(400);
    expect((await api.disconnect('someone-else', openId)).statusCode).toBe(404);
    expect((await api.disconnect('contract-user', openId)).statusCode).toBe(200);
  });

  it('POST /webhooks/tiktok: 200, 400, 401, 413', async () => {
    const webhook = await handlerOf(service, 'TikTokWebhookFunction');
    const send = async (body: string, signature?: string) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (signature) headers['tiktok-signature'] = signature;
      const event = httpApiEvent({ method: 'POST', path: '/webhooks/tiktok', body, headers });
      const answer = (await webhook(event, lambdaContext)) as HttpAnswer;
      expectContract('POST', '/webhooks/tiktok', answer);
      return answer.statusCode;
    };
    const signed = (body: string) => signWebhook(CLIENT_SECRET, body, Math.floor(Date.now() / 1000));
    const removal = JSON.stringify({
      client_key: CLIENT_KEY,
      event: 'authorization.removed',
      create_time: Math.floor(Date.now() / 1000),
      user_openid: service.emulator.users[2]!.openId,
      content: JSON.stringify({ reason: 1 }),
    });
    expect(await send(removal, signed(removal))).toBe(200);
    expect(await send(removal, signed(removal))).toBe(200);
    expect(await send(removal)).toBe(401);
    const foreign = JSON.stringify({ client_key: 'another-app', event: 'authorization.removed' });
    expect(await send(foreign, signed(foreign))).toBe(400);
    expect(await send('x'.repeat(70_000))).toBe(413);
  });
});
