import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { localDynamoClient } from './dynamodb.js';
import type { TestService } from './service.js';

const db = localDynamoClient();

/** Every item of the service's table, read consistently (test tables hold a few dozen). */
export async function tableItems(service: TestService) {
  const result = await db.send(new ScanCommand({ TableName: service.tableName, ConsistentRead: true }));
  return result.Items ?? [];
}

/** No stored connection to this TikTok account holds tokens any more (so an unused grant may be revoked). */
export async function forgetAccount(service: TestService, openId: string) {
  for (const key of await service.deps.connections.findByOpenId(openId)) {
    await service.deps.connections.markUnusable({
      key,
      status: 'disconnected',
      reason: 'test',
      now: Date.now(),
    });
  }
}
