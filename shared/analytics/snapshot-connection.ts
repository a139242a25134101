import type { ServiceDeps } from '../deps.js';
import { readProfile } from '../display/profile.js';
import { queryVideosById, readVideoPage } from '../display/videos.js';
import { AppError } from '../errors.js';
import { publishSafely } from '../events/connection-events.js';
import { dayString, type TrackedVideo, type VideoPoint } from '../store/analytics-store.js';
import { MAX_VIDEOS_PER_CALL, type TikTokVideo } from '../tiktok/videos.js';
import { nextAccountDue, nextVideoDue, tierInterval } from './cadence.js';
import { isBreakout, median, viewVelocity } from './derived-metrics.js';
import type { EndpointGate } from './endpoint-gate.js';
import { hashtagsOf } from './hashtags.js';
import { deleteAnalyticsHistory } from './history-lifecycle.js';
import type { ConnectionWork } from './pass-plan.js';

const DAY_MS = 86_400_000;
/** A first snapshot reads the whole public catalogue; this bounds one pass's share of a huge one. */
const MAX_DISCOVERY_PAGES = 100;
/** Days reduced to one point a day per pass, at most (catching up after a long pause spreads over passes). */
const MAX_DOWNSAMPLE_DAYS_PER_PASS = 7;

export type ConnectionOutcome = {
  status: 'snapshotted' | 'paused' | 'deleted' | 'failed';
  accountSnapshots: number;
  videoSnapshots: number;
  discovered: number;
  missing: number;
  breakouts: number;
  itemsWritten: number;
  error?: string;
};

/**
 * One connection's share of a pass: account stats (user/info), discovery of new videos (the newest video/list
 * page, more pages only while every video on them is new), stats of the other due videos (video/query, 20 ids a
 * call), then the points, the schedule, breakouts and downsampling. Points are written before the schedule moves
 * on, so a pass that dies half-way repeats work rather than losing it, and repeated points are not stored twice.
 */
export async function snapshotConnection(
  deps: ServiceDeps,
  work: ConnectionWork,
  gate: EndpointGate,
  options: { everyVideo: boolean },
): Promise<ConnectionOutcome> {
  const settings = deps.config.analytics;
  const share = { budgetShare: settings.budgetShare };
  const { key, state } = work;
  const outcome: ConnectionOutcome = {
    status: 'snapshotted',
    accountSnapshots: 0,
    videoSnapshots: 0,
    discovered: 0,
    missing: 0,
    breakouts: 0,
    itemsWritten: 0,
  };
  const record = await deps.connections.get(key.appUser, key.openId);
  if (!record || record.status === 'disconnected') {
    await deleteAnalyticsHistory(deps, key, 'connection_gone');
    return { ...outcome, status: 'deleted' };
  }
  if (!record.sealedTokens || record.status === 'reauth_required' || record.status === 'revoked') {
    return pause(deps, work, record.updatedAt, record.statusReason ?? record.status, outcome);
  }

  const points: { id: string; point: VideoPoint }[] = [];
  const snapshotted = new Map<string, VideoPoint>();
  const tracked = new Map(work.tracked.map((video) => [video.id, video]));
  const due = new Set(work.dueVideos.map((d) => d.video.id));
  let accountPoint: Parameters<typeof deps.analytics.addPoints>[1]['account'];
  let accountTaken = false;
  // The account's schedule moves on only with its discovery done: new videos are found by the list pages.
  let discovered = !record.scopes.includes('video.list');
  try {
    if (work.accountDue) {
      const read = await gate.run('user_info', () => readProfile(deps, key, share));
      if (read.ok) {
        const p = read.value.value;
        accountTaken = true;
        if (read.value.grantedScopes.includes('user.info.stats')) {
          accountPoint = {
            at: read.value.fetchedAt,
            followerCount: p.followerCount,
            followingCount: p.followingCount,
            likesCount: p.likesCount,
            videoCount: p.videoCount,
          };
          outcome.accountSnapshots = 1;
        }
      }
      if (record.scopes.includes('video.list')) {
        const found = await discover(deps, work, gate, tracked, share);
        discovered = found.complete;
        outcome.discovered = found.newVideos.length;
        for (const video of found.newVideos) {
          await deps.analytics.trackVideo(key, trackedShape(video), { dueAt: deps.now(), now: deps.now() });
          outcome.itemsWritten++;
          tracked.set(video.id, {
            ...trackedShape(video),
            dueAt: deps.now(),
            lastAt: undefined,
            latest: undefined,
            missingCount: 0,
            velocity24h: undefined,
            breakoutAt: undefined,
          });
          due.add(video.id);
        }
        // Videos on the discovery pages come with their stats: those due need no video/query.
        for (const video of found.seen) {
          if (!due.has(video.id) && !options.everyVideo) continue;
          const point = pointOf(video, found.fetchedAt);
          points.push({ id: video.id, point });
          snapshotted.set(video.id, point);
        }
      }
    }
    const toQuery = [...due].filter((id) => !snapshotted.has(id) && tracked.has(id));
    if (record.scopes.includes('video.list')) {
      for (let i = 0; i < toQuery.length; i += MAX_VIDEOS_PER_CALL) {
        const ids = toQuery.slice(i, i + MAX_VIDEOS_PER_CALL);
        const read = await gate.run('video_query', () => queryVideosById(deps, key, ids, share));
        if (!read.ok) break; // TikTok said 429 (or the budget is spent): the rest stays due for the next pass
        const returned = new Map(read.value.value.map((video) => [video.id, video]));
        for (const id of ids) {
          const video = returned.get(id);
          if (!video) {
            const known = tracked.get(id);
            if (!known) continue;
            await deps.analytics.markMissing(key, known, {
              dueAt: deps.now() + tierInterval(settings, 'video_old'),
            });
            outcome.itemsWritten++;
            outcome.missing++;
            continue;
          }
          const point = pointOf(video, read.value.fetchedAt);
          points.push({ id, point });
          snapshotted.set(id, point);
        }
      }
    }
  } catch (error) {
    if (error instanceof AppError && error.code === 'connection_reauth_required') {
      return pause(deps, work, record.updatedAt, 'connection_reauth_required', outcome);
    }
    if (error instanceof AppError && error.code === 'connection_not_found') {
      await deleteAnalyticsHistory(deps, key, 'connection_gone');
      return { ...outcome, status: 'deleted' };
    }
    // Anything else (TikTok down, a missing scope): what was read is still stored; the rest stays due.
    outcome.status = 'failed';
    outcome.error = error instanceof AppError ? error.code : 'internal';
    deps.logger.warn('analytics snapshot incomplete', {
      event: 'analytics_snapshot_failed',
      appUser: key.appUser,
      openId: key.openId,
      reason: outcome.error,
      error,
    });
  }

  const now = deps.now();
  if (accountPoint || points.length > 0) {
    outcome.itemsWritten += await deps.analytics.addPoints(key, {
      account: accountPoint,
      videos: points,
      now,
    });
  }
  outcome.videoSnapshots = points.length;
  const velocities = [...tracked.values()].flatMap((v) =>
    v.velocity24h === undefined ? [] : [v.velocity24h],
  );
  for (const [id, point] of snapshotted) {
    const video = tracked.get(id);
    if (!video) continue;
    const velocity24h = await firstDayVelocity(deps, work, video, point);
    const breakout =
      velocity24h !== undefined &&
      video.breakoutAt === undefined &&
      isBreakout(velocity24h, velocities, settings.breakoutFactor);
    const marked = await deps.analytics.markSnapshotted(key, video, {
      point,
      dueAt: nextVideoDue(settings, video.createdAt, point.at),
      now,
      velocity24h,
      breakoutAt: breakout ? now : undefined,
    });
    outcome.itemsWritten++;
    tracked.set(id, { ...video, dueAt: nextVideoDue(settings, video.createdAt, point.at), velocity24h });
    // Only the write that marked the breakout publishes it: an overlapping run finds it marked.
    if (marked.breakoutClaimed && velocity24h !== undefined) {
      outcome.breakouts++;
      await publishSafely(deps.events, deps.logger, {
        type: 'video_breakout',
        appUser: key.appUser,
        openId: key.openId,
        status: record.status,
        at: new Date(now).toISOString(),
        details: {
          videoId: id,
          velocity24h: Math.round(velocity24h),
          creatorMedianVelocity24h: Math.round(median(velocities) ?? 0),
          postedAt: new Date(video.createdAt).toISOString(),
        },
      });
    }
  }

  // A user/info or discovery TikTok refused leaves the account due: the next pass tries both again.
  const accountDone = accountTaken && discovered;
  // Left undone because TikTok said 429: not due again before its Retry-After.
  const accountDueAt = accountDone
    ? nextAccountDue(settings, state.connectedAt, now)
    : Math.max(state.accountDueAt, gate.reopensAt.user_info, gate.reopensAt.video_list);
  const downsampledThrough = await downsample(deps, work, now);
  outcome.itemsWritten += downsampledThrough.written;
  const videoDue = Math.min(
    ...[...tracked.values()].map((v) =>
      v.dueAt <= now ? Math.max(v.dueAt, gate.reopensAt.video_query) : v.dueAt,
    ),
  );
  await deps.analytics.saveSchedule(key, {
    accountDueAt,
    accountLastAt: accountDone ? now : undefined,
    // Whatever a closed endpoint left undone is due again, and is picked up by the next pass.
    dueAt: Math.min(accountDueAt, Number.isFinite(videoDue) ? videoDue : accountDueAt),
    downsampledThrough: downsampledThrough.through,
    now,
  });
  outcome.itemsWritten++;
  return outcome;
}

async function discover(
  deps: ServiceDeps,
  work: ConnectionWork,
  gate: EndpointGate,
  tracked: Map<string, TrackedVideo>,
  share: { budgetShare: number },
): Promise<{ newVideos: TikTokVideo[]; seen: TikTokVideo[]; fetchedAt: number; complete: boolean }> {
  const newVideos: TikTokVideo[] = [];
  const seen: TikTokVideo[] = [];
  let cursor: number | undefined;
  let fetchedAt = deps.now();
  for (let page = 0; page < MAX_DISCOVERY_PAGES; page++) {
    const read = await gate.run('video_list', () =>
      readVideoPage(deps, work.key, { limit: MAX_VIDEOS_PER_CALL, cursor }, share),
    );
    if (!read.ok) return { newVideos, seen, fetchedAt, complete: false };
    fetchedAt = read.value.fetchedAt;
    const videos = read.value.value.videos;
    seen.push(...videos);
    const fresh = videos.filter((video) => !tracked.has(video.id));
    newVideos.push(...fresh);
    // Newest first: once a page holds a video we know, everything older is known too.
    if (!read.value.value.hasMore || fresh.length < videos.length || videos.length === 0) break;
    cursor = read.value.value.cursor;
  }
  return { newVideos, seen, fetchedAt, complete: true };
}

/** The first-24 h velocity, computed once: at the first snapshot at or after the video's 24th hour. */
async function firstDayVelocity(
  deps: ServiceDeps,
  work: ConnectionWork,
  video: TrackedVideo,
  point: VideoPoint,
): Promise<number | undefined> {
  if (video.velocity24h !== undefined) return video.velocity24h;
  const dayEnd = video.createdAt + DAY_MS;
  if (point.at < dayEnd || (video.lastAt !== undefined && video.lastAt >= dayEnd)) return undefined;
  const days = await deps.analytics.days(work.key, dayString(video.createdAt), dayString(point.at));
  const series = days.flatMap((day) => day.videos.get(video.id) ?? []);
  return viewVelocity(series, video.createdAt, 24);
}

async function downsample(
  deps: ServiceDeps,
  work: ConnectionWork,
  now: number,
): Promise<{ through: string | undefined; written: number }> {
  const settings = deps.config.analytics;
  const lastDay = dayString(now - (settings.downsampleAfterDays + 1) * DAY_MS);
  const from = work.state.downsampledThrough
    ? Date.parse(`${work.state.downsampledThrough}T00:00:00Z`) + DAY_MS
    : Date.parse(`${dayString(work.state.connectedAt)}T00:00:00Z`);
  let through: string | undefined;
  let written = 0;
  for (let i = 0, at = from; i < MAX_DOWNSAMPLE_DAYS_PER_PASS; i++, at += DAY_MS) {
    const day = dayString(at);
    if (day > lastDay) break;
    if ((await deps.analytics.downsampleDay(work.key, day)) === 'downsampled') written++;
    through = day;
  }
  return { through, written };
}

/** A connection needing re-auth keeps its history for the retention period, then loses it. */
async function pause(
  deps: ServiceDeps,
  work: ConnectionWork,
  unusableSince: number,
  reason: string,
  outcome: ConnectionOutcome,
): Promise<ConnectionOutcome> {
  const since = work.state.pausedSince ?? unusableSince;
  const until = since + deps.config.analytics.retentionDays * DAY_MS;
  if (deps.now() >= until) {
    await deleteAnalyticsHistory(deps, work.key, 'reauth_abandoned');
    return { ...outcome, status: 'deleted' };
  }
  await deps.analytics.saveSchedule(work.key, {
    accountDueAt: work.state.accountDueAt,
    dueAt: until,
    paused: { reason, since },
    now: deps.now(),
  });
  return { ...outcome, status: 'paused', itemsWritten: outcome.itemsWritten + 1 };
}

function trackedShape(video: TikTokVideo) {
  const caption = video.description ?? video.title;
  return {
    id: video.id,
    createdAt: video.createTime * 1000,
    description: caption,
    hashtags: hashtagsOf(caption),
  };
}

function pointOf(video: TikTokVideo, at: number): VideoPoint {
  return {
    at,
    viewCount: video.viewCount,
    likeCount: video.likeCount,
    commentCount: video.commentCount,
    shareCount: video.shareCount,
  };
}
