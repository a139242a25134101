import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSnapshotPass } from '../../../shared/analytics/snapshot-pass.js';
import {
  buildAnalyticsHashtagsHandler,
  buildAnalyticsSeriesHandler,
  buildBreakoutsHandler,
  buildFollowerGrowthHandler,
  buildHeatmapHandler,
  buildVideoMetricsHandler,
} from '../../../shared/http/analytics-routes.js';
import { lambdaContext } from '../../support/api-events.js';
import { connectAccount, type HttpAnswer } from '../../support/connect-driver.js';
import { expectContract } from '../../support/openapi-contract.js';
import { routeEvent } from '../../support/route-events.js';
import { startTestService, type TestService } from '../../support/service.js';

const HOUR = 3_600_000;
let service: TestService;
let clock = Date.UTC(2026, 10, 20, 9);
let mia = '';

const ROUTES = {
  series: ['/analytics', buildAnalyticsSeriesHandler],
  hashtags: ['/analytics/hashtags', buildAnalyticsHashtagsHandler],
  followers: ['/analytics/followers', buildFollowerGrowthHandler],
  videos: ['/analytics/videos', buildVideoMetricsHandler],
  breakouts: ['/analytics/breakouts', buildBreakoutsHandler],
  heatmap: ['/analytics/heatmap', buildHeatmapHandler],
} as const;

async function get(
  route: keyof typeof ROUTES,
  input: { sub?: string; openId?: string; query?: string; headers?: Record<string, string> } = {},
) {
  const [suffix, build] = ROUTES[route];
  const path = `/tiktok/connections/{openId}${suffix}`;
  const event = routeEvent({
    route: `GET ${path}`,
    params: { openId: input.openId ?? mia },
    query: input.query,
    headers: input.headers,
    sub: input.sub ?? 'alice',
  });
  const answer = (await build(service.deps)(event, lambdaContext)) as HttpAnswer;
  if (!answer.headers?.['content-type']?.startsWith('text/csv')) expectContract('GET', path, answer);
  const isJson = answer.headers?.['content-type']?.includes('json');
  return { ...answer, json: isJson && answer.body ? JSON.parse(answer.body) : undefined };
}

beforeAll(async () => {
  service = await startTestService({ overrides: { now: () => clock } });
  mia = await connectAccount(service, 'alice', 0);
  // Three snapshots an hour apart: the first reads every video, the next ones the account.
  for (let i = 0; i < 3; i++) {
    await runSnapshotPass(service.deps);
    clock += HOUR;
  }
});
afterAll(async () => {
  await service.close();
});

describe('GET /tiktok/connections/{openId}/analytics', () => {
  it('answers the account points and the 100 most recent videos, time-ordered, as the contract says', async () => {
    const answer = await get('series', { query: 'from=2026-11-20&to=2026-11-20' });
    expect(answer.statusCode).toBe(200);
    const { account, videos } = answer.json;
    expect(account).toHaveLength(3);
    expect(account.map((p: { at: string }) => p.at)).toEqual(
      [...account.map((p: { at: string }) => p.at)].sort(),
    );
    expect(account[0]).toEqual({
      at: '2026-11-20T09:00:00.000Z',
      followerCount: service.emulator.users[0]?.followerCount,
      followingCount: service.emulator.users[0]?.followingCount,
      likesCount: service.emulator.users[0]?.likesCount,
      videoCount: 45,
    });
    expect(videos).toHaveLength(45);
    expect(typeof videos[0].id).toBe('string');
    expect(videos[0].id).toBe(service.emulator.users[0]?.videos[0]?.id);
    expect(videos[0].points[0]).toMatchObject({
      at: '2026-11-20T09:00:00.000Z',
      viewCount: expect.any(Number),
    });
  });

  it('pages through videos with limit and nextCursor, newest posted first, without repeats', async () => {
    const first = await get('series', { query: 'limit=20' });
    expect(first.json.videos).toHaveLength(20);
    const second = await get('series', { query: `limit=20&cursor=${first.json.nextCursor}` });
    const third = await get('series', { query: `limit=20&cursor=${second.json.nextCursor}` });
    expect(third.json.videos).toHaveLength(5);
    expect(third.json.nextCursor).toBeUndefined();
    const ids = [...first.json.videos, ...second.json.videos, ...third.json.videos].map(
      (v: { id: string }) => v.id,
    );
    expect(ids).toEqual(service.emulator.users[0]?.videos.map((v) => v.id));
  });

  it('exports the series as CSV with Accept: text/csv', async () => {
    const answer = await get('series', {
      query: 'from=2026-11-20&to=2026-11-20',
      headers: { accept: 'text/csv' },
    });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = (answer.body ?? '').trim().split('\r\n');
    expect(lines[0]).toBe(
      'series,video_id,at,follower_count,following_count,likes_count,video_count,view_count,like_count,comment_count,share_count',
    );
    expect(lines.filter((line) => line.startsWith('account,'))).toHaveLength(3);
    expect(lines.filter((line) => line.startsWith('video,'))).toHaveLength(45);
  });

  it.each([
    ['from=2026-13-01', /from must be a UTC date/],
    ['from=2026-02-30&to=2026-03-01', /from must be a UTC date/],
    ['from=20261101', /from must be a UTC date/],
    ['from=2026-11-21&to=2026-11-20', /from must not be after to/],
    ['from=2024-01-01&to=2026-11-20', /at most 400/],
    ['limit=0', /limit/],
    ['limit=501', /limit/],
    ['cursor=bm90LWEta2V5', /cursor/],
    ['from=2026-11-01&from=2026-11-02', /repeated/],
  ])('refuses %s with a 400 problem', async (query, detail) => {
    const answer = await get('series', { query });
    expect(answer.statusCode).toBe(400);
    expect(answer.headers['content-type']).toContain('application/problem+json');
    expect(answer.json.detail).toMatch(detail);
  });

  it('answers 404 for another user’s connection, on every analytics route', async () => {
    for (const route of Object.keys(ROUTES) as (keyof typeof ROUTES)[]) {
      const answer = await get(route, { sub: 'mallory' });
      expect(answer.statusCode, route).toBe(404);
      expect(answer.json.code).toBe('connection_not_found');
    }
  });
});

describe('derived analytics', () => {
  it('lists caption hashtags lower-cased without #, with views, median views and engagement', async () => {
    const answer = await get('hashtags');
    expect(answer.statusCode).toBe(200);
    const tags = answer.json.hashtags.map((h: { tag: string }) => h.tag);
    expect(tags).toEqual(expect.arrayContaining(['fyp', 'emulator']));
    const fyp = answer.json.hashtags.find((h: { tag: string }) => h.tag === 'fyp');
    const videos = service.emulator.users[0]?.videos ?? [];
    expect(fyp.videoCount).toBe(45);
    expect(fyp.viewCount).toBe(videos.reduce((sum, v) => sum + v.viewCount, 0));
    expect(fyp.engagementRate).toBeGreaterThan(0);
  });

  it('gives follower growth per day, per-video engagement, breakouts and the heatmap', async () => {
    const followers = await get('followers');
    expect(followers.json.days).toEqual([
      { date: '2026-11-20', followerCount: service.emulator.users[0]?.followerCount, change: null },
    ]);
    const videos = await get('videos');
    expect(videos.json.videos).toHaveLength(45);
    const first = videos.json.videos[0];
    expect(first.engagementRate).toBeCloseTo(
      (first.likeCount + first.commentCount + first.shareCount) / first.viewCount,
    );
    // Videos from 2025 were first seen long after their first day: no velocity is made up for them.
    expect(first.velocity24h).toBeNull();
    expect((await get('breakouts')).json).toMatchObject({ factor: 3, videos: [] });
    expect((await get('heatmap')).json.cells).toEqual([]);
  });
});
