import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';

/**
 * API Gateway HTTP API (payload format 2.0) events, shaped as API Gateway sends them: raw query string plus the
 * comma-joined `queryStringParameters`, lower-case headers, `cookies` as a separate array, JWT claims under
 * `requestContext.authorizer.jwt`.
 */
export function httpApiEvent(input: {
  method?: string;
  path: string;
  query?: string;
  headers?: Record<string, string>;
  cookies?: string[];
  sub?: string;
  body?: string;
}): APIGatewayProxyEventV2WithJWTAuthorizer {
  const method = input.method ?? 'GET';
  const rawQueryString = input.query ?? '';
  const params = new URLSearchParams(rawQueryString);
  const queryStringParameters: Record<string, string> = {};
  for (const key of new Set(params.keys())) queryStringParameters[key] = params.getAll(key).join(',');
  const headers: Record<string, string> = { host: 'api.example.test', 'user-agent': 'vitest' };
  for (const [key, value] of Object.entries(input.headers ?? {})) headers[key.toLowerCase()] = value;
  if (input.cookies?.length) headers.cookie = input.cookies.join('; ');
  const now = new Date();
  return {
    version: '2.0',
    routeKey: `${method} ${input.path}`,
    rawPath: input.path,
    rawQueryString,
    ...(rawQueryString ? { queryStringParameters } : {}),
    ...(input.cookies?.length ? { cookies: input.cookies } : {}),
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api-id',
      domainName: 'api.example.test',
      domainPrefix: 'api',
      http: { method, path: input.path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'vitest' },
      requestId: `req-${now.getTime()}`,
      routeKey: `${method} ${input.path}`,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: {
          claims: input.sub === undefined ? {} : { sub: input.sub, iss: 'https://issuer.example.test' },
          scopes: [],
        },
      },
    },
    body: input.body,
    isBase64Encoded: false,
  } as APIGatewayProxyEventV2WithJWTAuthorizer;
}

export const lambdaContext = {
  functionName: 'test',
  awsRequestId: 'test-request',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;
