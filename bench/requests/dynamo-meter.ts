import type { AttributeValue, ConsumedCapacity, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Meter } from './meter.js';

const CAPACITY_COMMANDS = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
  'TransactGetItems',
  'TransactWriteItems',
]);
const READ_COMMANDS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);

/**
 * Counts every command the service sends on this client (`dynamodb:<Command>`), asks DynamoDB for the capacity it
 * consumed including the indexes (`ReturnConsumedCapacity: INDEXES`), and sums it as `rru:*` / `wru:*`.
 *
 * DynamoDB Local reports capacity for single-item operations and queries the way DynamoDB does (item size rounded
 * up per 1 KB written / 4 KB read, GSI writes separately), but not for transactions: for two Puts it reports the
 * same figure as for one. TransactWriteItems is therefore computed here from the items' sizes (2 WRU per KB per
 * item, AWS's rule for transactional writes) and Local's own figure is kept as `wru:local_reported_tx`.
 * A write refused by its condition still costs write units in DynamoDB; the SDK error carries no figure, so it is
 * counted as 1 WRU (the minimum) and listed as `dynamodb-failed:<Command>`.
 */
export function meterDynamo(client: DynamoDBClient, meter: Meter): DynamoDBClient {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = (context.commandName ?? '').replace(/Command$/, '');
      meter.add(`dynamodb:${command}`);
      const input = { ...(args.input as Record<string, unknown>) };
      if (CAPACITY_COMMANDS.has(command)) input.ReturnConsumedCapacity = 'INDEXES';
      try {
        const result = await next({ ...args, input });
        const output = result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] };
        account(meter, command, input, output.ConsumedCapacity);
        return result;
      } catch (error) {
        const name = (error as Error).name;
        if (name === 'ConditionalCheckFailedException' || name === 'TransactionCanceledException') {
          meter.add(`dynamodb-failed:${command}`);
          meter.add('wru:total', 1);
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'benchRequestMeter' },
  );
  return client;
}

function account(
  meter: Meter,
  command: string,
  input: Record<string, unknown>,
  consumed: ConsumedCapacity | ConsumedCapacity[] | undefined,
): void {
  const entries = consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed];
  let total = 0;
  let gsi = 0;
  for (const entry of entries) {
    total += entry.CapacityUnits ?? 0;
    for (const index of Object.values(entry.GlobalSecondaryIndexes ?? {})) gsi += index.CapacityUnits ?? 0;
  }
  if (command === 'TransactWriteItems') {
    meter.add('wru:local_reported_tx', total);
    const computed = transactWriteUnits(input);
    total = computed.total;
    gsi = computed.gsi;
  }
  const kind = READ_COMMANDS.has(command) ? 'rru' : 'wru';
  meter.add(`${kind}:total`, total);
  meter.add(`${kind}:gsi`, gsi);
}

/** The GSI key attributes of this table's two sparse indexes (table-schema.ts). */
const GSI_KEYS: readonly (readonly string[])[] = [
  ['refreshShard', 'refreshDueAt'],
  ['openId', 'pk'],
];

function transactWriteUnits(input: Record<string, unknown>): { total: number; gsi: number } {
  const items = (input.TransactItems ?? []) as { Put?: { Item: Record<string, AttributeValue> } }[];
  let total = 0;
  let gsi = 0;
  for (const entry of items) {
    if (!entry.Put) throw new Error('bench: only transactional Puts are sized (the service sends no other)');
    total += 2 * Math.ceil(itemBytes(entry.Put.Item) / 1024);
    for (const keys of GSI_KEYS) {
      if (keys.every((key) => entry.Put?.Item[key] !== undefined)) gsi += 2;
    }
  }
  return { total: total + gsi, gsi };
}

/**
 * An item's size as DynamoDB bills it: attribute names plus values (strings and binaries by length, numbers about
 * one byte per two significant digits plus one, lists and maps 3 bytes plus one per element).
 */
export function itemBytes(item: Record<string, AttributeValue>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) bytes += Buffer.byteLength(name) + valueBytes(value);
  return bytes;
}

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + Buffer.byteLength(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + numberBytes(n), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, b) => sum + b.length, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, v) => sum + 1 + valueBytes(v), 0);
  if (value.M !== undefined) return 3 + itemBytes(value.M) + Object.keys(value.M).length;
  return 0;
}

function numberBytes(n: string): number {
  const digits = n.replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}
