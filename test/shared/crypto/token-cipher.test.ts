import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalKeyFileProvider, rotateLocalKey } from '../../../shared/crypto/local-key-file.js';
import { TokenCipher } from '../../../shared/crypto/token-cipher.js';
import { Redacted } from '../../../shared/redacted.js';

const item = { pk: 'USER#alice', sk: 'TIKTOK#open-1' };
const other = { pk: 'USER#mallory', sk: 'TIKTOK#open-1' };

function freshKeyFile() {
  return join(mkdtempSync(join(tmpdir(), 'tc-keys-')), 'token-key.json');
}

describe('TokenCipher (AES-256-GCM, AAD bound to the item)', () => {
  it('round-trips a token and never stores it in plaintext', async () => {
    const cipher = new TokenCipher(new LocalKeyFileProvider(freshKeyFile()));
    const { keyRef, sealed } = await cipher.seal(item, { accessToken: new Redacted('act.secret-value!') });
    expect(Buffer.from(sealed.accessToken).toString('latin1')).not.toContain('act.secret-value');
    expect(keyRef.keyVersion).toBe('local:1');
    const opened = await cipher.open(item, keyRef, 'accessToken', sealed.accessToken);
    expect(opened.reveal()).toBe('act.secret-value!');
  });

  it('uses a fresh IV each time', async () => {
    const cipher = new TokenCipher(new LocalKeyFileProvider(freshKeyFile()));
    const a = await cipher.seal(item, { t: new Redacted('same') });
    const b = await cipher.seal(item, { t: new Redacted('same') });
    expect(Buffer.from(a.sealed.t).equals(Buffer.from(b.sealed.t))).toBe(false);
  });

  it('refuses a ciphertext copied onto another item', async () => {
    const cipher = new TokenCipher(new LocalKeyFileProvider(freshKeyFile()));
    const { keyRef, sealed } = await cipher.seal(item, { accessToken: new Redacted('act.x') });
    await expect(cipher.open(other, keyRef, 'accessToken', sealed.accessToken)).rejects.toThrow(
      /failed authentication/,
    );
  });

  it('refuses a ciphertext moved into another field', async () => {
    const cipher = new TokenCipher(new LocalKeyFileProvider(freshKeyFile()));
    const { keyRef, sealed } = await cipher.seal(item, { accessToken: new Redacted('act.x') });
    await expect(cipher.open(item, keyRef, 'refreshToken', sealed.accessToken)).rejects.toThrow(
      /failed authentication/,
    );
  });

  it('refuses a tampered ciphertext', async () => {
    const cipher = new TokenCipher(new LocalKeyFileProvider(freshKeyFile()));
    const { keyRef, sealed } = await cipher.seal(item, { accessToken: new Redacted('act.x') });
    const tampered = Buffer.from(sealed.accessToken);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 0x01;
    await expect(cipher.open(item, keyRef, 'accessToken', tampered)).rejects.toThrow(/failed authentication/);
  });

  it('refuses a wrong key version, and still opens old versions after a rotation', async () => {
    const path = freshKeyFile();
    const before = new TokenCipher(new LocalKeyFileProvider(path));
    const old = await before.seal(item, { accessToken: new Redacted('act.old') });
    await rotateLocalKey(path);
    const after = new TokenCipher(new LocalKeyFileProvider(path));
    const fresh = await after.seal(item, { accessToken: new Redacted('act.new') });
    expect(fresh.keyRef.keyVersion).toBe('local:2');
    expect((await after.open(item, old.keyRef, 'accessToken', old.sealed.accessToken)).reveal()).toBe(
      'act.old',
    );
    // Claiming version 2 for data sealed with version 1 fails authentication (the version is in the AAD too).
    await expect(after.open(item, fresh.keyRef, 'accessToken', old.sealed.accessToken)).rejects.toThrow();
    await expect(
      after.open(item, { keyVersion: 'local:9' }, 'accessToken', old.sealed.accessToken),
    ).rejects.toThrow(/not in the local key file/);
  });
});
