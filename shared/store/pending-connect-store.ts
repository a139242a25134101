import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import type { TokenCipher } from '../crypto/token-cipher.js';
import {
  bin,
  type Item,
  num,
  readStr,
  readStrList,
  requireBin,
  requireNum,
  requireStr,
  str,
  strList,
} from './attributes.js';
import type { ConnectionProfile, TokenGrant } from './connection-store.js';
import { keyRefAttributes, readKeyRef } from './key-ref-attributes.js';
import { DUE_INDEX } from './table-schema.js';

/**
 * A consented connect attempt waiting for the signed-in user's own frontend to confirm it
 * (POST /auth/tiktok/confirm). Keyed by sha256(confirmation code): the code itself is never stored.
 */
export type PendingConnect = {
  codeHash: string;
  /** The app user who started the attempt: only this `sub` may confirm it. */
  appUser: string;
  openId: string;
  grant: TokenGrant;
  profile: ConnectionProfile;
  createdAt: number;
  expiresAt: number;
};

/** The outcome of a confirm's conditional delete. */
export type TakenPending =
  | { outcome: 'taken'; pending: PendingConnect }
  /** Started by another user: dropped (`pending` is what this call deleted; undefined if a racer did). */
  | { outcome: 'other_user'; startedBy: string; pending: PendingConnect | undefined }
  | { outcome: 'expired' }
  | { outcome: 'unknown' };

/**
 * Pending results sit in the sparse due index under a partition of their own, sorted by expiry: the refresher's
 * schedule finds the expired ones with one Query (never a Scan) to revoke their grants, and the connection shards
 * (`DUE#n`) it reads for refreshes never see them.
 */
export const PENDING_CONNECT_SHARD = 'PENDING_CONNECT';

const pendingKey = (codeHash: string) => ({ pk: `PENDING#${codeHash}`, sk: 'PENDING' });
const keyItem = (key: { pk: string; sk: string }): Item => ({ pk: str(key.pk), sk: str(key.sk) });
/** TTL removes what the cleanup could not (TikTok down for a day): the expiry itself is the `expiresAt` check. */
const ttlOf = (expiresAtMs: number) => Math.ceil(expiresAtMs / 1000) + 24 * 3600;
const PROFILE_ATTRIBUTES = ['displayName', 'avatarUrl', 'username', 'unionId'] as const;

/** The plain fields the sealed tokens are bound to (AAD): a table write re-pointing them fails to open. */
const sealContext = (pending: { appUser: string; openId: string; expiresAt: number }) => [
  'pending_connect',
  pending.appUser,
  pending.openId,
  String(pending.expiresAt),
];

export class PendingConnectStore {
  readonly #db: DynamoDBClient;
  readonly #tableName: string;
  readonly #cipher: TokenCipher;

  constructor(options: { db: DynamoDBClient; tableName: string; cipher: TokenCipher }) {
    this.#db = options.db;
    this.#tableName = options.tableName;
    this.#cipher = options.cipher;
  }

  async save(pending: PendingConnect): Promise<void> {
    const key = pendingKey(pending.codeHash);
    const { keyRef, sealed } = await this.#cipher.seal(
      key,
      { accessToken: pending.grant.accessToken, refreshToken: pending.grant.refreshToken },
      sealContext(pending),
    );
    const item: Item = {
      ...keyItem(key),
      kind: str('pending_connect'),
      appUser: str(pending.appUser),
      // Not `openId`: that attribute puts an item into the ByOpenId index, which lists stored connections.
      tiktokOpenId: str(pending.openId),
      accessToken: bin(sealed.accessToken),
      refreshToken: bin(sealed.refreshToken),
      ...keyRefAttributes(keyRef),
      scopes: strList(pending.grant.scopes),
      accessExpiresAt: num(pending.grant.accessExpiresAt),
      refreshExpiresAt: num(pending.grant.refreshExpiresAt),
      createdAt: num(pending.createdAt),
      expiresAt: num(pending.expiresAt),
      ttl: num(ttlOf(pending.expiresAt)),
      [DUE_INDEX.partitionKey]: str(PENDING_CONNECT_SHARD),
      [DUE_INDEX.sortKey]: num(pending.expiresAt),
    };
    for (const name of PROFILE_ATTRIBUTES) {
      const value = pending.profile[name];
      if (value !== undefined) item[name] = str(value);
    }
    await this.#db.send(
      new PutItemCommand({
        TableName: this.#tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  /**
   * The confirm: one conditional delete (exists, not expired, started by `appUser`), so of two concurrent
   * confirms exactly one gets the result. A result started by someone else is deleted too (by a second
   * conditional delete), so it can never be confirmed later by the user who started it.
   */
  async take(codeHash: string, appUser: string, now: number): Promise<TakenPending> {
    const key = pendingKey(codeHash);
    try {
      const result = await this.#db.send(
        new DeleteItemCommand({
          TableName: this.#tableName,
          Key: keyItem(key),
          ConditionExpression: 'attribute_exists(pk) AND expiresAt > :now AND appUser = :appUser',
          ExpressionAttributeValues: { ':now': num(now), ':appUser': str(appUser) },
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      if (!result.Attributes) return { outcome: 'unknown' };
      return { outcome: 'taken', pending: await this.#pendingFrom(codeHash, result.Attributes) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const old = error.Item;
      if (!old) return { outcome: 'unknown' };
      if (requireNum(old, 'expiresAt') <= now) return { outcome: 'expired' };
      const startedBy = requireStr(old, 'appUser');
      const dropped = await this.#deleteIf(key, 'attribute_exists(pk) AND appUser = :appUser', {
        ':appUser': str(startedBy),
      });
      return {
        outcome: 'other_user',
        startedBy,
        pending: dropped ? await this.#pendingFrom(codeHash, dropped) : undefined,
      };
    }
  }

  /** Code hashes of pending results that expired before `now`, oldest first (one page of the index). */
  async listExpired(now: number, limit: number): Promise<string[]> {
    const page = await this.#db.send(
      new QueryCommand({
        TableName: this.#tableName,
        IndexName: DUE_INDEX.name,
        KeyConditionExpression: '#shard = :shard AND #due <= :now',
        ExpressionAttributeNames: { '#shard': DUE_INDEX.partitionKey, '#due': DUE_INDEX.sortKey },
        ExpressionAttributeValues: { ':shard': str(PENDING_CONNECT_SHARD), ':now': num(now) },
        Limit: limit,
      }),
    );
    return (page.Items ?? []).map((item) => requireStr(item, 'pk').slice('PENDING#'.length));
  }

  /** An expired pending result, read consistently; undefined if it is gone or not expired (yet). */
  async getExpired(codeHash: string, now: number): Promise<PendingConnect | undefined> {
    const result = await this.#db.send(
      new GetItemCommand({
        TableName: this.#tableName,
        Key: keyItem(pendingKey(codeHash)),
        ConsistentRead: true,
      }),
    );
    if (!result.Item || requireNum(result.Item, 'expiresAt') > now) return undefined;
    return this.#pendingFrom(codeHash, result.Item);
  }

  /** Deletes an expired pending result once its grant is dealt with; false if it was gone already. */
  async deleteExpired(codeHash: string, now: number): Promise<boolean> {
    const deleted = await this.#deleteIf(pendingKey(codeHash), 'attribute_exists(pk) AND expiresAt <= :now', {
      ':now': num(now),
    });
    return deleted !== undefined;
  }

  async #deleteIf(
    key: { pk: string; sk: string },
    condition: string,
    values: Item,
  ): Promise<Item | undefined> {
    try {
      const result = await this.#db.send(
        new DeleteItemCommand({
          TableName: this.#tableName,
          Key: keyItem(key),
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_OLD',
        }),
      );
      return result.Attributes;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async #pendingFrom(codeHash: string, item: Item): Promise<PendingConnect> {
    const key = pendingKey(codeHash);
    const facts = {
      appUser: requireStr(item, 'appUser'),
      openId: requireStr(item, 'tiktokOpenId'),
      expiresAt: requireNum(item, 'expiresAt'),
    };
    const keyRef = readKeyRef(item);
    const context = sealContext(facts);
    const [accessToken, refreshToken] = await Promise.all([
      this.#cipher.open(key, keyRef, 'accessToken', requireBin(item, 'accessToken'), context),
      this.#cipher.open(key, keyRef, 'refreshToken', requireBin(item, 'refreshToken'), context),
    ]);
    const profile: ConnectionProfile = {};
    for (const name of PROFILE_ATTRIBUTES) {
      const value = readStr(item, name);
      if (value !== undefined) profile[name] = value;
    }
    return {
      codeHash,
      ...facts,
      grant: {
        accessToken,
        refreshToken,
        accessExpiresAt: requireNum(item, 'accessExpiresAt'),
        refreshExpiresAt: requireNum(item, 'refreshExpiresAt'),
        scopes: readStrList(item, 'scopes'),
      },
      profile,
      createdAt: requireNum(item, 'createdAt'),
    };
  }
}
