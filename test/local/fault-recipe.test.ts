import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/local-stack.js';
import { dynamodbEndpoint } from '../support/dynamodb.js';
import { freePortPair } from '../support/free-port.js';
import { connectOverHttp, localUser } from '../support/local-connect.js';

const rootDir = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

/** The README's "See a failure by hand" block: each command, and the text its `# →` comment promises. */
function recipe(): { command: string; expected: string | undefined }[] {
  const readme = readFileSync(join(rootDir, 'README.md'), 'utf8');
  const block = /<!-- fault-recipe:start -->\s*```sh\n([\s\S]*?)```\s*<!-- fault-recipe:end -->/.exec(
    readme,
  )?.[1];
  if (!block) throw new Error('README.md has no fault-recipe block');
  return block
    .split('\n')
    .filter((line) => line.trim() && !line.trim().startsWith('#'))
    .map((line) => {
      const [command = '', expected] = line.split(/\s+# → /);
      return { command: command.trim(), expected: expected?.trim() };
    });
}

let stack: LocalStack;
let port: number;

beforeAll(async () => {
  port = await freePortPair();
  stack = await startLocalStack({
    rootDir,
    dataDir: mkdtempSync(join(tmpdir(), 'tc-recipe-')),
    env: {
      PORT: String(port),
      DYNAMODB_ENDPOINT: dynamodbEndpoint(),
      TABLE_NAME: `recipe-${randomUUID()}`,
      REFRESH_INTERVAL_SECONDS: '0',
    },
  });
});
afterAll(async () => {
  await stack?.close();
});

describe('the README fault-injection recipe', () => {
  it('does what the README says, command by command, against a running local stack', {
    timeout: 120_000,
  }, async () => {
    const { api } = await localUser(stack, 'recipe-user');
    const openId = await connectOverHttp(stack, api);
    const steps = recipe();
    expect(steps.length).toBeGreaterThan(5);
    for (const step of steps) {
      // The README's ports are npm start's defaults; this stack has its own pair.
      const command = step.command.replaceAll('localhost:3002', `127.0.0.1:${port + 1}`);
      // Asynchronously: the stack answering these commands runs in this very process.
      const { stdout: output } = await run('bash', ['-c', command], {
        cwd: rootDir,
        env: { ...process.env, PORT: String(port) },
        encoding: 'utf8',
      });
      if (step.expected) expect(output, step.command).toContain(step.expected);
    }
    // Where the recipe leaves the account: TikTok refused the grant, the user must reconnect.
    const [connection] = await api.listConnections();
    expect(connection).toMatchObject({ openId, status: 'reauth_required' });
    expect(stack.emulator?.faults.list()).toEqual([]);
  });
});
