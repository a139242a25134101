import {
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { DataKeyRef } from '../crypto/data-keys.js';
import type { TokenCipher } from '../crypto/token-cipher.js';
import type { Redacted } from '../redacted.js';
import {
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
import { keyRefAttributes, readKeyRef } from './key-ref-attributes.js';
import { refreshScheduleFields } from './refresh-schedule.js';

export type ConnectionStatus = 'active' | 'refresh_failing' | 'reauth_required' | 'revoked' | 'disconnected';

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

export type ConnectionRecord = {
  appUser: string;
  openId: string;
  status: ConnectionStatus;
  scopes: string[];
  profile: ConnectionProfile;
  accessExpiresAt: number | undefined;
  refreshExpiresAt: number | undefined;
  connectedAt: number;
  updatedAt: number;
  version: number;
  /** Absent once tokens were deleted (disconnected, revoked). */
  sealedTokens: { keyRef: DataKeyRef; accessToken: Uint8Array; refreshToken: Uint8Array } | undefined;
};

export const connectionKey = (appUser: string, openId: string) => ({
  pk: `USER#${appUser}`,
  sk: `TIKTOK#${openId}`,
});

const PROFILE_ATTRIBUTES = ['displayName', 'avatarUrl', 'username', 'unionId'] as const;
/** Failure bookkeeping that a fresh connect clears. */
const CLEARED_ON_CONNECT = [
  'failureCount',
  'lastFailureCode',
  'lastFailureAt',
  'disconnectedAt',
  'revokedAt',
];

export class ConnectionStore {
  readonly #db: DynamoDBClient;
  readonly #tableName: string;
  readonly #cipher: TokenCipher;

  constructor(options: { db: DynamoDBClient; tableName: string; cipher: TokenCipher }) {
    this.#db = options.db;
    this.#tableName = options.tableName;
    this.#cipher = options.cipher;
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
    const { keyRef, sealed } = await this.#cipher.seal(key, {
      accessToken: input.grant.accessToken,
      refreshToken: input.grant.refreshToken,
    });
    const schedule = refreshScheduleFields(key, input.grant.accessExpiresAt, input.now);
    const values: Item = {
      appUser: str(input.appUser),
      openId: str(input.openId),
      kind: str('connection'),
      status: str('active'),
      scopes: strList(input.grant.scopes),
      accessToken: { B: sealed.accessToken },
      refreshToken: { B: sealed.refreshToken },
      accessExpiresAt: num(input.grant.accessExpiresAt),
      refreshExpiresAt: num(input.grant.refreshExpiresAt),
      connectedAt: num(input.now),
      updatedAt: num(input.now),
      refreshShard: str(schedule.refreshShard),
      refreshDueAt: num(schedule.refreshDueAt),
      ...keyRefAttributes(keyRef),
    };
    for (const name of PROFILE_ATTRIBUTES) {
      const value = input.profile[name];
      if (value !== undefined) values[name] = str(value);
    }
    const setNames = Object.keys(values);
    const removeNames = [
      ...CLEARED_ON_CONNECT,
      ...PROFILE_ATTRIBUTES.filter((name) => input.profile[name] === undefined),
      ...(keyRef.wrappedKey ? [] : ['wrappedKey']),
    ];
    const names: Record<string, string> = {};
    const expressionValues: Item = { ':one': num(1), ':zero': num(0) };
    const sets = setNames.map((name, i) => {
      names[`#s${i}`] = name;
      expressionValues[`:s${i}`] = values[name] as Item[string];
      return `#s${i} = :s${i}`;
    });
    names['#version'] = 'version';
    const removes = removeNames.map((name, i) => {
      names[`#r${i}`] = name;
      return `#r${i}`;
    });
    const result = await this.#db.send(
      new UpdateItemCommand({
        TableName: this.#tableName,
        Key: { pk: str(key.pk), sk: str(key.sk) },
        UpdateExpression: `SET ${sets.join(', ')}, #version = if_not_exists(#version, :zero) + :one REMOVE ${removes.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: expressionValues,
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
    const key = connectionKey(appUser, openId);
    const result = await this.#db.send(
      new GetItemCommand({
        TableName: this.#tableName,
        Key: { pk: str(key.pk), sk: str(key.sk) },
        ConsistentRead: true,
      }),
    );
    return result.Item ? connectionFrom(result.Item) : undefined;
  }

  /** All of one app user's TikTok connections, newest first. */
  async listForUser(appUser: string): Promise<ConnectionRecord[]> {
    const records: ConnectionRecord[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.#db.send(
        new QueryCommand({
          TableName: this.#tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': str(`USER#${appUser}`), ':prefix': str('TIKTOK#') },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) records.push(connectionFrom(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return records.sort((a, b) => b.connectedAt - a.connectedAt);
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
}

export function connectionFrom(item: Item): ConnectionRecord {
  const accessToken = readBin(item, 'accessToken');
  const refreshToken = readBin(item, 'refreshToken');
  const profile: ConnectionProfile = {};
  for (const name of PROFILE_ATTRIBUTES) {
    const value = readStr(item, name);
    if (value !== undefined) profile[name] = value;
  }
  return {
    appUser: requireStr(item, 'appUser'),
    openId: requireStr(item, 'openId'),
    status: requireStr(item, 'status') as ConnectionStatus,
    scopes: readStrList(item, 'scopes'),
    profile,
    accessExpiresAt: readNum(item, 'accessExpiresAt'),
    refreshExpiresAt: readNum(item, 'refreshExpiresAt'),
    connectedAt: requireNum(item, 'connectedAt'),
    updatedAt: requireNum(item, 'updatedAt'),
    version: requireNum(item, 'version'),
    sealedTokens:
      accessToken && refreshToken ? { keyRef: readKeyRef(item), accessToken, refreshToken } : undefined,
  };
}
