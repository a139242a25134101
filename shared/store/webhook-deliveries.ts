import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { num, str } from './attributes.js';

/** TikTok retries a webhook for up to 72 hours: remember deliveries a little longer than that. */
const REMEMBER_SECONDS = 4 * 24 * 3600;

/** At-least-once webhook deliveries, claimed once each by a conditional put (keyed by the body's hash). */
export class WebhookDeliveries {
  readonly #db: DynamoDBClient;
  readonly #tableName: string;

  constructor(options: { db: DynamoDBClient; tableName: string }) {
    this.#db = options.db;
    this.#tableName = options.tableName;
  }

  /** True if this delivery is new (and now claimed); false if it was seen before. */
  async claim(deliveryHash: string, now: number): Promise<boolean> {
    try {
      await this.#db.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: {
            pk: str(`WEBHOOK#${deliveryHash}`),
            sk: str('WEBHOOK'),
            kind: str('webhook_delivery'),
            receivedAt: num(now),
            ttl: num(Math.ceil(now / 1000) + REMEMBER_SECONDS),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Processing failed: forget the claim so TikTok's retry is processed. */
  async release(deliveryHash: string): Promise<void> {
    await this.#db.send(
      new DeleteItemCommand({
        TableName: this.#tableName,
        Key: { pk: str(`WEBHOOK#${deliveryHash}`), sk: str('WEBHOOK') },
      }),
    );
  }
}
