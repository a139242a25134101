import { Redacted } from '../redacted.js';
import type { ClientSecretSource } from './client-secret.js';

/** Local development: the secret from `TIKTOK_CLIENT_SECRET` / `.env`. */
export class StaticClientSecret implements ClientSecretSource {
  readonly #secret: Redacted;

  constructor(secret: string) {
    this.#secret = new Redacted(secret);
  }

  async get(): Promise<Redacted> {
    return this.#secret;
  }
}
