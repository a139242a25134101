import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../local/dynamodb-local.js';
import { startLocalS3 } from '../../local/local-s3.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    /** The local S3-compatible server, with the bucket TEST_UPLOAD_BUCKET. */
    s3Endpoint: string;
  }
}

export const TEST_UPLOAD_BUCKET = 'test-uploads';

/** One DynamoDB Local (in memory) and one local S3 for the whole run; each test file makes its own table. */
export default async function setup(project: TestProject) {
  const dynamodb = await startDynamoDbLocal();
  project.provide('dynamodbEndpoint', dynamodb.endpoint);
  const s3 = await startLocalS3({
    directory: mkdtempSync(join(tmpdir(), 'tc-s3-')),
    bucket: TEST_UPLOAD_BUCKET,
    allowedOrigins: ['https://app.example.test'],
  });
  project.provide('s3Endpoint', s3.endpoint);
  return async () => {
    await s3.stop();
    await dynamodb.stop();
  };
}
