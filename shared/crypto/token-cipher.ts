import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppError } from '../errors.js';
import { Redacted } from '../redacted.js';
import type { DataKeyProvider, DataKeyRef } from './data-keys.js';

const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The item a ciphertext belongs to; bound in as additional authenticated data. */
export type ItemKey = { pk: string; sk: string };

/**
 * AES-256-GCM field encryption. The AAD binds each ciphertext to its item key, its field name and its key
 * version, so a ciphertext copied onto another item (or into another field) fails to decrypt.
 * Layout: [format version 1 byte][IV 12][tag 16][ciphertext].
 */
export class TokenCipher {
  readonly #keys: DataKeyProvider;

  constructor(keys: DataKeyProvider) {
    this.#keys = keys;
  }

  /**
   * `context`: plain fields stored next to the ciphertext that must not change without notice (whose attempt,
   * where to send the browser): bound into the AAD, so an item re-pointed by a table write fails to open.
   */
  async seal<F extends string>(
    item: ItemKey,
    fields: Record<F, Redacted>,
    context?: readonly string[],
  ): Promise<{ keyRef: DataKeyRef; sealed: Record<F, Uint8Array> }> {
    const { ref, key } = await this.#keys.keyForEncrypt();
    const sealed = {} as Record<F, Uint8Array>;
    for (const [field, value] of Object.entries(fields) as [F, Redacted][]) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(aad(item, field, ref, context));
      const ciphertext = Buffer.concat([cipher.update(value.reveal(), 'utf8'), cipher.final()]);
      sealed[field] = Buffer.concat([Buffer.of(FORMAT_VERSION), iv, cipher.getAuthTag(), ciphertext]);
    }
    return { keyRef: ref, sealed };
  }

  async open(
    item: ItemKey,
    keyRef: DataKeyRef,
    field: string,
    sealed: Uint8Array,
    context?: readonly string[],
  ): Promise<Redacted> {
    const key = await this.#keys.keyForDecrypt(keyRef);
    const bytes = Buffer.from(sealed);
    if (bytes.length < 1 + IV_BYTES + TAG_BYTES || bytes[0] !== FORMAT_VERSION) {
      throw new AppError('internal', 500, `stored ${field} is not a sealed value`);
    }
    const iv = bytes.subarray(1, 1 + IV_BYTES);
    const tag = bytes.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(aad(item, field, keyRef, context));
    decipher.setAuthTag(tag);
    try {
      const plain = Buffer.concat([
        decipher.update(bytes.subarray(1 + IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]);
      return new Redacted(plain.toString('utf8'));
    } catch {
      throw new AppError(
        'internal',
        500,
        `stored ${field} failed authentication (wrong item, key or tampered)`,
      );
    }
  }
}

function aad(item: ItemKey, field: string, ref: DataKeyRef, context: readonly string[] | undefined): Buffer {
  const parts: unknown[] = ['tiktok-connect', item.pk, item.sk, field, ref.keyVersion];
  // Without a context the AAD is what it always was, so connections sealed before stay readable.
  if (context) parts.push(context);
  return Buffer.from(JSON.stringify(parts), 'utf8');
}
