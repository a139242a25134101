import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../local/dynamodb-local.js';
import { startLocalS3 } from '../../local/local-s3.js';
import type { ExercisedPermission } from './iam/policy-check.js';
import type { AwsRequest } from './iam/policy-evaluator.js';
import type { StackPolicies } from './iam/stack-policies.js';
import { cachedStackPoliciesFile } from './iam/synthesized-policies.js';
import { unusedPermissions } from './iam/unused-permissions.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    /** The local S3-compatible server, with the bucket TEST_UPLOAD_BUCKET. */
    s3Endpoint: string;
  }
}

export const TEST_UPLOAD_BUCKET = 'test-uploads';

const REPORT = '.ci/unused-permissions.txt';

/**
 * One DynamoDB Local (in memory) and one local S3 for the whole run; each test file makes its own table. The stack's policies
 * for the policy check (test/support/iam), and at the end the report of the permissions no test exercised.
 */
export default async function setup(project: TestProject) {
  const exercisedDir = mkdtempSync(join(tmpdir(), 'tc-iam-'));
  const [dynamodb, policiesFile] = await Promise.all([
    startDynamoDbLocal(),
    // A stack that does not synthesize fails every test that runs a function (with the reason), not the others.
    cachedStackPoliciesFile().catch((error: unknown) => {
      const file = join(exercisedDir, 'synthesis-error.json');
      writeFileSync(
        file,
        JSON.stringify({ synthesisError: error instanceof Error ? error.message : String(error) }),
      );
      return file;
    }),
  ]);
  project.provide('dynamodbEndpoint', dynamodb.endpoint);
  const s3 = await startLocalS3({
    directory: mkdtempSync(join(tmpdir(), 'tc-s3-')),
    bucket: TEST_UPLOAD_BUCKET,
    allowedOrigins: ['https://app.example.test'],
  });
  project.provide('s3Endpoint', s3.endpoint);
  project.provide('stackPoliciesFile', policiesFile);
  project.provide('exercisedPermissionsDir', exercisedDir);
  return async () => {
    await s3.stop();
    await dynamodb.stop();
    const policies = JSON.parse(readFileSync(policiesFile, 'utf8')) as Record<string, StackPolicies>;
    if (policies.deployed) writeUnusedPermissionsReport(policies.deployed, exercisedDir);
    else console.log('IAM: the stack did not synthesize, so no function was checked');
    rmSync(exercisedDir, { recursive: true, force: true });
  };
}

function writeUnusedPermissionsReport(policies: StackPolicies, exercisedDir: string): void {
  const exercised = new Map<string, AwsRequest[]>();
  for (const file of readdirSync(exercisedDir).filter((name) => name.endsWith('.jsonl'))) {
    for (const line of readFileSync(join(exercisedDir, file), 'utf8').split('\n')) {
      if (!line) continue;
      const { variant, functionName, request } = JSON.parse(line) as ExercisedPermission;
      if (variant !== 'deployed') continue;
      exercised.set(functionName, [...(exercised.get(functionName) ?? []), request]);
    }
  }
  if (exercised.size === 0) return; // no handler test ran: nothing to say
  const report = unusedPermissions(policies, exercised);
  mkdirSync('.ci', { recursive: true });
  writeFileSync(
    REPORT,
    [
      '# Permissions of the deployed stack that no test of this run exercised: function action resource.',
      '# A partial run (some test files) lists more than the whole suite does.',
      ...report.unused,
      '',
      '# Not checkable by the tests:',
      ...report.notCheckable,
      '',
    ].join('\n'),
  );
  console.log(
    `IAM: ${report.unused.length} of ${report.total} granted permissions were not exercised by any test ` +
      `(${report.notCheckable.length} cannot be): see ${REPORT}`,
  );
}
