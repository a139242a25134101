import type { ConnectionKey } from '../store/connection-store.js';

/** A batch of connections for a refresh worker: keys only, never tokens. */
export type RefreshBatch = { connections: ConnectionKey[]; enqueuedAt: number };

/** Hands refresh work to workers when one run cannot do it all (SQS in AWS). */
export interface RefreshQueue {
  send(batches: RefreshBatch[]): Promise<void>;
}

/** Reads a message body back into a batch; anything malformed is refused (it goes to the DLQ after retries). */
export function parseRefreshBatch(body: string): RefreshBatch {
  const parsed = JSON.parse(body) as Partial<RefreshBatch>;
  if (!Array.isArray(parsed.connections)) throw new Error('refresh batch has no connections');
  const connections = parsed.connections.map((key) => {
    if (typeof key?.appUser !== 'string' || typeof key?.openId !== 'string')
      throw new Error('bad connection key');
    return { appUser: key.appUser, openId: key.openId };
  });
  return { connections, enqueuedAt: typeof parsed.enqueuedAt === 'number' ? parsed.enqueuedAt : 0 };
}
