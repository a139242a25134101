import { RequestError } from '../errors.js';

const MAX_URL_LENGTH = 2048;

/**
 * `returnTo` is accepted only if it is an absolute http(s) URL on an allowed origin, so the service can never be
 * used as an open redirect (RFC 9700 §4.11). Absent means the configured default.
 */
export function resolveReturnTo(
  requested: string | undefined,
  policy: { allowedOrigins: readonly string[]; defaultUrl: string },
): string {
  if (requested === undefined || requested === '') return policy.defaultUrl;
  if (requested.length > MAX_URL_LENGTH) {
    throw new RequestError('return_to_not_allowed', `returnTo is longer than ${MAX_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(requested);
  } catch {
    throw new RequestError('return_to_not_allowed', 'returnTo must be an absolute URL');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) {
    throw new RequestError('return_to_not_allowed', 'returnTo must be a plain http(s) URL');
  }
  if (!policy.allowedOrigins.includes(url.origin)) {
    throw new RequestError('return_to_not_allowed', `returnTo origin ${url.origin} is not allowed`);
  }
  return url.toString();
}

/**
 * The return URL with the outcome added: `tiktok=pending&confirmation=<code>` (the signed-in user's frontend
 * confirms it), or `tiktok=error&reason=<code>`.
 */
export function returnUrlWithOutcome(
  returnTo: string,
  outcome: { confirmation: string } | { reason: string },
): string {
  const url = new URL(returnTo);
  for (const name of ['tiktok', 'reason', 'confirmation']) url.searchParams.delete(name);
  if ('confirmation' in outcome) {
    url.searchParams.set('tiktok', 'pending');
    url.searchParams.set('confirmation', outcome.confirmation);
  } else {
    url.searchParams.set('tiktok', 'error');
    url.searchParams.set('reason', outcome.reason);
  }
  return url.toString();
}
