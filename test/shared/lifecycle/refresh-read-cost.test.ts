import type { DynamoDBClient, QueryCommandInput, QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScheduledRefresh } from '../../../shared/lifecycle/refresh-run.js';
import { Redacted } from '../../../shared/redacted.js';
import { refreshShardOf } from '../../../shared/store/refresh-schedule.js';
import { DUE_INDEX, REFRESH_SHARD_COUNT } from '../../../shared/store/table-schema.js';
import { connectAccount } from '../../support/connect-driver.js';
import { startTestService, type TestService } from '../../support/service.js';

/**
 * What a refresher run reads from DynamoDB, measured on DynamoDB Local: every Query and Scan any function's client
 * sends is recorded with its input and DynamoDB's own ScannedCount (items read, before any filter) and Count.
 * A run that reads whole shards of the due index still refreshes the right connections, so only a count of items
 * read shows it.
 */
type Read = { command: string; input: QueryCommandInput; scanned: number; returned: number };
const reads: Read[] = [];

function countReads(client: DynamoDBClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = (context.commandName ?? '').replace(/Command$/, '');
      const result = await next(args);
      if (command === 'Query' || command === 'Scan') {
        const output = result.output as QueryCommandOutput;
        reads.push({
          command,
          input: args.input as QueryCommandInput,
          scanned: output.ScannedCount ?? 0,
          returned: output.Count ?? 0,
        });
      }
      return result;
    },
    { step: 'initialize', name: 'readCounter' },
  );
}

let service: TestService;
const DUE = 6;
const NOT_DUE = 320;

beforeAll(async () => {
  service = await startTestService({ onDynamoClient: countReads });
  // A few due connections, each a real grant at the emulator (access token living 2 minutes: due at once).
  service.emulator.setOptions({ accessTokenTtlSeconds: 120 });
  for (let i = 0; i < DUE; i++) await connectAccount(service, `due-user-${i}`, i % 3);
  service.emulator.setOptions({ accessTokenTtlSeconds: 86_400 });
  // Many connections in the index that are not due for hours, in every shard.
  const now = Date.now();
  const grant = {
    accessToken: new Redacted('act.not-due'),
    refreshToken: new Redacted('rft.not-due'),
    accessExpiresAt: now + 86_400_000,
    refreshExpiresAt: now + 365 * 86_400_000,
    scopes: ['user.info.basic'],
  };
  for (let i = 0; i < NOT_DUE; i += 40) {
    await Promise.all(
      Array.from({ length: Math.min(40, NOT_DUE - i) }, (_, j) =>
        service.deps.connections.saveConnected({
          appUser: `idle-user-${i + j}`,
          openId: `idle-open-id-${i + j}`,
          grant,
          profile: {},
          now,
        }),
      ),
    );
  }
  const shards = new Set(
    Array.from({ length: NOT_DUE }, (_, i) =>
      refreshShardOf({ pk: `USER#idle-user-${i}`, sk: `TIKTOK#idle-open-id-${i}` }),
    ),
  );
  expect(shards.size).toBe(REFRESH_SHARD_COUNT);
}, 120_000);
afterAll(async () => {
  await service.close();
});

describe('what a scheduled refresh run reads', () => {
  it('reads at most one item beyond each due item per shard query, with a due-time key condition and a Limit', async () => {
    reads.length = 0;
    const report = await runScheduledRefresh(service.depsOf('RefresherFunction'), {
      deadline: Date.now() + 60_000,
    });
    expect(report.refreshed).toBe(DUE);
    expect(report.due).toBe(DUE);

    // The due index only: no Scan, no query of the base table.
    expect(reads.filter((read) => read.command !== 'Query')).toEqual([]);
    const queries = reads.filter((read) => read.input.IndexName === DUE_INDEX.name);
    expect(queries).toHaveLength(reads.length);
    expect(queries.length).toBeGreaterThanOrEqual(REFRESH_SHARD_COUNT);
    const itemsRead = queries.reduce((sum, read) => sum + read.scanned, 0);
    // Per refreshed token one item, plus at most one per shard query: the idle connections (over 50 per due one
    // here) cost nothing to skip.
    expect(itemsRead, 'items read from the due index').toBeLessThanOrEqual(report.refreshed + queries.length);
    for (const { input } of queries) {
      // The due time bounds the read in the key condition (a filter would be applied after reading the shard).
      const names = input.ExpressionAttributeNames ?? {};
      const keyCondition = (input.KeyConditionExpression ?? '').replace(
        /#\w+/g,
        (name) => names[name] ?? name,
      );
      expect(keyCondition).toMatch(new RegExp(`\\b${DUE_INDEX.sortKey}\\s*(<=|<|BETWEEN)`));
      expect(input.FilterExpression).toBeUndefined();
      expect(input.Limit).toBeGreaterThan(0);
      expect(input.Limit).toBeLessThanOrEqual(1000);
    }
    console.log(
      `refresher run: ${itemsRead} items read in ${queries.length} queries for ${report.refreshed} refreshed ` +
        `(${NOT_DUE} connections not due in the index)`,
    );
  });

  it('reads nothing but one empty page per shard when nothing is due', async () => {
    reads.length = 0;
    const report = await runScheduledRefresh(service.depsOf('RefresherFunction'), {
      deadline: Date.now() + 60_000,
    });
    expect(report.due).toBe(0);
    expect(reads).toHaveLength(REFRESH_SHARD_COUNT);
    expect(reads.reduce((sum, read) => sum + read.scanned, 0)).toBe(0);
  });
});
