import { createHash } from 'node:crypto';
import { DUE_INDEX, REFRESH_SHARD_COUNT } from './table-schema.js';

const MAX_JITTER_MS = 5 * 60 * 1000;

/**
 * Where a connection sits in the due index. The shard comes from a hash of the item key, so connections spread
 * evenly over shards. The due time is the instant the refresher should take it: the access-token expiry minus the
 * refresh-ahead window, pulled forward by a random jitter (up to 10% of the token's life, at most 5 minutes) so a
 * burst of connects does not become a burst of refreshes. Never before the token was issued.
 */
export function refreshScheduleFields(
  item: { pk: string; sk: string },
  accessExpiresAt: number,
  issuedAt: number,
  aheadMs: number,
  random: () => number = Math.random,
): { [DUE_INDEX.partitionKey]: string; [DUE_INDEX.sortKey]: number } {
  const lifetime = Math.max(0, accessExpiresAt - issuedAt);
  const jitter = Math.floor(random() * Math.min(MAX_JITTER_MS, lifetime * 0.1));
  return {
    refreshShard: refreshShardOf(item),
    refreshDueAt: Math.max(issuedAt, accessExpiresAt - aheadMs - jitter),
  };
}

export function refreshShardOf(item: { pk: string; sk: string }): string {
  const digest = createHash('sha256').update(`${item.pk}\u0000${item.sk}`).digest();
  return `DUE#${digest.readUInt32BE(0) % REFRESH_SHARD_COUNT}`;
}

export function allRefreshShards(): string[] {
  return Array.from({ length: REFRESH_SHARD_COUNT }, (_, shard) => `DUE#${shard}`);
}
