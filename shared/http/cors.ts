/**
 * CORS for the frontend origins, as the HTTP API's CORS configuration answers it in AWS (API Gateway then
 * answers preflights itself and adds these headers to the handlers' responses); the local server uses this.
 */
const ALLOWED_METHODS = 'GET, POST, DELETE, OPTIONS';
const ALLOWED_HEADERS = 'authorization, content-type';
/** Response headers a script may read beyond the safelisted ones (a 429's Retry-After). */
const EXPOSED_HEADERS = 'retry-after';
const PREFLIGHT_MAX_AGE_SECONDS = 3600;

/** Headers for an actual response: the origin echoed only if allowed (never `*`: requests carry credentials). */
export function corsResponseHeaders(
  origin: string | undefined,
  allowedOrigins: readonly string[],
): Record<string, string> {
  if (!origin || !allowedOrigins.includes(origin)) return { vary: 'origin' };
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    'access-control-expose-headers': EXPOSED_HEADERS,
    vary: 'origin',
  };
}

/** Headers for a preflight (OPTIONS) answer; a foreign origin gets none, so its browser refuses the request. */
export function corsPreflightHeaders(
  origin: string | undefined,
  allowedOrigins: readonly string[],
): Record<string, string> {
  const headers = corsResponseHeaders(origin, allowedOrigins);
  if (!headers['access-control-allow-origin']) return headers;
  return {
    ...headers,
    'access-control-allow-methods': ALLOWED_METHODS,
    'access-control-allow-headers': ALLOWED_HEADERS,
    'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS),
  };
}
