import { ROUTES } from '../../shared/http/route-table.js';
import { lambdaContext } from './api-events.js';
import type { HttpAnswer } from './connect-driver.js';
import { handlerOf } from './function-handlers.js';
import { expectContract } from './openapi-contract.js';
import { routeEvent } from './route-events.js';
import type { TestService } from './service.js';

export const PROFILE = 'GET /tiktok/connections/{openId}/profile';
export const VIDEOS = 'GET /tiktok/connections/{openId}/videos';
export const VIDEO_QUERY = 'POST /tiktok/connections/{openId}/videos/query';
export const CONNECTIONS = 'GET /tiktok/connections';
export const DISCONNECT = 'DELETE /tiktok/connections/{openId}';

type ApiRoute = typeof PROFILE | typeof VIDEOS | typeof VIDEO_QUERY | typeof CONNECTIONS | typeof DISCONNECT;

export type ApiAnswer = HttpAnswer & {
  // biome-ignore lint/suspicious/noExplicitAny: a parsed JSON body, read by tests field by field
  json: any;
};

/**
 * Drives the frontend API's handlers with real API Gateway v2 events, as the HTTP API would after its JWT
 * authorizer, and checks every answer against openapi.json on the way.
 */
export function apiDriver(service: TestService) {
  // Each route's function, from the route table, under the policy check of its role.
  const handlers = Object.fromEntries(
    [PROFILE, VIDEOS, VIDEO_QUERY, CONNECTIONS, DISCONNECT].map((route) => {
      const [method, path] = route.split(' ');
      const spec = ROUTES.find((r) => r.method === method && r.path === path);
      if (!spec) throw new Error(`${route} is not in the route table`);
      return [route, handlerOf(service, spec.functionName)];
    }),
  ) as Record<ApiRoute, ReturnType<typeof handlerOf>>;

  async function call(
    route: ApiRoute,
    input: {
      sub?: string;
      openId?: string;
      query?: string;
      body?: string;
      headers?: Record<string, string>;
    },
  ): Promise<ApiAnswer> {
    const event = routeEvent({
      route,
      params: input.openId === undefined ? undefined : { openId: input.openId },
      query: input.query,
      body: input.body,
      headers: input.headers,
      sub: input.sub,
    });
    const answer = (await (await handlers[route])(event, lambdaContext)) as HttpAnswer;
    const [method = '', path = ''] = route.split(' ');
    expectContract(method, path, answer);
    return { ...answer, json: answer.body ? JSON.parse(answer.body) : undefined };
  }

  return {
    call,
    profile: (sub: string, openId: string) => call(PROFILE, { sub, openId }),
    videos: (sub: string, openId: string, query?: string) => call(VIDEOS, { sub, openId, query }),
    queryVideos: (sub: string, openId: string, ids: unknown) =>
      call(VIDEO_QUERY, {
        sub,
        openId,
        body: JSON.stringify({ ids }),
        headers: { 'content-type': 'application/json' },
      }),
    connections: (sub: string) => call(CONNECTIONS, { sub }),
    disconnect: (sub: string, openId: string) => call(DISCONNECT, { sub, openId }),
  };
}
