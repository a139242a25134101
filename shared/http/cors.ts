/**
 * CORS for the frontend origins, as the HTTP API's CORS configuration answers it in AWS (API Gateway then
 * answers preflights itself and adds these headers to the handlers' responses); the local server uses this.
 * No `Access-Control-Allow-Credentials`: the frontend authenticates with a bearer token, never a cookie, so
 * a cross-origin request has no reason to carry cookies (the flow cookie belongs to top-level navigations).
 */
const ALLOWED_METHODS = 'GET, POST, DELETE, OPTIONS';
/** Request headers a frontend may send: the bearer token, JSON, and the tracing headers of common APMs. */
export const DEFAULT_CORS_ALLOW_HEADERS: readonly string[] = [
  'authorization',
  'content-type',
  'traceparent',
  'sentry-trace',
];
/** Response headers a script may read beyond the safelisted ones (a 429's Retry-After). */
const EXPOSED_HEADERS = 'retry-after';
const PREFLIGHT_MAX_AGE_SECONDS = 3600;

/** Headers for an actual response: the origin echoed only if allowed (never `*`). */
export function corsResponseHeaders(
  origin: string | undefined,
  allowedOrigins: readonly string[],
): Record<string, string> {
  if (!origin || !allowedOrigins.includes(origin)) return { vary: 'origin' };
  return {
    'access-control-allow-origin': origin,
    'access-control-expose-headers': EXPOSED_HEADERS,
    vary: 'origin',
  };
}

/** Headers for a preflight (OPTIONS) answer; a foreign origin gets none, so its browser refuses the request. */
export function corsPreflightHeaders(
  origin: string | undefined,
  allowedOrigins: readonly string[],
  allowHeaders: readonly string[] = DEFAULT_CORS_ALLOW_HEADERS,
): Record<string, string> {
  const headers = corsResponseHeaders(origin, allowedOrigins);
  if (!headers['access-control-allow-origin']) return headers;
  return {
    ...headers,
    'access-control-allow-methods': ALLOWED_METHODS,
    'access-control-allow-headers': allowHeaders.join(', '),
    'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS),
  };
}
