import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type Item, num, readNum, str } from './attributes.js';

const WINDOW_MS = 60_000;
/** Window items outlive the next window (which reads them as "previous"), then TTL removes them. */
const KEEP_SECONDS = 3 * 60;

export type BudgetDecision = { granted: true } | { granted: false; retryAfterSeconds: number };

/**
 * A request budget per name, shared by every process through the table: one counter item per name per
 * one-minute window (`RATE#<name>#<window start>`), raised by an atomic ADD that succeeds only while the budget
 * lasts. The limit applies to a sliding minute, approximated the usual way: the previous window's count weighted by
 * how much of it still overlaps the last 60 s, plus the current window's count.
 */
export class RateBudget {
  readonly #db: DynamoDBClient;
  readonly #tableName: string;
  /** Counts of windows that are over: they no longer change, so each process reads one at most once. */
  readonly #closedWindows = new Map<string, number>();

  constructor(options: { db: DynamoDBClient; tableName: string }) {
    this.#db = options.db;
    this.#tableName = options.tableName;
  }

  /** Takes one request from the budget `name` (at most `limit` a minute), or says when to come back. */
  async spend(name: string, limit: number, now: number): Promise<BudgetDecision> {
    const windowStart = Math.floor(now / WINDOW_MS) * WINDOW_MS;
    const overlap = 1 - (now - windowStart) / WINDOW_MS;
    const previous = await this.#closedWindowCount(name, windowStart - WINDOW_MS);
    // What the current window may still hold so that weighted previous + current stays within the limit.
    const allowedInWindow = limit - Math.floor(previous * overlap);
    if (allowedInWindow <= 0) {
      const current = await this.#windowCount(name, windowStart);
      return this.#refusal({ limit, previous, current, windowStart, now });
    }
    try {
      await this.#db.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: windowKey(name, windowStart),
          UpdateExpression: 'SET #ttl = :ttl, #kind = :kind ADD #count :one',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :allowed',
          ExpressionAttributeNames: { '#count': 'count', '#ttl': 'ttl', '#kind': 'kind' },
          ExpressionAttributeValues: {
            ':one': num(1),
            ':allowed': num(allowedInWindow),
            ':ttl': num(Math.ceil((windowStart + WINDOW_MS) / 1000) + KEEP_SECONDS),
            ':kind': str('rate_window'),
          },
        }),
      );
      return { granted: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const current = await this.#windowCount(name, windowStart);
      return this.#refusal({ limit, previous, current, windowStart, now });
    }
  }

  async #closedWindowCount(name: string, windowStart: number): Promise<number> {
    const cacheKey = `${name}#${windowStart}`;
    const known = this.#closedWindows.get(cacheKey);
    if (known !== undefined) return known;
    const count = await this.#windowCount(name, windowStart);
    // Only the latest closed window per name is ever asked for again.
    for (const key of this.#closedWindows.keys())
      if (key.startsWith(`${name}#`)) this.#closedWindows.delete(key);
    this.#closedWindows.set(cacheKey, count);
    return count;
  }

  async #windowCount(name: string, windowStart: number): Promise<number> {
    const { Item } = await this.#db.send(
      new GetItemCommand({
        TableName: this.#tableName,
        Key: windowKey(name, windowStart),
        ConsistentRead: true,
      }),
    );
    return Item ? (readNum(Item, 'count') ?? 0) : 0;
  }

  /** When enough of the previous window has slid out of the last minute, or else when this window ends. */
  #refusal(input: {
    limit: number;
    previous: number;
    current: number;
    windowStart: number;
    now: number;
  }): BudgetDecision {
    const { limit, previous, current, windowStart, now } = input;
    const windowEnd = windowStart + WINDOW_MS;
    let freeAt = windowEnd;
    if (current < limit && previous > 0) {
      // previous × (1 − elapsed/W) + current < limit  ⇔  elapsed > W × (1 − (limit − current) / previous)
      const elapsed = WINDOW_MS * (1 - (limit - current) / previous);
      freeAt = Math.min(windowEnd, windowStart + Math.max(0, elapsed) + 1);
    }
    return { granted: false, retryAfterSeconds: Math.max(1, Math.ceil((freeAt - now) / 1000)) };
  }
}

function windowKey(name: string, windowStart: number): Item {
  return { pk: str(`RATE#${name}#${windowStart}`), sk: str('RATE') };
}
