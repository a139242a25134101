import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RouteSpec } from '../../shared/http/route-table.js';
import { SETTINGS, synthesize } from './synthesize.js';

/** The stack's view of ROUTES, which each test changes the way a colleague might. */
const routes = vi.hoisted(() => ({ list: [] as RouteSpec[], original: [] as RouteSpec[] }));
vi.mock('../../shared/http/route-table.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../shared/http/route-table.js')>();
  routes.original = [...actual.ROUTES];
  routes.list = [...actual.ROUTES];
  return { ...actual, ROUTES: routes.list };
});

const build = () => synthesize(SETTINGS, { bundle: false });

describe('TikTokConnectStack follows ROUTES or refuses to synthesize', () => {
  afterEach(() => {
    routes.list.splice(0, routes.list.length, ...routes.original);
  });

  it('refuses a public route that does not say why it may be public', () => {
    routes.list.push({
      method: 'GET',
      path: '/debug',
      entry: 'functions/connections-list.ts',
      functionName: 'DebugFunction',
      auth: 'none',
    });
    expect(build).toThrow('/debug is public in ROUTES: add to PUBLIC_ROUTE_REASONS why it may be');
  });

  it('refuses a route whose function has no declared access', () => {
    routes.list.push({
      method: 'GET',
      path: '/tiktok/connections/{openId}/stats',
      entry: 'functions/connections-list.ts',
      functionName: 'StatsFunction',
      auth: 'jwt',
    });
    expect(build).toThrow('StatsFunction has no entry in FUNCTION_ACCESS');
  });

  it('refuses to put a JWT on a route whose public reason still stands', () => {
    const index = routes.list.findIndex((route) => route.functionName === 'TikTokWebhookFunction');
    routes.list[index] = { ...(routes.list[index] as RouteSpec), auth: 'jwt' };
    expect(build).toThrow('/webhooks/tiktok requires a JWT, but PUBLIC_ROUTE_REASONS explains it as public');
  });

  it('refuses access declared for a function the stack no longer creates', () => {
    routes.list.splice(
      routes.list.findIndex((route) => route.functionName === 'ListConnectionsFunction'),
      1,
    );
    expect(build).toThrow(
      'FUNCTION_ACCESS names functions the stack does not create: ListConnectionsFunction',
    );
  });
});
