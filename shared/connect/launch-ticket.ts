import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { ConnectFlowError } from '../errors.js';

/**
 * The launch ticket's stored authorize URL carries the raw `state`, so it is sealed with a key only the ticket's
 * holder has: AES-256-GCM keyed by a hash of the ticket (distinct from the hash that keys the item). A copy of
 * the table reveals no state; the launch function needs no KMS to open it.
 */
function keyOf(ticket: string): Buffer {
  return createHash('sha256').update(`tiktok-connect launch ticket key\u0000${ticket}`).digest();
}

export function sealWithTicket(ticket: string, plaintext: string): Uint8Array {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(ticket), iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

export function openWithTicket(ticket: string, sealed: Uint8Array): string {
  const bytes = Buffer.from(sealed);
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyOf(ticket), bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    throw new ConnectFlowError('launch_invalid', 'This connect link is unknown, expired or already used');
  }
}
