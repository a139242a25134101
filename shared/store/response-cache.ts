import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { num, readNum, readStr, str } from './attributes.js';

/**
 * Short-lived copies of upstream answers (JSON text), one item per owner and request: `CACHE#<owner>` /
 * `<entry>`. TTL removes old items eventually, so reads also check the expiry themselves. Holds no secrets.
 */
export class ResponseCache {
  readonly #db: DynamoDBClient;
  readonly #tableName: string;

  constructor(options: { db: DynamoDBClient; tableName: string }) {
    this.#db = options.db;
    this.#tableName = options.tableName;
  }

  async get(
    owner: string,
    entry: string,
    now: number,
  ): Promise<{ body: string; storedAt: number } | undefined> {
    const { Item } = await this.#db.send(
      new GetItemCommand({ TableName: this.#tableName, Key: cacheKey(owner, entry) }),
    );
    if (!Item) return undefined;
    const body = readStr(Item, 'body');
    const storedAt = readNum(Item, 'storedAt');
    const expiresAt = readNum(Item, 'expiresAt') ?? 0;
    if (body === undefined || storedAt === undefined || expiresAt <= now) return undefined;
    return { body, storedAt };
  }

  async put(owner: string, entry: string, body: string, input: { now: number; ttlSeconds: number }) {
    const expiresAt = input.now + input.ttlSeconds * 1000;
    await this.#db.send(
      new PutItemCommand({
        TableName: this.#tableName,
        Item: {
          ...cacheKey(owner, entry),
          kind: str('response_cache'),
          body: str(body),
          storedAt: num(input.now),
          expiresAt: num(expiresAt),
          ttl: num(Math.ceil(expiresAt / 1000)),
        },
      }),
    );
  }
}

function cacheKey(owner: string, entry: string) {
  return { pk: str(`CACHE#${owner}`), sk: str(entry) };
}
