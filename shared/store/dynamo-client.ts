import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** One client per container; locally it points at DynamoDB Local with throwaway credentials. */
export function createDynamoClient(options: {
  region: string;
  endpoint?: string | undefined;
}): DynamoDBClient {
  if (!options.endpoint) return new DynamoDBClient({ region: options.region });
  return new DynamoDBClient({
    region: options.region,
    endpoint: options.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}
