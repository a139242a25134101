import { createHash } from 'node:crypto';
import type { PkceEncoding } from './emulator-options.js';

/** RFC 7636 §4.1: 43–128 unreserved characters. */
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/**
 * TikTok documents S256 as lower-case *hex* SHA-256 (desktop doc, iOS/Android SDKs), not RFC 7636's base64url;
 * which one the emulator expects is a setting so both client variants can be exercised.
 */
export function computeCodeChallenge(codeVerifier: string, encoding: PkceEncoding): string {
  return createHash('sha256').update(codeVerifier).digest(encoding);
}

export function codeVerifierMatches(
  codeVerifier: string | undefined,
  codeChallenge: string,
  encoding: PkceEncoding,
): boolean {
  if (codeVerifier === undefined || !CODE_VERIFIER.test(codeVerifier)) return false;
  return computeCodeChallenge(codeVerifier, encoding) === codeChallenge;
}
