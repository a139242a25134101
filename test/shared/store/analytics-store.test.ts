import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyticsStore, dayString } from '../../../shared/store/analytics-store.js';
import { createTestTable } from '../../support/dynamodb.js';

describe('AnalyticsStore.addPoints', () => {
  let setup: Awaited<ReturnType<typeof createTestTable>>;
  let store: AnalyticsStore;
  const key = { appUser: 'store-user', openId: 'store-open-id' };

  beforeAll(async () => {
    setup = await createTestTable('analytics-store');
    store = new AnalyticsStore({ db: setup.db, tableName: setup.tableName, retentionDays: 400 });
  });
  afterAll(() => setup.db.destroy());

  it('stores a day of 1,000 videos (more than one update expression holds) and the account, each point once', async () => {
    const at = Date.parse('2026-11-20T12:00:00Z');
    const videos = Array.from({ length: 1000 }, (_, i) => ({
      id: String(7_400_000_000_000_000_000n + BigInt(i)),
      point: { at, viewCount: i * 10, likeCount: i, commentCount: 1, shareCount: 2 },
    }));
    const account = { at, followerCount: 1234, followingCount: 5, likesCount: 99, videoCount: 1000 };
    expect(await store.addPoints(key, { account, videos, now: at })).toBe(1);
    // Written twice (a retried pass): string sets keep one of each.
    await store.addPoints(key, { account, videos, now: at });

    const [day] = await store.days(key, dayString(at), dayString(at));
    expect(day?.account).toEqual([account]);
    expect(day?.videos.size).toBe(1000);
    expect(day?.videos.get(videos[999]?.id ?? '')).toEqual([videos[999]?.point]);
    expect([...(day?.videos.values() ?? [])].every((points) => points.length === 1)).toBe(true);
  });
});
