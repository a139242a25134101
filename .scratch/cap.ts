import { DynamoDBClient, PutItemCommand, UpdateItemCommand, GetItemCommand, QueryCommand, TransactWriteItemsCommand, DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal } from '../local/dynamodb-local.js';
import { ensureTable } from '../shared/store/ensure-table.js';
const d = await startDynamoDbLocal();
try {
  const db = new DynamoDBClient({ region: 'us-east-1', endpoint: d.endpoint, credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  await ensureTable(db, 'tbl');
  const r1 = await db.send(new PutItemCommand({ TableName: 'tbl', Item: { pk: { S: 'a' }, sk: { S: 'b' }, refreshShard: { S: 'DUE#1' }, refreshDueAt: { N: '5' }, openId: { S: 'o' }, big: { S: 'x'.repeat(1500) } }, ReturnConsumedCapacity: 'INDEXES' }));
  console.log('put', JSON.stringify(r1.ConsumedCapacity));
  const r2 = await db.send(new UpdateItemCommand({ TableName: 'tbl', Key: { pk: { S: 'a' }, sk: { S: 'b' } }, UpdateExpression: 'SET refreshDueAt = :d', ExpressionAttributeValues: { ':d': { N: '7' } }, ReturnConsumedCapacity: 'INDEXES' }));
  console.log('update', JSON.stringify(r2.ConsumedCapacity));
  const r3 = await db.send(new GetItemCommand({ TableName: 'tbl', Key: { pk: { S: 'a' }, sk: { S: 'b' } }, ConsistentRead: true, ReturnConsumedCapacity: 'INDEXES' }));
  console.log('get', JSON.stringify(r3.ConsumedCapacity));
  const r4 = await db.send(new QueryCommand({ TableName: 'tbl', IndexName: 'DueForRefresh', KeyConditionExpression: 'refreshShard = :s', ExpressionAttributeValues: { ':s': { S: 'DUE#1' } }, ReturnConsumedCapacity: 'INDEXES' }));
  console.log('query', JSON.stringify(r4.ConsumedCapacity));
  const r5 = await db.send(new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: 'tbl', Item: { pk: { S: 'c' }, sk: { S: 'd' } } } }, { Put: { TableName: 'tbl', Item: { pk: { S: 'e' }, sk: { S: 'f' } } } }], ReturnConsumedCapacity: 'INDEXES' }));
  console.log('tx', JSON.stringify(r5.ConsumedCapacity));
  try { await db.send(new DeleteItemCommand({ TableName: 'tbl', Key: { pk: { S: 'zz' }, sk: { S: 'b' } }, ConditionExpression: 'attribute_exists(pk)', ReturnConsumedCapacity: 'INDEXES' })); } catch (e: any) { console.log('cond fail', e.name, JSON.stringify(e.$response?.body), Object.keys(e)); }
  const r6 = await db.send(new DeleteItemCommand({ TableName: 'tbl', Key: { pk: { S: 'a' }, sk: { S: 'b' } }, ReturnConsumedCapacity: 'INDEXES', ReturnValues: 'ALL_OLD' }));
  console.log('delete', JSON.stringify(r6.ConsumedCapacity));
} finally { await d.stop(); }
