import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { ensureTable } from '../../shared/store/ensure-table.js';

export function dynamodbEndpoint(): string {
  return inject('dynamodbEndpoint');
}

export function localDynamoClient(): DynamoDBClient {
  return new DynamoDBClient({
    region: 'us-east-1',
    endpoint: dynamodbEndpoint(),
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** A fresh table on DynamoDB Local, built from the same definition as the stack's. */
export async function createTestTable(prefix = 'test'): Promise<{ db: DynamoDBClient; tableName: string }> {
  const db = localDynamoClient();
  const tableName = `${prefix}-${randomUUID()}`;
  await ensureTable(db, tableName);
  return { db, tableName };
}
