import type { Redacted } from '../redacted.js';

/** Where the TikTok client secret comes from: Secrets Manager in AWS, the environment locally. */
export interface ClientSecretSource {
  /** The cached secret; `forceRefresh` re-reads it (after TikTok said `invalid_client`: it may have rotated). */
  get(options?: { forceRefresh?: boolean }): Promise<Redacted>;
}
