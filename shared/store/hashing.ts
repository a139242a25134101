import { createHash } from 'node:crypto';

/** Keys and comparisons use a hash, so a leaked table dump does not hand out live states, tickets or nonces. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
