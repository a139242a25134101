/**
 * Which IAM authorisations an AWS SDK command needs: action, resource ARN (index names included) and the
 * condition keys the stack's policies test. A command the table does not know throws: teach it here rather than
 * let a call pass unchecked.
 */
import type { AwsRequest } from './policy-evaluator.js';
import { STAND_IN } from './stack-policies.js';

/** How the test's own resources stand for the stack's. */
export type ResourceMap = {
  /** The ARN of a table by the name the test uses (the test's random table stands for ConnectionsTable). */
  tableArn: (tableName: string) => string;
};

type Input = Record<string, unknown>;
type Mapper = (command: string, input: Input, resources: ResourceMap) => AwsRequest[];

const { partition, region, account } = STAND_IN;

const dynamodb: Mapper = (command, input, { tableArn }) => {
  const action = (name: string) => `dynamodb:${name}`;
  const onTable = (name: string, tableName: unknown, indexName?: unknown): AwsRequest => ({
    action: action(name),
    resource: `${tableArn(String(tableName))}${indexName ? `/index/${String(indexName)}` : ''}`,
  });
  switch (command) {
    case 'GetItem':
    case 'PutItem':
    case 'UpdateItem':
    case 'DeleteItem':
    case 'DescribeTable':
    case 'CreateTable':
    case 'DeleteTable':
    case 'UpdateTimeToLive':
      return [onTable(command, input.TableName)];
    case 'Query':
    case 'Scan':
      return [onTable(command, input.TableName, input.IndexName)];
    // A transaction is authorised item by item, by each item's own action.
    case 'TransactWriteItems':
      return (input.TransactItems as Input[]).map((item) => {
        const [kind, body] = Object.entries(item)[0] as [string, Input];
        const itemAction =
          { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem' }[kind] ?? 'ConditionCheckItem';
        return onTable(itemAction, body.TableName);
      });
    case 'TransactGetItems':
      return (input.TransactItems as { Get: Input }[]).map((item) => onTable('GetItem', item.Get.TableName));
    case 'BatchGetItem':
      return Object.keys(input.RequestItems as Input).map((table) => onTable('BatchGetItem', table));
    case 'BatchWriteItem':
      return Object.keys(input.RequestItems as Input).map((table) => onTable('BatchWriteItem', table));
    default:
      throw new Error(`the policy harness does not know the IAM action of DynamoDB ${command}`);
  }
};

const kms: Mapper = (command, input) => {
  const keyId = String(input.KeyId ?? '');
  if (!keyId) throw new Error(`KMS ${command} without KeyId: the harness cannot tell which key is used`);
  const resource = keyId.startsWith('arn:')
    ? keyId
    : keyId.startsWith('alias/')
      ? `arn:${partition}:kms:${region}:${account}:${keyId}`
      : `arn:${partition}:kms:${region}:${account}:key/${keyId}`;
  const encryptionContext = (input.EncryptionContext ?? {}) as Record<string, string>;
  const context = Object.fromEntries(
    Object.entries(encryptionContext).map(([key, value]) => [`kms:EncryptionContext:${key}`, value]),
  );
  return [{ action: `kms:${command}`, resource, context }];
};

const secretsManager: Mapper = (command, input) => {
  const secretId = String(input.SecretId ?? '');
  const resource = secretId.startsWith('arn:')
    ? secretId
    : `arn:${partition}:secretsmanager:${region}:${account}:secret:${secretId}`;
  return [{ action: `secretsmanager:${command}`, resource }];
};

const eventBridge: Mapper = (command, input) => {
  if (command !== 'PutEvents') throw new Error(`the policy harness does not map EventBridge ${command}`);
  return (input.Entries as Input[]).map((entry) => {
    const bus = String(entry.EventBusName ?? 'default');
    return {
      action: 'events:PutEvents',
      resource: bus.startsWith('arn:')
        ? bus
        : `arn:${partition}:events:${region}:${account}:event-bus/${bus}`,
    };
  });
};

const sqs: Mapper = (command, input) => {
  const url = new URL(String(input.QueueUrl));
  const [, queueAccount, queueName] = url.pathname.split('/');
  // SendMessageBatch is authorised as SendMessage (and so on for the other batch actions).
  const action = `sqs:${command.replace(/Batch$/, '')}`;
  return [{ action, resource: `arn:${partition}:sqs:${region}:${queueAccount}:${queueName}` }];
};

const MAPPERS: Record<string, Mapper> = {
  DynamoDBClient: dynamodb,
  KMSClient: kms,
  SecretsManagerClient: secretsManager,
  EventBridgeClient: eventBridge,
  SQSClient: sqs,
};

/** The authorisations one SDK call needs, e.g. (`DynamoDBClient`, `QueryCommand`, input). */
export function requestsOf(
  clientName: string,
  commandName: string,
  input: Input,
  resources: ResourceMap,
): AwsRequest[] {
  const mapper = MAPPERS[clientName];
  if (!mapper) throw new Error(`the policy harness does not know ${clientName}: add it to aws-requests.ts`);
  return mapper(commandName.replace(/Command$/, ''), input, resources);
}
