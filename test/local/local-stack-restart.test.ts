import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/local-stack.js';
import { dynamodbEndpoint } from '../support/dynamodb.js';
import { freePortPair } from '../support/free-port.js';
import { connectOverHttp, localUser } from '../support/local-connect.js';

const rootDir = resolve(import.meta.dirname, '../..');
const dataDir = mkdtempSync(join(tmpdir(), 'tc-restart-'));
const tableName = `restart-${randomUUID()}`;
/** One port for every start, as `npm start` keeps 3001 (and the emulator 3002) from run to run. */
let port: number;
let running: LocalStack | undefined;

beforeAll(async () => {
  port = await freePortPair();
});
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function start(): Promise<LocalStack> {
  running = await startLocalStack({
    rootDir,
    dataDir,
    env: {
      PORT: String(port),
      DYNAMODB_ENDPOINT: dynamodbEndpoint(),
      TABLE_NAME: tableName,
      REFRESH_INTERVAL_SECONDS: '0',
    },
  });
  return running;
}

async function stop(): Promise<void> {
  await running?.close();
  running = undefined;
}

describe('npm start, stopped and started again', () => {
  let openId: string;

  it('keeps every connection working: the emulator’s grants are kept under .data/ with the table', async () => {
    const first = await start();
    const alice = await localUser(first, 'restart-alice');
    openId = await connectOverHttp(first, alice.api, { userIndex: 1 });
    await stop();
    const state = JSON.parse(readFileSync(join(dataDir, 'tiktok-emulator.json'), 'utf8'));
    expect(state.grants.map((grant: { openId: string }) => grant.openId)).toContain(openId);

    const second = await start();
    const again = await localUser(second, 'restart-alice');
    const [connection] = await again.api.listConnections();
    expect(connection?.status).toBe('active');
    const { profile } = await again.api.profile(openId);
    expect(profile.displayName).toBe(second.emulator?.users[1]?.displayName);
    expect((await again.api.videos(openId, { limit: 2 })).videos).toHaveLength(2);
    // A refresh after the restart works too: the refresh token the table holds is one the emulator still knows.
    const refreshed = await (await fetch(`${second.url}/dev/refresh?now=1`, { method: 'POST' })).json();
    expect(refreshed.connections).toEqual([
      expect.objectContaining({ openId, outcome: 'refreshed', status: 'active' }),
    ]);
    // ...and the rotated pair is what the file holds after the next stop.
    await stop();
    const third = await start();
    const still = await localUser(third, 'restart-alice');
    expect((await still.api.profile(openId)).profile.openId).toBe(openId);
  });

  it('without the emulator’s file (deleted, or an older checkout) the stack starts and the page says reconnect', async () => {
    rmSync(join(dataDir, 'tiktok-emulator.json'));
    const fresh = await start();
    const alice = await localUser(fresh, 'restart-alice');
    await expect(alice.api.profile(openId)).rejects.toMatchObject({
      name: 'ReconnectRequiredError',
      status: 409,
      code: 'connection_reauth_required',
    });
    expect((await alice.api.listConnections())[0]?.status).toBe('reauth_required');
  });
});
