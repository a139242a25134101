import { createHash, randomBytes } from 'node:crypto';

export type PkceEncoding = 'hex' | 'base64url';

/** RFC 7636 §4.1: 43–128 characters from the unreserved set. 48 random bytes give 64 base64url characters. */
export function createCodeVerifier(): string {
  return randomBytes(48).toString('base64url');
}

/**
 * S256 challenge. TikTok departs from RFC 7636 §4.2: its docs and SDKs encode SHA-256 as lower-case hex,
 * and a base64url challenge is refused where TikTok checks PKCE. `base64url` stays available behind a flag.
 */
export function codeChallengeS256(verifier: string, encoding: PkceEncoding): string {
  return createHash('sha256').update(verifier).digest(encoding);
}
