import type { APIGatewayProxyEventV2, APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { RequestError } from '../errors.js';

export type HttpEvent = APIGatewayProxyEventV2 | APIGatewayProxyEventV2WithJWTAuthorizer;

const MAX_QUERY_LENGTH = 8192;

/**
 * The query string as one value per name. API Gateway joins repeated parameters with commas; we read the raw
 * string instead and refuse repeats outright, so `state=a&state=b` cannot smuggle a second value past a check.
 */
export function readQuery<const N extends string>(
  event: HttpEvent,
  names: readonly N[],
): Record<N, string | undefined> {
  const raw = event.rawQueryString ?? '';
  if (raw.length > MAX_QUERY_LENGTH)
    throw new RequestError('invalid_request', 'The query string is too long');
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(raw);
  } catch {
    throw new RequestError('invalid_request', 'The query string is malformed');
  }
  const out = {} as Record<N, string | undefined>;
  for (const name of names) {
    const values = params.getAll(name);
    if (values.length > 1) throw new RequestError('invalid_request', `Query parameter ${name} is repeated`);
    out[name] = values[0];
  }
  return out;
}

export function readHeader(event: HttpEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** HTTP API v2 gives cookies as a separate `cookies` array of `name=value`. */
export function readCookie(event: HttpEvent, name: string): string | undefined {
  const cookies = event.cookies ?? splitCookieHeader(readHeader(event, 'cookie'));
  let found: string | undefined;
  for (const cookie of cookies) {
    const eq = cookie.indexOf('=');
    if (eq < 0 || cookie.slice(0, eq).trim() !== name) continue;
    // Two cookies of the same name (e.g. one planted by a sibling subdomain): trust neither.
    if (found !== undefined) return undefined;
    found = cookie.slice(eq + 1).trim();
  }
  return found;
}

function splitCookieHeader(header: string | undefined): string[] {
  return header ? header.split(';').map((part) => part.trim()) : [];
}

/** The authenticated app user: the `sub` claim checked by the HTTP API JWT authorizer (or the local server). */
export function requireAppUser(event: HttpEvent): string {
  const context = event.requestContext as { authorizer?: { jwt?: { claims?: Record<string, unknown> } } };
  const sub = context.authorizer?.jwt?.claims?.sub;
  if (typeof sub !== 'string' || sub === '' || sub.length > 256) {
    throw new RequestError('unauthenticated', 'A signed-in user is required', 401);
  }
  return sub;
}

export function acceptsJson(event: HttpEvent): boolean {
  const accept = readHeader(event, 'accept') ?? '';
  return /application\/(json|problem\+json)/i.test(accept);
}
