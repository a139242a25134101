import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../../shared/http/route-table.js';
import { lambdaContext } from '../../support/api-events.js';
import { connectAccount } from '../../support/connect-driver.js';
import { localDynamoClient } from '../../support/dynamodb.js';
import { handlerOf } from '../../support/function-handlers.js';
import { CLIENT_SECRET, startTestService, type TestService } from '../../support/service.js';

/**
 * Property-based tests on every public route: arbitrary query strings, headers, cookies, bodies, path
 * parameters and JWT claims. For every generated request: never a 5xx, never a stack trace or a secret in the
 * response, and no change in the store when the request was refused (4xx).
 */

const RUNS_PER_ROUTE = Number(process.env.PROPERTY_RUNS ?? 100);

const db = localDynamoClient();
let service: TestService;
let knownOpenId: string;
let casesRun = 0;

beforeAll(async () => {
  service = await startTestService();
  knownOpenId = await connectAccount(service, 'owner', 0);
});
afterAll(async () => {
  await service.close();
  console.log(`routes-property: ${casesRun} generated requests over ${ROUTES.length} routes`);
});

async function snapshot(): Promise<string> {
  const items =
    (await db.send(new ScanCommand({ TableName: service.tableName, ConsistentRead: true }))).Items ?? [];
  const rows = items.map((item) =>
    JSON.stringify(item, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v)),
  );
  return rows.sort().join('\n');
}

// Strings that tend to break parsers: control characters, unicode, encodings, huge and empty values.
const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '%',
    '%zz',
    '%00',
    '\u0000',
    '../..',
    'null',
    'undefined',
    '[]',
    '{}',
    '=',
    '&&',
    ';',
    ',',
  ),
  fc.constantFrom('a'.repeat(5000), 'é'.repeat(300), '🙂'.repeat(200)),
  fc.stringMatching(/^[A-Za-z0-9_-]{43}$/),
);
const queryString = fc.oneof(
  nasty,
  fc
    .array(
      fc.tuple(
        fc.constantFrom(
          'code',
          'state',
          'scopes',
          'error',
          'error_description',
          'returnTo',
          'force',
          'ticket',
          'cursor',
          'limit',
          'x',
        ),
        nasty,
      ),
      { maxLength: 6 },
    )
    .map((pairs) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')),
);
const headers = fc.dictionary(
  fc.constantFrom(
    'accept',
    'content-type',
    'tiktok-signature',
    'cookie',
    'x-forwarded-for',
    'origin',
    'authorization',
  ),
  nasty,
  { maxKeys: 5 },
);
const cookies = fc.array(
  fc.oneof(
    nasty,
    nasty.map((v) => `__Host-tiktok_connect_nonce=${v}`),
    nasty.map((v) => `tiktok_connect_nonce=${v}`),
  ),
  { maxLength: 4 },
);
const body = fc.option(
  fc.oneof(
    nasty,
    fc.json(),
    fc.jsonValue().map((v) => JSON.stringify({ ids: v })),
    fc.constant('{"ids":["1"]}'),
  ),
  { nil: undefined },
);
const sub = fc.option(fc.oneof(nasty, fc.constantFrom('owner', 'intruder')), { nil: undefined });
const openId = fc.oneof(nasty, fc.constant('__known__'));

function eventFor(
  route: (typeof ROUTES)[number],
  input: {
    query: string;
    headers: Record<string, string>;
    cookies: string[];
    body?: string;
    sub?: string;
    openId: string;
    base64: boolean;
  },
): APIGatewayProxyEventV2WithJWTAuthorizer {
  const pathParameters = route.path.includes('{openId}')
    ? { openId: input.openId === '__known__' ? knownOpenId : input.openId }
    : undefined;
  const rawPath = route.path.replace('{openId}', encodeURIComponent(pathParameters?.openId ?? ''));
  const claims = input.sub === undefined ? {} : { sub: input.sub };
  return {
    version: '2.0',
    routeKey: `${route.method} ${route.path}`,
    rawPath,
    rawQueryString: input.query,
    headers: input.headers,
    ...(input.cookies.length ? { cookies: input.cookies } : {}),
    ...(pathParameters ? { pathParameters } : {}),
    requestContext: {
      http: {
        method: route.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.9',
        userAgent: 'fc',
      },
      routeKey: `${route.method} ${route.path}`,
      authorizer: { jwt: { claims, scopes: [] }, principalId: '', integrationLatency: 0 },
      accountId: '1',
      apiId: 'a',
      domainName: 'api.example.test',
      domainPrefix: 'api',
      requestId: 'r',
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
    ...(input.body === undefined
      ? {}
      : { body: input.base64 ? Buffer.from(input.body).toString('base64') : input.body }),
    isBase64Encoded: input.base64,
  } as APIGatewayProxyEventV2WithJWTAuthorizer;
}

describe('every route, under arbitrary input', () => {
  it.each(ROUTES.map((route) => [route.functionName, route] as const))(
    '%s: never a 5xx, a stack trace, a secret, or a change on refusal',
    async (name, route) => {
      const handler = await handlerOf(service, name);
      const record = await service.deps.connections.get('owner', knownOpenId);
      const secrets = [CLIENT_SECRET, ...service.emulator.secretsSeen()].filter((s) => s.length >= 8);

      await fc.assert(
        fc.asyncProperty(
          fc.record({ query: queryString, headers, cookies, body, sub, openId, base64: fc.boolean() }),
          async (input) => {
            casesRun++;
            const before = await snapshot();
            const answer = (await handler(eventFor(route, input), lambdaContext)) as {
              statusCode: number;
              body?: string;
              headers?: Record<string, string>;
            };
            expect(answer.statusCode).toBeLessThan(500);
            const text = `${answer.body ?? ''} ${JSON.stringify(answer.headers ?? {})}`;
            expect(text).not.toMatch(/\n\s+at |\.ts:\d+|node_modules/);
            for (const secret of secrets) expect(text.includes(secret)).toBe(false);
            // A refusal is a 4xx, or a redirect back to the app with tiktok=error: either way, nothing stored.
            const refused =
              answer.statusCode >= 400 || /[?&]tiktok=error/.test(answer.headers?.location ?? '');
            if (refused) expect(await snapshot()).toBe(before);
          },
        ),
        { numRuns: RUNS_PER_ROUTE, seed: 20261125 },
      );
      // The owner's connection came through every request unharmed (no request here was valid for it).
      const after = await service.deps.connections.get('owner', knownOpenId);
      if (name !== 'DisconnectFunction') expect(after?.status).toBe(record?.status);
    },
  );
});
