import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { num, readStr, str } from './attributes.js';

/** TikTok retries a webhook for up to 72 hours: remember deliveries a little longer than that. */
const REMEMBER_SECONDS = 4 * 24 * 3600;
/** A claim whose holder neither finished nor gave it back within this time is taken to be dead. */
const CLAIM_MS = 60_000;

export type DeliveryClaim = 'claimed' | 'done' | 'in_progress';

/**
 * At-least-once webhook deliveries, keyed by the body's hash. A delivery is claimed while it is processed and
 * marked done after; a claim whose holder died (a timeout throws nothing) expires, so TikTok's next retry is
 * processed rather than dropped as a duplicate.
 */
export class WebhookDeliveries {
  readonly #db: DynamoDBClient;
  readonly #tableName: string;

  constructor(options: { db: DynamoDBClient; tableName: string }) {
    this.#db = options.db;
    this.#tableName = options.tableName;
  }

  async claim(deliveryHash: string, now: number): Promise<DeliveryClaim> {
    try {
      await this.#db.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: {
            ...key(deliveryHash),
            kind: str('webhook_delivery'),
            deliveryStatus: str('processing'),
            claimedUntil: num(now + CLAIM_MS),
            receivedAt: num(now),
            ttl: num(Math.ceil(now / 1000) + REMEMBER_SECONDS),
          },
          ConditionExpression:
            'attribute_not_exists(pk) OR (deliveryStatus = :processing AND claimedUntil < :now)',
          ExpressionAttributeValues: { ':processing': str('processing'), ':now': num(now) },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'claimed';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return error.Item && readStr(error.Item, 'deliveryStatus') === 'done' ? 'done' : 'in_progress';
    }
  }

  async complete(deliveryHash: string): Promise<void> {
    await this.#db.send(
      new UpdateItemCommand({
        TableName: this.#tableName,
        Key: key(deliveryHash),
        UpdateExpression: 'SET deliveryStatus = :done REMOVE claimedUntil',
        ExpressionAttributeValues: { ':done': str('done') },
      }),
    );
  }

  /** Processing failed: forget the claim so TikTok's retry is processed. */
  async release(deliveryHash: string): Promise<void> {
    await this.#db.send(new DeleteItemCommand({ TableName: this.#tableName, Key: key(deliveryHash) }));
  }
}

function key(deliveryHash: string) {
  return { pk: str(`WEBHOOK#${deliveryHash}`), sk: str('WEBHOOK') };
}
