import type { ServiceDeps } from '../deps.js';
import { AppError, RequestError } from '../errors.js';
import type { AccountPoint, AnalyticsKey, TrackedVideo, VideoPoint } from '../store/analytics-store.js';
import { dayString } from '../store/analytics-store.js';
import {
  breakouts,
  followerGrowth,
  hashtagStats,
  postingHeatmap,
  type VideoHistory,
  videoMetrics,
} from './derived-metrics.js';

const DAY_MS = 86_400_000;
/** Velocity over 7 days needs the week after posting: derived reads look this far around the range. */
const WEEK_MARGIN_DAYS = 8;
export const DEFAULT_RANGE_DAYS = 30;
export const DEFAULT_VIDEO_LIMIT = 100;
export const MAX_VIDEO_LIMIT = 500;

export type DayRange = { from: string; to: string; fromMs: number; toMs: number };

/**
 * `from`/`to` as UTC dates (inclusive). Absent: the last 30 days up to today. A range longer than the retention
 * cannot hold more than the retention does, so it is refused rather than silently cut.
 */
export function parseDayRange(
  input: { from?: string | undefined; to?: string | undefined },
  now: number,
  maxDays: number,
): DayRange {
  const to = input.to ?? dayString(now);
  const toMs = parseDay(to, 'to');
  const from = input.from ?? dayString(toMs - (DEFAULT_RANGE_DAYS - 1) * DAY_MS);
  const fromMs = parseDay(from, 'from');
  if (fromMs > toMs) throw new RequestError('invalid_request', 'from must not be after to');
  const days = (toMs - fromMs) / DAY_MS + 1;
  if (days > maxDays) {
    throw new RequestError('invalid_request', `The range spans ${days} days; at most ${maxDays} are kept`);
  }
  return { from, to, fromMs, toMs: toMs + DAY_MS - 1 };
}

function parseDay(value: string, name: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const ms = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : Number.NaN;
  // Date.UTC rolls 2025-02-30 over to March: a date that does not round-trip does not exist.
  if (!match || Number.isNaN(ms) || dayString(ms) !== value) {
    throw new RequestError('invalid_request', `${name} must be a UTC date YYYY-MM-DD`);
  }
  return ms;
}

/** The caller's own connection (disconnected ones have no history): otherwise a 404, as for every route. */
export async function requireOwnConnection(deps: ServiceDeps, key: AnalyticsKey): Promise<void> {
  const record = await deps.connections.get(key.appUser, key.openId);
  if (!record || record.status === 'disconnected') {
    throw new AppError('connection_not_found', 404, 'No such TikTok connection');
  }
}

export type History = { account: AccountPoint[]; videos: Map<string, VideoPoint[]> };

/** Every point in [fromMs, toMs], time-ordered, from the day items of those days. */
export async function readHistory(
  deps: ServiceDeps,
  key: AnalyticsKey,
  fromMs: number,
  toMs: number,
): Promise<History> {
  const days = await deps.analytics.days(key, dayString(fromMs), dayString(toMs));
  const account: AccountPoint[] = [];
  const videos = new Map<string, VideoPoint[]>();
  const inRange = (at: number) => at >= fromMs && at <= toMs;
  for (const day of days) {
    account.push(...day.account.filter((p) => inRange(p.at)));
    for (const [id, points] of day.videos) {
      const kept = points.filter((p) => inRange(p.at));
      if (kept.length > 0) videos.set(id, [...(videos.get(id) ?? []), ...kept]);
    }
  }
  return { account, videos };
}

/** The main series: account points and the points of one page of videos (newest posted first). */
export async function readSeries(
  deps: ServiceDeps,
  key: AnalyticsKey,
  range: DayRange,
  page: { limit: number; cursor?: string | undefined },
) {
  const [history, videoPage] = await Promise.all([
    readHistory(deps, key, range.fromMs, range.toMs),
    deps.analytics.videoPage(key, { limit: page.limit, after: page.cursor }),
  ]);
  return {
    account: history.account,
    videos: videoPage.videos.map((video) => ({ video, points: history.videos.get(video.id) ?? [] })),
    nextCursor: videoPage.next,
  };
}

/** Videos with points in the range, with enough history around it to compute 24 h and 7 d velocities. */
export async function readVideoHistories(
  deps: ServiceDeps,
  key: AnalyticsKey,
  range: DayRange,
): Promise<{ tracked: Map<string, TrackedVideo>; histories: VideoHistory[]; inRange: VideoHistory[] }> {
  const [tracked, wide] = await Promise.all([
    deps.analytics.trackedVideos(key),
    readHistory(deps, key, range.fromMs - WEEK_MARGIN_DAYS * DAY_MS, range.toMs + WEEK_MARGIN_DAYS * DAY_MS),
  ]);
  const byId = new Map(tracked.map((video) => [video.id, video]));
  const histories: VideoHistory[] = [];
  const inRange: VideoHistory[] = [];
  for (const [id, points] of wide.videos) {
    const video = byId.get(id);
    if (!video) continue;
    const history = { id, createdAt: video.createdAt, hashtags: video.hashtags, points };
    histories.push(history);
    const within = points.filter((p) => p.at >= range.fromMs && p.at <= range.toMs);
    if (within.length > 0) inRange.push({ ...history, points: within });
  }
  return { tracked: byId, histories, inRange };
}

export async function readFollowerGrowth(deps: ServiceDeps, key: AnalyticsKey, range: DayRange) {
  const history = await readHistory(deps, key, range.fromMs, range.toMs);
  return followerGrowth(history.account);
}

export async function readVideoMetrics(deps: ServiceDeps, key: AnalyticsKey, range: DayRange) {
  const { tracked, histories, inRange } = await readVideoHistories(deps, key, range);
  const wanted = new Set(inRange.map((h) => h.id));
  return histories
    .filter((h) => wanted.has(h.id))
    .map((h) => ({ ...videoMetrics(h), description: tracked.get(h.id)?.description }))
    .sort((a, b) => (b.velocity24h ?? -1) - (a.velocity24h ?? -1) || b.createdAt - a.createdAt);
}

export async function readBreakouts(deps: ServiceDeps, key: AnalyticsKey, range: DayRange) {
  const metrics = await readVideoMetrics(deps, key, range);
  const found = breakouts(metrics, deps.config.analytics.breakoutFactor);
  const byId = new Map(metrics.map((m) => [m.id, m]));
  return {
    factor: deps.config.analytics.breakoutFactor,
    medianVelocity24h: found.median,
    videos: found.videos.map((v) => ({ ...v, description: byId.get(v.id)?.description })),
  };
}

/** Videos posted in the range, by UTC weekday and hour of posting. */
export async function readHeatmap(deps: ServiceDeps, key: AnalyticsKey, range: DayRange) {
  const { histories } = await readVideoHistories(deps, key, range);
  const posted = histories.filter((h) => h.createdAt >= range.fromMs && h.createdAt <= range.toMs);
  return postingHeatmap(posted.map(videoMetrics));
}

export async function readHashtags(deps: ServiceDeps, key: AnalyticsKey, range: DayRange) {
  const { inRange } = await readVideoHistories(deps, key, range);
  return hashtagStats(inRange);
}
