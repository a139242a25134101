import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { loadConfig } from '../shared/config.js';
import { corsPreflightHeaders, corsResponseHeaders } from '../shared/http/cors.js';
import { isPerIpLimited, PerIpRateLimiter } from '../shared/http/ip-rate-limit.js';
import { problem, SECURITY_HEADERS } from '../shared/http/responses.js';
import { matchRoute, ROUTES } from '../shared/http/route-table.js';
import { lambdaContext, toApiEvent, writeApiResult } from './http-adapter.js';
import type { LocalJwtIssuer } from './local-authorizer.js';
import { isLocalDevRequest } from './loopback.js';

type LambdaHandler = (
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
};

/** Demo files served under /platforms/: the connect page a platform would build. */
const DEMO_FILES: Record<string, string> = {
  '/platforms/connect': 'connect.html',
  '/platforms/connect.js': 'connect.js',
  '/platforms/connect.css': 'connect.css',
  '/platforms/publish': 'publish.html',
  '/platforms/publish.js': 'publish.js',
  '/platforms/publish.css': 'publish.css',
  '/platforms/analytics': 'analytics.html',
  '/platforms/analytics.js': 'analytics.js',
  '/platforms/analytics.css': 'analytics.css',
  '/platforms/vendor/uplot.js': '../../node_modules/uplot/dist/uPlot.iife.min.js',
  '/platforms/vendor/uplot.css': '../../node_modules/uplot/dist/uPlot.min.css',
};

/**
 * The local stand-in for API Gateway: each request becomes an HTTP API v2 event for the very handler module the
 * Lambda runs; JWT routes get the same check the HTTP API authorizer makes, and CORS is answered as the HTTP
 * API's CORS configuration does. Local-only extras: /dev/token, /openapi.json and the demo page.
 */
export function localRequestListener(options: {
  rootDir: string;
  issuer: LocalJwtIssuer;
  /**
   * One refresh pass now (POST /dev/refresh, used by `npm run refresh`); with `now`, refresh connections whether
   * due or not (`?now=1`, optionally `&openId=`: `npm run refresh -- --now [openId]`).
   */
  runRefresh: (options?: { now: boolean; openId?: string | undefined }) => Promise<unknown>;
  /** One analytics snapshot pass now (POST /dev/analytics/snapshot[?all=1]); absent = 404. */
  runAnalyticsSnapshot?: (options: { all: boolean }) => Promise<unknown>;
  /** One publisher run now (POST /dev/posts/run): due posts started, posts waiting on TikTok checked once. */
  runPublisher?: () => Promise<unknown>;
  /** Fast-forward simulated days of snapshots (POST /dev/analytics/simulate?days=N); absent = 404. */
  simulateAnalytics?: (days: number) => Promise<unknown>;
  /**
   * After a connect is confirmed (the answer is sent first): the local stand-in for the rule on the connection
   * events bus that starts the connection's first analytics snapshot.
   */
  onConnected?: (key: { appUser: string; openId: string }) => void;
  /** Browser origins allowed to call the API (as the HTTP API's CORS configuration); default CORS_ALLOWED_ORIGINS. */
  corsOrigins?: readonly string[];
  /** Request headers allowed cross-origin; default CORS_ALLOWED_HEADERS. */
  corsHeaders?: readonly string[];
  /** Per client IP and route, on the public and connect-flow routes; default PUBLIC_ROUTE_RATE_LIMIT_PER_MINUTE. */
  publicRouteRateLimitPerMinute?: number;
}): (request: IncomingMessage, response: ServerResponse) => void {
  let corsOrigins = options.corsOrigins;
  // Read on first use: the local stack puts the handlers' environment in place before requests arrive.
  const allowedOrigins = () => {
    corsOrigins ??= loadConfig().cors.allowedOrigins;
    return corsOrigins;
  };
  let corsHeaders = options.corsHeaders;
  const allowedHeaders = () => {
    corsHeaders ??= loadConfig().cors.allowedHeaders;
    return corsHeaders;
  };
  let ipLimiter: PerIpRateLimiter | undefined;
  const perIpLimiter = () => {
    ipLimiter ??= new PerIpRateLimiter(
      options.publicRouteRateLimitPerMinute ?? loadConfig().publicRouteRateLimitPerMinute,
    );
    return ipLimiter;
  };
  const handlers = new Map<string, Promise<LambdaHandler>>();
  const loadHandler = (entry: string) => {
    let handler = handlers.get(entry);
    if (!handler) {
      handler = import(pathToFileURL(join(options.rootDir, entry)).href).then(
        (module: { handler: LambdaHandler }) => module.handler,
      );
      handlers.set(entry, handler);
    }
    return handler;
  };

  return (request, response) => {
    serve(request, response).catch((error: unknown) => {
      process.stderr.write(`local server: ${(error as Error).stack ?? String(error)}\n`);
      if (!response.headersSent) writeJson(response, 500, { message: 'Internal Server Error' });
      else response.destroy();
    });
  };

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    const origin = request.headers.origin;
    if (method === 'OPTIONS' && request.headers['access-control-request-method']) {
      response.writeHead(204, corsPreflightHeaders(origin, allowedOrigins(), allowedHeaders()));
      response.end();
      return;
    }
    for (const [name, value] of Object.entries(corsResponseHeaders(origin, allowedOrigins()))) {
      response.setHeader(name, value);
    }

    if (method === 'GET' && url.pathname === '/') return redirectTo(response, '/platforms/connect');
    // Not there for anyone but this machine's own clients (see loopback.ts): as if the routes did not exist.
    if (url.pathname.startsWith('/dev/') && !isLocalDevRequest(request)) {
      return writeJson(response, 404, { message: 'Not Found' });
    }
    if (method === 'GET' && url.pathname === '/dev/token') {
      const sub = url.searchParams.get('sub') ?? '';
      if (!/^[A-Za-z0-9._@-]{1,128}$/.test(sub)) {
        return writeJson(response, 400, { message: 'sub must be 1–128 characters of A-Z a-z 0-9 . _ @ -' });
      }
      return writeJson(response, 200, { token: await options.issuer.issue(sub) });
    }
    if (method === 'POST' && url.pathname === '/dev/refresh') {
      const now = url.searchParams.get('now') === '1';
      const openId = url.searchParams.get('openId') ?? undefined;
      return writeJson(response, 200, await options.runRefresh(now ? { now, openId } : undefined));
    }
    if (method === 'POST' && url.pathname === '/dev/analytics/snapshot' && options.runAnalyticsSnapshot) {
      const all = url.searchParams.get('all');
      if (all !== null && all !== '1')
        return writeJson(response, 400, { message: 'all must be 1 or absent' });
      return writeJson(response, 200, await options.runAnalyticsSnapshot({ all: all === '1' }));
    }
    if (method === 'POST' && url.pathname === '/dev/posts/run' && options.runPublisher) {
      return writeJson(response, 200, await options.runPublisher());
    }
    if (method === 'POST' && url.pathname === '/dev/analytics/simulate' && options.simulateAnalytics) {
      const days = Number(url.searchParams.get('days') ?? '30');
      if (!Number.isInteger(days) || days < 1 || days > 120) {
        return writeJson(response, 400, { message: 'days must be a whole number from 1 to 120' });
      }
      return writeJson(response, 200, await options.simulateAnalytics(days));
    }
    if (method === 'GET' && url.pathname === '/openapi.json') {
      return serveFile(response, join(options.rootDir, 'openapi.json'));
    }
    const demoFile = method === 'GET' ? DEMO_FILES[url.pathname] : undefined;
    if (demoFile?.endsWith('.js'))
      return serveBundle(response, join(options.rootDir, 'local', 'demo', demoFile));
    if (demoFile) return serveFile(response, join(options.rootDir, 'local', 'demo', demoFile));

    const match = matchRoute(ROUTES, method, url.pathname);
    if (!match) return writeJson(response, 404, { message: 'Not Found' });
    if (isPerIpLimited(match.route)) {
      const peer = request.socket.remoteAddress ?? 'unknown';
      const decision = perIpLimiter().take(`${peer} ${match.route.method} ${match.route.path}`, Date.now());
      if (!decision.granted) {
        const refusal = problem({
          status: 429,
          code: 'too_many_requests',
          detail: 'Too many requests from this address to this route; try again shortly',
        });
        refusal.headers['retry-after'] = String(decision.retryAfterSeconds);
        return writeApiResult(response, refusal);
      }
    }
    let claims: Record<string, unknown> | undefined;
    if (match.route.auth === 'jwt') {
      claims = await options.issuer.verify(request.headers.authorization);
      // Exactly what the HTTP API JWT authorizer answers.
      if (!claims) return writeJson(response, 401, { message: 'Unauthorized' });
    }
    const event = await toApiEvent(request, {
      routeKey: `${match.route.method} ${match.route.path}`,
      pathParameters: match.pathParameters,
      claims,
    });
    const handler = await loadHandler(match.route.entry);
    const result = await handler(event, lambdaContext(match.route.functionName));
    writeApiResult(response, result);
    if (match.route.functionName === 'ConfirmConnectFunction' && result.statusCode === 200) {
      const { openId } = JSON.parse(result.body ?? '{}') as { openId?: unknown };
      if (typeof claims?.sub === 'string' && typeof openId === 'string') {
        options.onConnected?.({ appUser: claims.sub, openId });
      }
    }
  }
}

/** Bundles by entry and the newest modification time among their inputs: rebuilt after an edit, else reused. */
const bundles = new Map<string, { builtFrom: number; inputs: string[]; contents: Uint8Array }>();

/**
 * A demo script with what it imports (the typed client in client/, openapi-fetch) bundled by esbuild, as a
 * frontend's build would; rebuilt when one of its files changed, so an edit shows on reload.
 */
async function serveBundle(response: ServerResponse, entry: string): Promise<void> {
  const cached = bundles.get(entry);
  if (cached && (await newestChange(cached.inputs)) <= cached.builtFrom) {
    return serveFile(response, entry, cached.contents);
  }
  const builtFrom = Date.now();
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: 'inline',
    logLevel: 'silent',
    metafile: true,
    absWorkingDir: dirname(dirname(dirname(entry))),
  });
  const contents = result.outputFiles[0]?.contents ?? new Uint8Array();
  const inputs = Object.keys(result.metafile.inputs).map((input) =>
    resolve(dirname(dirname(dirname(entry))), input),
  );
  bundles.set(entry, { builtFrom, inputs, contents });
  await serveFile(response, entry, contents);
}

async function newestChange(paths: string[]): Promise<number> {
  const times = await Promise.all(
    paths.map((path) =>
      stat(path).then(
        (s) => s.mtimeMs,
        () => Infinity,
      ),
    ),
  );
  return Math.max(0, ...times);
}

async function serveFile(response: ServerResponse, path: string, contents?: Uint8Array): Promise<void> {
  const body = contents ?? (await readFile(path));
  response.writeHead(200, {
    'content-type': STATIC_TYPES[extname(path)] ?? 'application/octet-stream',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    // Never framed (clickjacking): CSP frame-ancestors for current browsers, X-Frame-Options for older ones.
    'x-frame-options': 'DENY',
    'content-security-policy':
      // media-src blob: for the composer's preview of the chosen file; connect-src for its PUT to the presigned
      // upload URL (another origin: the S3 server).
      "default-src 'self'; img-src 'self' data: http: https:; media-src 'self' blob:; connect-src 'self' http: https:; script-src 'self'; style-src 'self'; frame-ancestors 'none'",
    // The launch checks the Referer's origin: the page sends its origin, never its path or query.
    'referrer-policy': 'strict-origin',
  });
  response.end(body);
}

function redirectTo(response: ServerResponse, location: string): void {
  response.writeHead(302, { ...SECURITY_HEADERS, location });
  response.end();
}

/** The local server's own answers (the authorizer's 401, 404, /dev) carry the handlers' security headers too. */
function writeJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
