import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { loadConfig } from '../shared/config.js';
import { corsPreflightHeaders, corsResponseHeaders } from '../shared/http/cors.js';
import { matchRoute, ROUTES } from '../shared/http/route-table.js';
import { lambdaContext, toApiEvent, writeApiResult } from './http-adapter.js';
import type { LocalJwtIssuer } from './local-authorizer.js';

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
};

/**
 * The local stand-in for API Gateway: each request becomes an HTTP API v2 event for the very handler module the
 * Lambda runs; JWT routes get the same check the HTTP API authorizer makes, and CORS is answered as the HTTP
 * API's CORS configuration does. Local-only extras: /dev/token, /openapi.json and the demo page.
 */
export function localRequestListener(options: {
  rootDir: string;
  issuer: LocalJwtIssuer;
  /** One refresh pass now (POST /dev/refresh, used by `npm run refresh`). */
  runRefresh: () => Promise<unknown>;
  /** One publisher run now (POST /dev/posts/run): due posts started, posts waiting on TikTok checked once. */
  runPublisher?: () => Promise<unknown>;
  /** Browser origins allowed to call the API (as the HTTP API's CORS configuration); default CORS_ALLOWED_ORIGINS. */
  corsOrigins?: readonly string[];
}): (request: IncomingMessage, response: ServerResponse) => void {
  let corsOrigins = options.corsOrigins;
  // Read on first use: the local stack puts the handlers' environment in place before requests arrive.
  const allowedOrigins = () => {
    corsOrigins ??= loadConfig().cors.allowedOrigins;
    return corsOrigins;
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
      response.writeHead(204, corsPreflightHeaders(origin, allowedOrigins()));
      response.end();
      return;
    }
    for (const [name, value] of Object.entries(corsResponseHeaders(origin, allowedOrigins()))) {
      response.setHeader(name, value);
    }

    if (method === 'GET' && url.pathname === '/') return redirectTo(response, '/platforms/connect');
    if (method === 'GET' && url.pathname === '/dev/token') {
      const sub = url.searchParams.get('sub') ?? '';
      if (!/^[A-Za-z0-9._@-]{1,128}$/.test(sub)) {
        return writeJson(response, 400, { message: 'sub must be 1–128 characters of A-Z a-z 0-9 . _ @ -' });
      }
      return writeJson(response, 200, { token: await options.issuer.issue(sub) });
    }
    if (method === 'POST' && url.pathname === '/dev/refresh') {
      return writeJson(response, 200, await options.runRefresh());
    }
    if (method === 'POST' && url.pathname === '/dev/posts/run' && options.runPublisher) {
      return writeJson(response, 200, await options.runPublisher());
    }
    if (method === 'GET' && url.pathname === '/openapi.json') {
      return serveFile(response, join(options.rootDir, 'openapi.json'));
    }
    const demoFile = method === 'GET' ? DEMO_FILES[url.pathname] : undefined;
    if (demoFile) return serveFile(response, join(options.rootDir, 'local', 'demo', demoFile));

    const match = matchRoute(ROUTES, method, url.pathname);
    if (!match) return writeJson(response, 404, { message: 'Not Found' });
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
  }
}

async function serveFile(response: ServerResponse, path: string): Promise<void> {
  const body = await readFile(path);
  response.writeHead(200, {
    'content-type': STATIC_TYPES[extname(path)] ?? 'application/octet-stream',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy':
      // media-src blob: for the composer's preview of the chosen file; connect-src for its PUT to the presigned
      // upload URL (another origin: the S3 server).
      "default-src 'self'; img-src 'self' data: http: https:; media-src 'self' blob:; connect-src 'self' http: https:; script-src 'self'; style-src 'self'; frame-ancestors 'none'",
  });
  response.end(body);
}

function redirectTo(response: ServerResponse, location: string): void {
  response.writeHead(302, { location });
  response.end();
}

function writeJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
