import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateBudget } from '../../../shared/store/rate-budget.js';
import { createTestTable } from '../../support/dynamodb.js';

let db: DynamoDBClient;
let tableName: string;

beforeAll(async () => {
  ({ db, tableName } = await createTestTable('rate'));
});
afterAll(() => {
  db.destroy();
});

/** A minute boundary well in the past, so each test owns its windows. */
const minute = (n: number) => 26_666_000 * 60_000 + n * 60_000;

async function spendMany(budget: RateBudget, name: string, limit: number, now: number, times: number) {
  const decisions = [];
  for (let i = 0; i < times; i++) decisions.push(await budget.spend(name, limit, now));
  return decisions;
}

describe('RateBudget', () => {
  it('grants up to the limit in a minute, then refuses until the window ends', async () => {
    const budget = new RateBudget({ db, tableName });
    const decisions = await spendMany(budget, 'plain', 3, minute(1) + 15_000, 4);
    expect(decisions.slice(0, 3)).toEqual([{ granted: true }, { granted: true }, { granted: true }]);
    expect(decisions[3]).toEqual({ granted: false, retryAfterSeconds: 45 });
  });

  it('counts the previous minute by how much of it still overlaps the last 60 s (sliding window)', async () => {
    const budget = new RateBudget({ db, tableName });
    await spendMany(budget, 'sliding', 10, minute(10) + 59_000, 10);
    // Half-way into the next window, half of the previous 10 still count: 5 more fit.
    const halfway = await spendMany(budget, 'sliding', 10, minute(11) + 30_000, 6);
    expect(halfway.filter((d) => d.granted)).toHaveLength(5);
    expect(halfway[5]).toEqual({ granted: false, retryAfterSeconds: 1 });
    // Three quarters in, a quarter of the previous (2) plus the 5 taken leave room for 3.
    const later = await spendMany(budget, 'sliding', 10, minute(11) + 45_000, 4);
    expect(later.map((d) => d.granted)).toEqual([true, true, true, false]);
  });

  it('lets exactly `limit` of many concurrent callers through, across processes (separate instances)', async () => {
    const now = minute(20) + 1000;
    const budgets = Array.from({ length: 4 }, () => new RateBudget({ db, tableName }));
    const decisions = await Promise.all(
      Array.from({ length: 24 }, (_, i) => budgets[i % 4]!.spend('crowd', 10, now)),
    );
    expect(decisions.filter((d) => d.granted)).toHaveLength(10);
  });

  it('keeps each name’s budget to itself', async () => {
    const budget = new RateBudget({ db, tableName });
    const now = minute(30) + 1000;
    await spendMany(budget, 'one', 1, now, 2);
    expect(await budget.spend('other', 1, now)).toEqual({ granted: true });
  });
});
