import { randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { KMS_ENCRYPTION_CONTEXT, KmsDataKeyProvider } from '../../../shared/crypto/kms-data-keys.js';
import { TokenCipher } from '../../../shared/crypto/token-cipher.js';
import { Redacted } from '../../../shared/redacted.js';

// KMS cannot run here: a thin mock that wraps by prefixing, enough to check the envelope logic around it.
const kms = mockClient(KMSClient);
const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555';

beforeEach(() => {
  kms.reset();
  kms.on(GenerateDataKeyCommand).callsFake(() => {
    const plaintext = randomBytes(32);
    return {
      KeyId: KEY_ARN,
      Plaintext: plaintext,
      CiphertextBlob: Buffer.concat([Buffer.from('wrapped:'), plaintext]),
    };
  });
  kms.on(DecryptCommand).callsFake((input: { CiphertextBlob: Uint8Array }) => ({
    KeyId: KEY_ARN,
    Plaintext: Buffer.from(input.CiphertextBlob).subarray('wrapped:'.length),
  }));
});

describe('KMS envelope encryption', () => {
  it('seals with a generated data key and stores the wrapped key with the KMS key version', async () => {
    const cipher = new TokenCipher(new KmsDataKeyProvider({ kms: new KMSClient({}), keyId: KEY_ARN }));
    const { keyRef, sealed } = await cipher.seal(
      { pk: 'a', sk: 'b' },
      { accessToken: new Redacted('act.1') },
    );
    expect(keyRef.keyVersion).toBe(`kms:${KEY_ARN}`);
    expect(keyRef.wrappedKey).toBeDefined();
    const generate = kms.commandCalls(GenerateDataKeyCommand)[0]?.args[0].input;
    expect(generate).toMatchObject({
      KeyId: KEY_ARN,
      KeySpec: 'AES_256',
      EncryptionContext: KMS_ENCRYPTION_CONTEXT,
    });

    // A cold container (new provider) unwraps through KMS with the same encryption context.
    const cold = new TokenCipher(new KmsDataKeyProvider({ kms: new KMSClient({}), keyId: KEY_ARN }));
    expect((await cold.open({ pk: 'a', sk: 'b' }, keyRef, 'accessToken', sealed.accessToken)).reveal()).toBe(
      'act.1',
    );
    expect(kms.commandCalls(DecryptCommand)[0]?.args[0].input.EncryptionContext).toEqual(
      KMS_ENCRYPTION_CONTEXT,
    );
  });

  it('caches the plaintext data key briefly: one KMS call for many items, a new one after the cache time', async () => {
    let now = 1_000_000;
    const provider = new KmsDataKeyProvider({
      kms: new KMSClient({}),
      keyId: KEY_ARN,
      cacheSeconds: 300,
      now: () => now,
    });
    const cipher = new TokenCipher(provider);
    const sealed = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        cipher.seal({ pk: `p${i}`, sk: 's' }, { t: new Redacted(`v${i}`) }),
      ),
    );
    expect(kms.commandCalls(GenerateDataKeyCommand)).toHaveLength(1);
    for (const [i, s] of sealed.entries()) {
      expect((await cipher.open({ pk: `p${i}`, sk: 's' }, s.keyRef, 't', s.sealed.t)).reveal()).toBe(`v${i}`);
    }
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(1);
    now += 301_000;
    await cipher.seal({ pk: 'late', sk: 's' }, { t: new Redacted('x') });
    expect(kms.commandCalls(GenerateDataKeyCommand)).toHaveLength(2);
  });

  it('opens both tokens of a connection with one Decrypt in a cold container', async () => {
    const warm = new TokenCipher(new KmsDataKeyProvider({ kms: new KMSClient({}), keyId: KEY_ARN }));
    const item = { pk: 'USER#a', sk: 'TIKTOK#b' };
    const { keyRef, sealed } = await warm.seal(item, {
      accessToken: new Redacted('act.1'),
      refreshToken: new Redacted('rft.1'),
    });
    kms.resetHistory();
    const cold = new TokenCipher(new KmsDataKeyProvider({ kms: new KMSClient({}), keyId: KEY_ARN }));
    const [access, refresh] = await Promise.all([
      cold.open(item, keyRef, 'accessToken', sealed.accessToken),
      cold.open(item, keyRef, 'refreshToken', sealed.refreshToken),
    ]);
    expect([access.reveal(), refresh.reveal()]).toEqual(['act.1', 'rft.1']);
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(1);
  });
});
