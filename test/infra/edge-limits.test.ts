import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../shared/http/route-table.js';
import { SETTINGS, synthesize } from './synthesize.js';

/** Routes anyone reaches without a session, and the connect flow's: each gets its own throttle. */
const LIMITED_ROUTES = ROUTES.filter((r) => r.auth === 'none' || r.path.startsWith('/auth/tiktok/')).map(
  (r) => `${r.method} ${r.path}`,
);

describe('the HTTP API’s edge limits and CORS', () => {
  it('throttles each public and connect-flow route on its own (10/s, burst 20), and no JWT API route', () => {
    const { template } = synthesize(SETTINGS, { bundle: false });
    expect(LIMITED_ROUTES).toEqual(
      expect.arrayContaining([
        'GET /auth/tiktok/launch',
        'GET /auth/tiktok/callback',
        'POST /webhooks/tiktok',
      ]),
    );
    const stages = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
    expect(stages).toHaveLength(1);
    const routeSettings = stages[0]?.Properties.RouteSettings as Record<string, unknown>;
    expect(Object.keys(routeSettings).sort()).toEqual([...LIMITED_ROUTES].sort());
    for (const routeKey of LIMITED_ROUTES) {
      expect(routeSettings[routeKey]).toEqual({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 });
    }
    // Every route key named exists as a route (a typo would throttle nothing).
    for (const routeKey of LIMITED_ROUTES) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey });
    }
  }, 180_000);

  it('takes the route throttle and the CORS request headers from the settings; never allows credentials', () => {
    const { template } = synthesize(
      {
        ...SETTINGS,
        publicRouteRateLimit: 3,
        publicRouteBurstLimit: 6,
        corsAllowHeaders: ['authorization', 'x-request-id'],
      },
      { bundle: false },
    );
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0];
    expect(stage?.Properties.RouteSettings['GET /auth/tiktok/callback']).toEqual({
      ThrottlingRateLimit: 3,
      ThrottlingBurstLimit: 6,
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowHeaders: ['authorization', 'x-request-id'],
        AllowCredentials: Match.absent(),
      },
    });
  });
});
