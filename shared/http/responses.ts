import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { AppError } from '../errors.js';

export type HttpResult = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
};

/** On every answer: nothing cached, nothing sniffed or framed, no Referer carrying a URL onwards. */
export const SECURITY_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
};

export function redirect(location: string, cookies: string[] = []): HttpResult {
  return { statusCode: 302, headers: { ...SECURITY_HEADERS, location }, cookies, body: '' };
}

export function json(statusCode: number, body: unknown, cookies: string[] = []): HttpResult {
  return {
    statusCode,
    headers: { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8' },
    cookies,
    body: JSON.stringify(body),
  };
}

/** RFC 9457 problem details, with our stable `code`. */
export function problem(
  error: Pick<AppError, 'status' | 'code' | 'detail'>,
  extra: Record<string, unknown> = {},
): HttpResult {
  return {
    statusCode: error.status,
    headers: { ...SECURITY_HEADERS, 'content-type': 'application/problem+json; charset=utf-8' },
    body: JSON.stringify({
      // A URN names the problem without pointing at a page we do not host; the README lists every code.
      type: `urn:tiktok-connect:problem:${error.code}`,
      title: titleOf(error.code),
      status: error.status,
      detail: error.detail,
      code: error.code,
      ...extra,
    }),
  };
}

function titleOf(code: string): string {
  const words = code.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
