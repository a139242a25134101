import {
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { DataKeyRef } from '../crypto/data-keys.js';
import type { TokenCipher } from '../crypto/token-cipher.js';
import type { Redacted } from '../redacted.js';
import {
  bin,
  type Item,
  num,
  readBin,
  readNum,
  readStr,
  readStrList,
  requireNum,
  requireStr,
  str,
  strList,
} from './attributes.js';
import { CONDITION_FAILED, ifConditionHolds } from './conditional-write.js';
import { keyRefAttributes, readKeyRef } from './key-ref-attributes.js';
import { refreshScheduleFields } from './refresh-schedule.js';
import { DUE_INDEX, OPEN_ID_INDEX } from './table-schema.js';
import { updateExpression } from './update-expression.js';

export type ConnectionStatus = 'active' | 'refresh_failing' | 'reauth_required' | 'revoked' | 'disconnected';
/** Statuses the refresher keeps alive; the others carry no schedule and no tokens. */
export const REFRESHABLE_STATUSES: readonly ConnectionStatus[] = ['active', 'refresh_failing'];

export type ConnectionProfile = {
  displayName?: string;
  avatarUrl?: string;
  username?: string;
  unionId?: string;
};

/** What a token grant gives us, whoever issued it. */
export type TokenGrant = {
  accessToken: Redacted;
  refreshToken: Redacted;
  accessExpiresAt: number;
  refreshExpiresAt: number;
  scopes: string[];
};

export type ConnectionKey = { appUser: string; openId: string };

export type ConnectionRecord = ConnectionKey & {
  status: ConnectionStatus;
  /** Why the status is what it is (e.g. `invalid_grant`), for unusable and failing connections. */
  statusReason: string | undefined;
  scopes: string[];
  profile: ConnectionProfile;
  accessExpiresAt: number | undefined;
  refreshExpiresAt: number | undefined;
  connectedAt: number;
  updatedAt: number;
  refreshedAt: number | undefined;
  refreshDueAt: number | undefined;
  failureCount: number;
  lease: { owner: string; expiresAt: number } | undefined;
  refreshExpiryWarnedAt: number | undefined;
  version: number;
  /** Absent once tokens were deleted (disconnected, revoked, re-auth required). */
  sealedTokens: { keyRef: DataKeyRef; accessToken: Uint8Array; refreshToken: Uint8Array } | undefined;
};

export const connectionKey = (appUser: string, openId: string) => ({
  pk: `USER#${appUser}`,
  sk: `TIKTOK#${openId}`,
});

const PROFILE_ATTRIBUTES = ['displayName', 'avatarUrl', 'username', 'unionId'] as const;
const LEASE_ATTRIBUTES = ['leaseOwner', 'leaseExpiresAt'];
const FAILURE_ATTRIBUTES = ['failureCount', 'lastFailureCode', 'lastFailureAt', 'statusReason'];
const TOKEN_ATTRIBUTES = ['accessToken', 'refreshToken', 'keyVersion', 'wrappedKey'];
const SCHEDULE_ATTRIBUTES = [DUE_INDEX.partitionKey, DUE_INDEX.sortKey];

export class ConnectionStore {
  readonly #db: DynamoDBClient;
  readonly #tableName: string;
  readonly #cipher: TokenCipher;

  readonly #refreshAheadMs: number;

  constructor(options: {
    db: DynamoDBClient;
    tableName: string;
    cipher: TokenCipher;
    refreshAheadMs: number;
  }) {
    this.#db = options.db;
    this.#tableName = options.tableName;
    this.#cipher = options.cipher;
    this.#refreshAheadMs = options.refreshAheadMs;
  }

  /**
   * Creates or replaces the connection (app user, open_id) in one write: tokens sealed, both expiries, granted
   * scopes, profile, status `active`, version + 1. One UpdateItem, so no reader ever sees half of it.
   */
  async saveConnected(input: {
    appUser: string;
    openId: string;
    grant: TokenGrant;
    profile: ConnectionProfile;
    now: number;
  }): Promise<{ version: number; previousStatus: ConnectionStatus | undefined }> {
    const key = connectionKey(input.appUser, input.openId);
    const set: Item = {
      appUser: str(input.appUser),
      openId: str(input.openId),
      kind: str('connection'),
      status: str('active'),
      profileUpdatedAt: num(input.now),
      connectedAt: num(input.now),
      ...(await this.#grantAttributes(key, input.grant, input.now)),
    };
    for (const name of PROFILE_ATTRIBUTES) {
      const value = input.profile[name];
      if (value !== undefined) set[name] = str(value);
    }
    const remove = [
      ...FAILURE_ATTRIBUTES,
      ...LEASE_ATTRIBUTES,
      'disconnectedAt',
      'revokedAt',
      'refreshExpiryWarnedAt',
      ...PROFILE_ATTRIBUTES.filter((name) => input.profile[name] === undefined),
      ...(set.wrappedKey ? [] : ['wrappedKey']),
    ];
    const result = await this.#db.send(
      new UpdateItemCommand({
        TableName: this.#tableName,
        Key: keyItem(key),
        ...updateExpression({ set, remove, bumpVersion: true }),
        ReturnValues: 'ALL_OLD',
      }),
    );
    const before = result.Attributes ?? {};
    return {
      version: (readNum(before, 'version') ?? 0) + 1,
      previousStatus: readStr(before, 'status') as ConnectionStatus | undefined,
    };
  }

  async get(appUser: string, openId: string): Promise<ConnectionRecord | undefined> {
    const result = await this.#db.send(
      new GetItemCommand({
        TableName: this.#tableName,
        Key: keyItem(connectionKey(appUser, openId)),
        ConsistentRead: true,
      }),
    );
    return result.Item && readStr(result.Item, 'kind') === 'connection'
      ? connectionFrom(result.Item)
      : undefined;
  }

  /** All of one app user's TikTok connections, newest first. */
  async listForUser(appUser: string): Promise<ConnectionRecord[]> {
    const items = await this.#queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': str(`USER#${appUser}`), ':prefix': str('TIKTOK#') },
    });
    return items.map(connectionFrom).sort((a, b) => b.connectedAt - a.connectedAt);
  }

  /** Every app user holding a connection to this TikTok account (TikTok's webhook names only the open_id). */
  async findByOpenId(openId: string): Promise<ConnectionKey[]> {
    const items = await this.#queryAll({
      IndexName: OPEN_ID_INDEX.name,
      KeyConditionExpression: 'openId = :openId',
      ExpressionAttributeValues: { ':openId': str(openId) },
    });
    return items.map(keyFrom);
  }

  /**
   * One page of connections due for refresh in one shard of the sparse due index (only refreshable connections
   * carry the index attributes, so nothing else is read).
   */
  async queryDue(input: {
    shard: string;
    dueBefore: number;
    limit: number;
    startKey?: Item | undefined;
  }): Promise<{ keys: (ConnectionKey & { dueAt: number })[]; nextKey: Item | undefined }> {
    const page = await this.#db.send(
      new QueryCommand({
        TableName: this.#tableName,
        IndexName: DUE_INDEX.name,
        KeyConditionExpression: '#shard = :shard AND #due <= :dueBefore',
        ExpressionAttributeNames: { '#shard': DUE_INDEX.partitionKey, '#due': DUE_INDEX.sortKey },
        ExpressionAttributeValues: { ':shard': str(input.shard), ':dueBefore': num(input.dueBefore) },
        Limit: input.limit,
        ExclusiveStartKey: input.startKey,
      }),
    );
    return {
      keys: (page.Items ?? []).map((item) => ({
        ...keyFrom(item),
        dueAt: requireNum(item, DUE_INDEX.sortKey),
      })),
      nextKey: page.LastEvaluatedKey,
    };
  }

  /**
   * Takes the refresh lease: one conditional write that succeeds only for a refreshable connection whose lease is
   * free or expired (a crashed holder does not block forever) and, for scheduled work, that is still due (so a
   * stale index entry does not cause a second refresh). Returns the item as it was before, so the caller sees
   * the tokens it must refresh and whether an earlier holder died mid-refresh; undefined if not taken.
   */
  async acquireLease(input: {
    key: ConnectionKey;
    owner: string;
    now: number;
    leaseMs: number;
    dueBefore?: number;
    /** On demand: only if the access token still expires before this instant, or the version is still this one. */
    stale?: { accessExpiresBefore: number; orVersion?: number | undefined };
  }): Promise<ConnectionRecord | undefined> {
    const conditions = [
      'attribute_exists(pk)',
      '#status IN (:active, :failing)',
      '(attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now)',
    ];
    const conditionValues: Item = {
      ':active': str('active'),
      ':failing': str('refresh_failing'),
      ':now': num(input.now),
    };
    const conditionNames: Record<string, string> = { '#status': 'status' };
    if (input.dueBefore !== undefined) {
      conditions.push('refreshDueAt <= :dueBefore');
      conditionValues[':dueBefore'] = num(input.dueBefore);
    }
    if (input.stale) {
      // Someone may have refreshed between our read and this lease: then there is nothing left to do.
      conditionValues[':expiresBefore'] = num(input.stale.accessExpiresBefore);
      if (input.stale.orVersion === undefined) {
        conditions.push('accessExpiresAt < :expiresBefore');
      } else {
        conditions.push('(accessExpiresAt < :expiresBefore OR #v = :staleVersion)');
        conditionValues[':staleVersion'] = num(input.stale.orVersion);
        conditionNames['#v'] = 'version';
      }
    }
    const result = await ifConditionHolds(
      this.#db.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: keyItem(connectionKey(input.key.appUser, input.key.openId)),
          ...updateExpression({
            set: { leaseOwner: str(input.owner), leaseExpiresAt: num(input.now + input.leaseMs) },
            conditionValues,
            conditionNames,
          }),
          ConditionExpression: conditions.join(' AND '),
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    if (result === CONDITION_FAILED) return undefined;
    return result.Attributes ? connectionFrom(result.Attributes) : undefined;
  }

  /**
   * Stores a refresh's result — new access token, the new (rotated) refresh token, both expiries, scopes — in one
   * compare-and-swap on the version read and the lease held. 'lost' means someone else wrote in between.
   */
  async saveRefreshed(input: {
    record: ConnectionRecord;
    owner: string;
    grant: TokenGrant;
    now: number;
  }): Promise<{ outcome: 'saved'; version: number } | { outcome: 'lost' }> {
    const key = connectionKey(input.record.appUser, input.record.openId);
    const grantAttributes = await this.#grantAttributes(key, input.grant, input.now);
    // Computed from `refresh_expires_in` at request time, a fixed expiry wobbles by a second or so between answers:
    // only a real extension (over an hour) re-arms the expiry warning.
    const refreshExtended = input.grant.refreshExpiresAt > (input.record.refreshExpiresAt ?? 0) + 3_600_000;
    const written = await ifConditionHolds(
      this.#db.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: keyItem(key),
          ...updateExpression({
            set: { ...grantAttributes, status: str('active'), refreshedAt: num(input.now) },
            remove: [
              ...LEASE_ATTRIBUTES,
              ...FAILURE_ATTRIBUTES,
              ...(refreshExtended ? ['refreshExpiryWarnedAt'] : []),
              ...(grantAttributes.wrappedKey ? [] : ['wrappedKey']),
            ],
            bumpVersion: true,
            conditionValues: { ':expectedVersion': num(input.record.version), ':owner': str(input.owner) },
            conditionNames: { '#v': 'version' },
          }),
          ConditionExpression: '#v = :expectedVersion AND leaseOwner = :owner',
        }),
      ),
    );
    if (written === CONDITION_FAILED) return { outcome: 'lost' };
    return { outcome: 'saved', version: input.record.version + 1 };
  }

  /** A retryable failure: count it, push the next attempt out (backoff), give the lease back. */
  async recordRefreshFailure(input: {
    record: ConnectionRecord;
    owner: string;
    reason: string;
    nextAttemptAt: number;
    now: number;
  }): Promise<boolean> {
    return this.#conditionalUpdate(input.record, {
      set: {
        status: str('refresh_failing'),
        statusReason: str(input.reason),
        lastFailureCode: str(input.reason),
        lastFailureAt: num(input.now),
        failureCount: num(input.record.failureCount + 1),
        [DUE_INDEX.sortKey]: num(input.nextAttemptAt),
        updatedAt: num(input.now),
      },
      remove: LEASE_ATTRIBUTES,
      owner: input.owner,
    });
  }

  /** Gives the lease back without changing anything else (e.g. an operator-side failure). */
  async releaseLease(input: {
    record: ConnectionRecord;
    owner: string;
    nextAttemptAt?: number;
  }): Promise<boolean> {
    return this.#conditionalUpdate(input.record, {
      set: input.nextAttemptAt === undefined ? {} : { [DUE_INDEX.sortKey]: num(input.nextAttemptAt) },
      remove: LEASE_ATTRIBUTES,
      owner: input.owner,
    });
  }

  async markRefreshExpiryWarned(input: {
    record: ConnectionRecord;
    owner?: string;
    now: number;
  }): Promise<boolean> {
    return this.#conditionalUpdate(input.record, {
      set: { refreshExpiryWarnedAt: num(input.now) },
      owner: input.owner,
    });
  }

  /**
   * The connection can no longer be used (re-auth required, revoked, disconnected): the tokens and their key
   * material are deleted, the schedule removed, the status and reason recorded, the version bumped. With `owner`
   * it happens only while that lease is held; with `expectedVersion`, only if nothing was written since.
   */
  async markUnusable(input: {
    key: ConnectionKey;
    status: Exclude<ConnectionStatus, 'active' | 'refresh_failing'>;
    reason: string;
    now: number;
    owner?: string;
    expectedVersion?: number;
    /** Only from these statuses (e.g. a revocation does not touch a connection already disconnected). */
    fromStatuses?: readonly ConnectionStatus[];
    /** Only if connected before this instant (a late webhook must not revoke a newer grant). */
    connectedBefore?: number;
  }): Promise<ConnectionRecord | undefined> {
    const conditions = ['attribute_exists(pk)'];
    const conditionValues: Item = {};
    if (input.connectedBefore !== undefined) {
      conditions.push('connectedAt < :connectedBefore');
      conditionValues[':connectedBefore'] = num(input.connectedBefore);
    }
    if (input.fromStatuses) {
      const placeholders = input.fromStatuses.map((status, i) => {
        conditionValues[`:from${i}`] = str(status);
        return `:from${i}`;
      });
      conditions.push(`#status IN (${placeholders.join(', ')})`);
    }
    if (input.owner !== undefined) {
      conditions.push('leaseOwner = :owner');
      conditionValues[':owner'] = str(input.owner);
    }
    if (input.expectedVersion !== undefined) {
      conditions.push('#v = :expectedVersion');
      conditionValues[':expectedVersion'] = num(input.expectedVersion);
    }
    const stamp =
      input.status === 'disconnected'
        ? 'disconnectedAt'
        : input.status === 'revoked'
          ? 'revokedAt'
          : 'reauthRequiredAt';
    const result = await ifConditionHolds(
      this.#db.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: keyItem(connectionKey(input.key.appUser, input.key.openId)),
          ...updateExpression({
            set: {
              status: str(input.status),
              statusReason: str(input.reason),
              updatedAt: num(input.now),
              [stamp]: num(input.now),
            },
            remove: [...TOKEN_ATTRIBUTES, ...SCHEDULE_ATTRIBUTES, ...LEASE_ATTRIBUTES],
            bumpVersion: true,
            conditionValues,
            conditionNames: {
              ...(input.expectedVersion === undefined ? {} : { '#v': 'version' }),
              ...(input.fromStatuses ? { '#status': 'status' } : {}),
            },
          }),
          ConditionExpression: conditions.join(' AND '),
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    if (result === CONDITION_FAILED) return undefined;
    return result.Attributes ? connectionFrom(result.Attributes) : undefined;
  }

  /**
   * Key rotation: the same tokens, sealed again with the current data key, in one compare-and-swap on the version
   * (a refresh in between wins, and its write already used the current key). The schedule is left as it is.
   */
  async reseal(record: ConnectionRecord, now: number): Promise<'resealed' | 'changed'> {
    const tokens = await this.openTokens(record);
    const key = connectionKey(record.appUser, record.openId);
    const { keyRef, sealed } = await this.#cipher.seal(key, tokens);
    const written = await ifConditionHolds(
      this.#db.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: keyItem(key),
          ...updateExpression({
            set: {
              accessToken: bin(sealed.accessToken),
              refreshToken: bin(sealed.refreshToken),
              ...keyRefAttributes(keyRef),
            },
            remove: keyRef.wrappedKey ? [] : ['wrappedKey'],
            bumpVersion: true,
            conditionValues: { ':expectedVersion': num(record.version), ':now': num(now) },
            conditionNames: { '#v': 'version' },
          }),
          // Not while a refresh holds the lease: its new refresh token must not lose to our copy of the old one.
          ConditionExpression:
            '#v = :expectedVersion AND attribute_exists(accessToken) AND (attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now)',
        }),
      ),
    );
    if (written === CONDITION_FAILED) return 'changed';
    return 'resealed';
  }

  /** Every connection holding tokens, page by page: an operator's job (key rotation), so a Scan is right here. */
  async *connectionsWithTokens(): AsyncGenerator<ConnectionRecord> {
    let startKey: Item | undefined;
    do {
      const page = await this.#db.send(
        new ScanCommand({
          TableName: this.#tableName,
          FilterExpression: 'kind = :kind AND attribute_exists(accessToken)',
          ExpressionAttributeValues: { ':kind': str('connection') },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) yield connectionFrom(item);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  async openTokens(record: ConnectionRecord): Promise<{ accessToken: Redacted; refreshToken: Redacted }> {
    if (!record.sealedTokens) throw new Error('connection has no tokens');
    const key = connectionKey(record.appUser, record.openId);
    const { keyRef } = record.sealedTokens;
    const [accessToken, refreshToken] = await Promise.all([
      this.#cipher.open(key, keyRef, 'accessToken', record.sealedTokens.accessToken),
      this.#cipher.open(key, keyRef, 'refreshToken', record.sealedTokens.refreshToken),
    ]);
    return { accessToken, refreshToken };
  }

  async #grantAttributes(key: { pk: string; sk: string }, grant: TokenGrant, now: number): Promise<Item> {
    const { keyRef, sealed } = await this.#cipher.seal(key, {
      accessToken: grant.accessToken,
      refreshToken: grant.refreshToken,
    });
    const schedule = refreshScheduleFields(key, grant.accessExpiresAt, now, this.#refreshAheadMs);
    return {
      accessToken: bin(sealed.accessToken),
      refreshToken: bin(sealed.refreshToken),
      ...keyRefAttributes(keyRef),
      scopes: strList(grant.scopes),
      accessExpiresAt: num(grant.accessExpiresAt),
      refreshExpiresAt: num(grant.refreshExpiresAt),
      updatedAt: num(now),
      [DUE_INDEX.partitionKey]: str(schedule.refreshShard),
      [DUE_INDEX.sortKey]: num(schedule.refreshDueAt),
    };
  }

  /** Every page of a query (a user's connections, an account's holders: a handful of items). */
  async #queryAll(
    query: Pick<QueryCommandInput, 'IndexName' | 'KeyConditionExpression' | 'ExpressionAttributeValues'>,
  ): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.#db.send(
        new QueryCommand({ TableName: this.#tableName, ...query, ExclusiveStartKey: startKey }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  async #conditionalUpdate(
    record: ConnectionRecord,
    change: { set?: Item; remove?: readonly string[]; owner?: string | undefined },
  ): Promise<boolean> {
    const conditionValues: Item = {};
    let condition = 'attribute_exists(pk)';
    if (change.owner !== undefined) {
      condition += ' AND leaseOwner = :owner';
      conditionValues[':owner'] = str(change.owner);
    }
    const written = await ifConditionHolds(
      this.#db.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: keyItem(connectionKey(record.appUser, record.openId)),
          ...updateExpression({ set: change.set, remove: change.remove, conditionValues }),
          ConditionExpression: condition,
        }),
      ),
    );
    return written !== CONDITION_FAILED;
  }
}

function keyItem(key: { pk: string; sk: string }): Item {
  return { pk: str(key.pk), sk: str(key.sk) };
}

function keyFrom(item: Item): ConnectionKey {
  return {
    appUser: requireStr(item, 'pk').slice('USER#'.length),
    openId: requireStr(item, 'sk').slice('TIKTOK#'.length),
  };
}

export function connectionFrom(item: Item): ConnectionRecord {
  const accessToken = readBin(item, 'accessToken');
  const refreshToken = readBin(item, 'refreshToken');
  const profile: ConnectionProfile = {};
  for (const name of PROFILE_ATTRIBUTES) {
    const value = readStr(item, name);
    if (value !== undefined) profile[name] = value;
  }
  const leaseOwner = readStr(item, 'leaseOwner');
  const leaseExpiresAt = readNum(item, 'leaseExpiresAt');
  return {
    appUser: requireStr(item, 'appUser'),
    openId: requireStr(item, 'openId'),
    status: requireStr(item, 'status') as ConnectionStatus,
    statusReason: readStr(item, 'statusReason'),
    scopes: readStrList(item, 'scopes'),
    profile,
    accessExpiresAt: readNum(item, 'accessExpiresAt'),
    refreshExpiresAt: readNum(item, 'refreshExpiresAt'),
    connectedAt: requireNum(item, 'connectedAt'),
    updatedAt: requireNum(item, 'updatedAt'),
    refreshedAt: readNum(item, 'refreshedAt'),
    refreshDueAt: readNum(item, DUE_INDEX.sortKey),
    failureCount: readNum(item, 'failureCount') ?? 0,
    lease:
      leaseOwner && leaseExpiresAt !== undefined
        ? { owner: leaseOwner, expiresAt: leaseExpiresAt }
        : undefined,
    refreshExpiryWarnedAt: readNum(item, 'refreshExpiryWarnedAt'),
    version: requireNum(item, 'version'),
    sealedTokens:
      accessToken && refreshToken ? { keyRef: readKeyRef(item), accessToken, refreshToken } : undefined,
  };
}
