import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { httpApiEvent } from './api-events.js';

/**
 * An HTTP API v2 event for a route with `{param}` segments, as API Gateway delivers it: the route key names the
 * template, `pathParameters` holds the decoded values, `rawPath` the encoded path.
 */
export function routeEvent(input: {
  /** e.g. 'GET /tiktok/connections/{openId}/videos' */
  route: string;
  params?: Record<string, string>;
  query?: string;
  headers?: Record<string, string>;
  body?: string;
  sub?: string;
}): APIGatewayProxyEventV2WithJWTAuthorizer {
  const [method = 'GET', template = '/'] = input.route.split(' ');
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(input.params?.[name] ?? ''),
  );
  const base = httpApiEvent({
    method,
    path,
    query: input.query,
    headers: input.headers,
    body: input.body,
    sub: input.sub,
  });
  return {
    ...base,
    routeKey: input.route,
    ...(input.params ? { pathParameters: input.params } : {}),
    requestContext: { ...base.requestContext, routeKey: input.route },
  };
}
