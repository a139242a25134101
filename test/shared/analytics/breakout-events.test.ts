import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatedVideo } from '../../../local/tiktok-emulator/index.js';
import { connectAccount } from '../../support/connect-driver.js';
import { startTestService, type TestService } from '../../support/service.js';
import { snapshotFunction } from '../../support/snapshot-function.js';

/**
 * Breakouts on the bus: a video whose first-24 h view velocity is well above (ANALYTICS_BREAKOUT_FACTOR, 3×) the
 * creator's median is published once as `tiktok.connection.video_breakout`, by the snapshot function under its
 * own role, through the EventBridge stand-in (what a rule on the bus would receive).
 */
const HOUR = 3_600_000;
let service: TestService;
/** In the past, so every video the test posts is already posted by the emulator's (real) clock. */
let clock = Math.floor((Date.now() - 6 * 24 * HOUR) / HOUR) * HOUR;
let runPass: Awaited<ReturnType<typeof snapshotFunction>>;
let openId = '';
beforeAll(async () => {
  service = await startTestService({ overrides: { now: () => clock } });
  runPass = await snapshotFunction(service);
  // Sam Sketches has no public video yet: the test posts them.
  openId = await connectAccount(service, 'gia', 2);
  await runPass();
});
afterAll(async () => {
  await service.close();
});

/** Passes every 3 hours (the cadence of a video in its first 10 days) over `hours`. */
async function passesFor(hours: number): Promise<number> {
  let breakouts = 0;
  for (const end = clock + hours * HOUR; clock < end; ) {
    clock += 3 * HOUR;
    breakouts += (await runPass()).breakouts;
  }
  return breakouts;
}

let serial = 0;
/** A video posted half an hour ago whose counters stay put: its first-day velocity is views / 24. */
function post(viewCount: number): EmulatedVideo {
  const user = service.emulator.users[2];
  const template = service.emulator.users[0]?.videos[0];
  if (!user || !template) throw new Error('emulator users missing');
  const createTime = Math.floor((clock - HOUR / 2) / 1000);
  const video: EmulatedVideo = {
    ...template,
    id: ((BigInt(createTime) << 32n) | BigInt(++serial)).toString(),
    createTime,
    description: `Sketch ${serial} #art`,
    viewCount,
    likeCount: 10,
    commentCount: 1,
    shareCount: 1,
  };
  user.videos.push(video);
  return video;
}

const breakoutEntries = () =>
  service.busEntries.filter(
    (entry) => entry.detail.type === 'video_breakout' && entry.detail.openId === openId,
  );

describe('breakout videos on the connection events bus', () => {
  it('publishes no breakout while the creator has no median to compare with', async () => {
    // Three ordinary videos: 2,400 views in their first day, 100 an hour.
    for (let i = 0; i < 3; i++) post(2_400);
    expect(await passesFor(30)).toBe(0);
    const tracked = await service.deps.analytics.trackedVideos({ appUser: 'gia', openId });
    expect(tracked.map((video) => video.velocity24h)).toEqual([100, 100, 100]);
    expect(breakoutEntries()).toEqual([]);
  });

  it('publishes exactly one event for a video far above the median, with the documented fields, and none for an ordinary one', async () => {
    const star = post(24_000); // 1,000 views an hour: 10× the median
    const ordinary = post(2_600); // 108 an hour: not 3× the median
    expect(await passesFor(30)).toBe(1);
    const entries = breakoutEntries();
    expect(entries).toHaveLength(1);
    const [entry] = entries;
    expect(entry?.source).toBe('tiktok-connect');
    expect(entry?.detailType).toBe('tiktok.connection.video_breakout');
    expect(entry?.detail).toEqual({
      type: 'video_breakout',
      appUser: 'gia',
      openId,
      status: 'active',
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      details: {
        videoId: star.id,
        velocity24h: 1_000,
        creatorMedianVelocity24h: 100,
        postedAt: new Date(star.createTime * 1000).toISOString(),
      },
    });
    expect(JSON.stringify(entries)).not.toContain(ordinary.id);
    const tracked = await service.deps.analytics.trackedVideos({ appUser: 'gia', openId });
    expect(tracked.find((video) => video.id === star.id)?.breakoutAt).toBeDefined();
    expect(tracked.find((video) => video.id === ordinary.id)?.breakoutAt).toBeUndefined();
  });

  it('does not publish it again on later passes, nor on a pass repeated at the same instant', async () => {
    expect(await passesFor(72)).toBe(0);
    await runPass();
    await runPass();
    expect(breakoutEntries()).toHaveLength(1);
  });

  it('publishes once when two snapshot runs overlap as the velocity becomes known', async () => {
    const star = post(48_000);
    await passesFor(21);
    // Both runs find the video due past its first day; the second reads TikTok a second later.
    const later = await snapshotFunction(service, {
      adapt: (deps) => ({ ...deps, now: () => clock + 1_000 }),
    });
    clock += 3 * HOUR;
    const reports = await Promise.all([runPass(), later()]);
    // However the two interleave, one of them marks the breakout and publishes it.
    expect(reports.map((report) => report.breakouts).sort()).toEqual([0, 1]);
    const entries = breakoutEntries().filter((entry) => entry.detail.details?.videoId === star.id);
    expect(entries).toHaveLength(1);
  });
});
