import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK, jwtVerify, SignJWT } from 'jose';

export const LOCAL_AUDIENCE = 'tiktok-connect-local';

/**
 * The local stand-in for the HTTP API JWT authorizer: a local issuer (ES256 key kept under .data/ so tokens
 * survive a restart) and the same checks API Gateway makes: signature, issuer, audience, expiry.
 */
export class LocalJwtIssuer {
  readonly issuer: string;
  readonly #keys: { privateKey: CryptoKey; publicKey: CryptoKey };

  private constructor(issuer: string, keys: { privateKey: CryptoKey; publicKey: CryptoKey }) {
    this.issuer = issuer;
    this.#keys = keys;
  }

  static async create(options: { issuer: string; keyFile?: string }): Promise<LocalJwtIssuer> {
    return new LocalJwtIssuer(options.issuer, await loadOrCreateKeys(options.keyFile));
  }

  async issue(sub: string, ttlSeconds = 3600): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .setSubject(sub)
      .setIssuer(this.issuer)
      .setAudience(LOCAL_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(this.#keys.privateKey);
  }

  /** The claims of a valid `Authorization: Bearer` header, or undefined (API Gateway would answer 401). */
  async verify(authorization: string | undefined): Promise<Record<string, unknown> | undefined> {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (!token) return undefined;
    try {
      const { payload } = await jwtVerify(token, this.#keys.publicKey, {
        issuer: this.issuer,
        audience: LOCAL_AUDIENCE,
        algorithms: ['ES256'],
      });
      return payload as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }
}

async function loadOrCreateKeys(
  keyFile: string | undefined,
): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }> {
  if (keyFile) {
    try {
      const stored = JSON.parse(await readFile(keyFile, 'utf8')) as { privateJwk: JWK; publicJwk: JWK };
      return {
        privateKey: (await importJWK(stored.privateJwk, 'ES256')) as CryptoKey,
        publicKey: (await importJWK(stored.publicJwk, 'ES256')) as CryptoKey,
      };
    } catch {
      // No usable key yet: make one below.
    }
  }
  const keys = await generateKeyPair('ES256', { extractable: true });
  if (keyFile) {
    await mkdir(dirname(keyFile), { recursive: true });
    const stored = {
      privateJwk: await exportJWK(keys.privateKey),
      publicJwk: await exportJWK(keys.publicKey),
    };
    await writeFile(keyFile, JSON.stringify(stored), { mode: 0o600 });
  }
  return keys;
}
