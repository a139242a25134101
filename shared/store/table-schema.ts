/**
 * The one DynamoDB table, described once: the CDK stack and the local stack both build it from here.
 *
 * Items (pk / sk):
 *  - OAuth state:   STATE#<sha256(state)>   / STATE      (TTL `ttl`)
 *  - Launch ticket: LAUNCH#<sha256(id)>     / LAUNCH     (TTL `ttl`)
 *  - Connection:    USER#<appUser>          / TIKTOK#<openId>
 *  - Webhook delivery: WEBHOOK#<sha256(body)> / WEBHOOK  (TTL `ttl`, 4 days)
 *  - Rate budget:   RATE#<endpoint>#<minute> / RATE      (TTL `ttl`)
 *  - Display cache: CACHE#…                               (TTL `ttl`, only with DISPLAY_CACHE_SECONDS)
 *  - Analytics:     ANALYTICS#<openId>#<appUser> / STATE | VIDEO#<createTime>#<videoId> | DAY#<YYYY-MM-DD>
 *                   (TTL `ttl`, the retention; see shared/store/analytics-store.ts)
 *
 * Indexes:
 *  - `DueForRefresh` (sparse): only connections that should be refreshed carry `refreshShard`/`refreshDueAt`,
 *    so the refresher queries each shard for `refreshDueAt <= horizon` and reads only what is due, never a Scan.
 *  - `ByOpenId` (sparse): TikTok's deauthorization webhook names only the open_id.
 *  - `AnalyticsDue` (sparse): only analytics STATE items carry `analyticsShard`/`analyticsDueAt`, so the snapshot
 *    pass reads just the connections whose next snapshot is due.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export const TABLE_KEY = { partitionKey: 'pk', sortKey: 'sk' } as const;
export const TTL_ATTRIBUTE = 'ttl';

export const DUE_INDEX = {
  name: 'DueForRefresh',
  partitionKey: 'refreshShard',
  sortKey: 'refreshDueAt',
} as const;

export const OPEN_ID_INDEX = {
  name: 'ByOpenId',
  partitionKey: 'openId',
  sortKey: 'pk',
} as const;

export const ANALYTICS_DUE_INDEX = {
  name: 'AnalyticsDue',
  partitionKey: 'analyticsShard',
  sortKey: 'analyticsDueAt',
} as const;

/** Shards of the due index: enough that one partition never takes all refresher traffic. */
export const REFRESH_SHARD_COUNT = 16;

/** Input for CreateTable, used by the local stack and tests (the CDK stack declares the same shape). */
export function createTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: TABLE_KEY.partitionKey, AttributeType: 'S' },
      { AttributeName: TABLE_KEY.sortKey, AttributeType: 'S' },
      { AttributeName: DUE_INDEX.partitionKey, AttributeType: 'S' },
      { AttributeName: DUE_INDEX.sortKey, AttributeType: 'N' },
      { AttributeName: OPEN_ID_INDEX.partitionKey, AttributeType: 'S' },
      { AttributeName: ANALYTICS_DUE_INDEX.partitionKey, AttributeType: 'S' },
      { AttributeName: ANALYTICS_DUE_INDEX.sortKey, AttributeType: 'N' },
    ],
    KeySchema: [
      { AttributeName: TABLE_KEY.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_KEY.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: DUE_INDEX.name,
        KeySchema: [
          { AttributeName: DUE_INDEX.partitionKey, KeyType: 'HASH' },
          { AttributeName: DUE_INDEX.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
      {
        IndexName: OPEN_ID_INDEX.name,
        KeySchema: [
          { AttributeName: OPEN_ID_INDEX.partitionKey, KeyType: 'HASH' },
          { AttributeName: OPEN_ID_INDEX.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
      {
        IndexName: ANALYTICS_DUE_INDEX.name,
        KeySchema: [
          { AttributeName: ANALYTICS_DUE_INDEX.partitionKey, KeyType: 'HASH' },
          { AttributeName: ANALYTICS_DUE_INDEX.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ],
  };
}
