import { randomBytes } from 'node:crypto';

/** 32 random bytes, base64url: the OAuth state, the browser nonce and the launch ticket (RFC 9700 §4.7.1). */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** A value produced by `randomToken` (43 base64url characters); anything else is refused before any lookup. */
export const RANDOM_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
