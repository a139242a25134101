import { createHash } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { DataKey, DataKeyProvider, DataKeyRef } from './data-keys.js';

/** Bound into every KMS call: a wrapped key taken to another application's context does not decrypt. */
export const KMS_ENCRYPTION_CONTEXT = { app: 'tiktok-connect' } as const;

/**
 * Envelope encryption with KMS: `GenerateDataKey` gives a plaintext data key (kept in memory for a short while,
 * so a busy container makes one KMS call per few minutes, not one per item) and its wrapped form, stored on the
 * item. Decryption unwraps with `Decrypt`, cached the same way.
 */
export class KmsDataKeyProvider implements DataKeyProvider {
  readonly #kms: KMSClient;
  readonly #keyId: string;
  readonly #cacheMs: number;
  readonly #now: () => number;
  #encryptKey: { key: DataKey; until: number } | undefined;
  #encryptKeyInFlight: Promise<DataKey> | undefined;
  readonly #decrypted = new Map<string, { key: Buffer; until: number }>();
  readonly #unwrapping = new Map<string, Promise<Buffer>>();

  constructor(options: { kms: KMSClient; keyId: string; cacheSeconds?: number; now?: () => number }) {
    this.#kms = options.kms;
    this.#keyId = options.keyId;
    this.#cacheMs = (options.cacheSeconds ?? 300) * 1000;
    this.#now = options.now ?? Date.now;
  }

  async keyForEncrypt(): Promise<DataKey> {
    const cached = this.#encryptKey;
    if (cached && cached.until > this.#now()) return cached.key;
    this.#encryptKeyInFlight ??= this.#generate().finally(() => {
      this.#encryptKeyInFlight = undefined;
    });
    return this.#encryptKeyInFlight;
  }

  async keyForDecrypt(ref: DataKeyRef): Promise<Buffer> {
    if (!ref.wrappedKey || !ref.keyVersion.startsWith('kms:')) {
      throw new AppError('internal', 500, `key version ${ref.keyVersion} is not a KMS envelope key`);
    }
    const cacheKey = createHash('sha256').update(ref.wrappedKey).digest('base64');
    const cached = this.#decrypted.get(cacheKey);
    if (cached && cached.until > this.#now()) return cached.key;
    // Opening a connection's two tokens asks for the same key twice at once: one Decrypt serves both.
    let unwrapping = this.#unwrapping.get(cacheKey);
    if (!unwrapping) {
      unwrapping = this.#unwrap(ref, cacheKey).finally(() => this.#unwrapping.delete(cacheKey));
      this.#unwrapping.set(cacheKey, unwrapping);
    }
    return unwrapping;
  }

  async #unwrap(ref: DataKeyRef, cacheKey: string): Promise<Buffer> {
    const result = await this.#kms.send(
      new DecryptCommand({
        CiphertextBlob: ref.wrappedKey,
        EncryptionContext: KMS_ENCRYPTION_CONTEXT,
        KeyId: ref.keyVersion.slice('kms:'.length),
      }),
    );
    if (result.Plaintext?.length !== 32) {
      throw new AppError('internal', 500, 'KMS returned no 256-bit data key');
    }
    const key = Buffer.from(result.Plaintext);
    this.#sweep();
    this.#decrypted.set(cacheKey, { key, until: this.#now() + this.#cacheMs });
    return key;
  }

  async #generate(): Promise<DataKey> {
    const result = await this.#kms.send(
      new GenerateDataKeyCommand({
        KeyId: this.#keyId,
        KeySpec: 'AES_256',
        EncryptionContext: KMS_ENCRYPTION_CONTEXT,
      }),
    );
    if (!result.Plaintext || !result.CiphertextBlob || result.Plaintext.length !== 32) {
      throw new AppError('internal', 500, 'KMS returned no 256-bit data key');
    }
    const key: DataKey = {
      ref: { keyVersion: `kms:${result.KeyId ?? this.#keyId}`, wrappedKey: result.CiphertextBlob },
      key: Buffer.from(result.Plaintext),
    };
    this.#encryptKey = { key, until: this.#now() + this.#cacheMs };
    return key;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [cacheKey, entry] of this.#decrypted) if (entry.until <= now) this.#decrypted.delete(cacheKey);
  }
}

/** For the functions that seal or open tokens in AWS: data keys from the stack's KMS key (`TOKEN_KMS_KEY_ID`). */
export function kmsDataKeys(config: Config): DataKeyProvider | undefined {
  if (!('kmsKeyId' in config.tokenKey)) return undefined;
  return new KmsDataKeyProvider({
    kms: new KMSClient({ region: config.region }),
    keyId: config.tokenKey.kmsKeyId,
  });
}
