import type { AccountPoint, VideoPoint } from '../store/analytics-store.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * A video's views at instant `t`, linearly interpolated between the snapshots either side of it. Undefined when no
 * snapshot lies on one side (before the first we took, after the last): we never invent the curve's start.
 */
export function viewsAt(points: readonly VideoPoint[], t: number): number | undefined {
  let before: VideoPoint | undefined;
  let after: VideoPoint | undefined;
  for (const point of points) {
    if (point.viewCount === undefined) continue;
    if (point.at <= t) before = point;
    if (point.at >= t && after === undefined) after = point;
  }
  if (!before || !after || before.viewCount === undefined || after.viewCount === undefined) return undefined;
  if (after.at === before.at) return before.viewCount;
  const share = (t - before.at) / (after.at - before.at);
  return before.viewCount + share * (after.viewCount - before.viewCount);
}

/** Views per hour over the video's first `hours` hours (views at creation are zero by definition). */
export function viewVelocity(
  points: readonly VideoPoint[],
  createdAt: number,
  hours: number,
): number | undefined {
  const withStart = points.length > 0 && (points[0]?.at ?? 0) - createdAt <= hours * HOUR_MS;
  if (!withStart) return undefined;
  const views = viewsAt([{ at: createdAt, viewCount: 0 }, ...points], createdAt + hours * HOUR_MS);
  return views === undefined ? undefined : views / hours;
}

/** (likes + comments + shares) / views; undefined without views. */
export function engagementRate(point: VideoPoint | undefined): number | undefined {
  if (!point?.viewCount) return undefined;
  return ((point.likeCount ?? 0) + (point.commentCount ?? 0) + (point.shareCount ?? 0)) / point.viewCount;
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export type FollowerDay = { date: string; followerCount: number; change: number | undefined };

/** The last follower count of each day, and its change from the previous day that has one. */
export function followerGrowth(points: readonly AccountPoint[]): FollowerDay[] {
  const lastOfDay = new Map<string, number>();
  for (const point of [...points].sort((a, b) => a.at - b.at)) {
    if (point.followerCount !== undefined) {
      lastOfDay.set(new Date(point.at).toISOString().slice(0, 10), point.followerCount);
    }
  }
  let previous: number | undefined;
  return [...lastOfDay].map(([date, followerCount]) => {
    const change = previous === undefined ? undefined : followerCount - previous;
    previous = followerCount;
    return { date, followerCount, change };
  });
}

export type VideoHistory = {
  id: string;
  createdAt: number;
  hashtags: string[];
  points: VideoPoint[];
};

export type VideoMetrics = {
  id: string;
  createdAt: number;
  latest: VideoPoint | undefined;
  engagementRate: number | undefined;
  velocity24h: number | undefined;
  velocity7d: number | undefined;
  views7d: number | undefined;
};

export function videoMetrics(video: VideoHistory): VideoMetrics {
  const latest = video.points.at(-1);
  const velocity7d = viewVelocity(video.points, video.createdAt, 7 * 24);
  return {
    id: video.id,
    createdAt: video.createdAt,
    latest,
    engagementRate: engagementRate(latest),
    velocity24h: viewVelocity(video.points, video.createdAt, 24),
    velocity7d,
    views7d: velocity7d === undefined ? undefined : velocity7d * 7 * 24,
  };
}

/** Videos whose first-24 h velocity is at least `factor` × the creator's median (needs 3 videos to compare). */
export function breakouts(metrics: readonly VideoMetrics[], factor: number) {
  const velocities = metrics.flatMap((m) => (m.velocity24h === undefined ? [] : [m.velocity24h]));
  const typical = median(velocities);
  if (typical === undefined || velocities.length < 3 || typical <= 0) return { median: typical, videos: [] };
  const videos = metrics
    .filter((m) => m.velocity24h !== undefined && m.velocity24h >= factor * typical)
    .map((m) => ({ ...m, times: (m.velocity24h as number) / typical }))
    .sort((a, b) => b.times - a.times);
  return { median: typical, videos };
}

/** Is this velocity a breakout against the others' velocities? */
export function isBreakout(velocity: number, others: readonly number[], factor: number): boolean {
  const typical = median(others);
  return others.length >= 3 && typical !== undefined && typical > 0 && velocity >= factor * typical;
}

export type HeatmapCell = { weekday: number; hour: number; videos: number; medianViews7d: number };

/** Posting time (UTC weekday 0 = Sunday × hour) → median views 7 days after posting, for videos we saw that long. */
export function postingHeatmap(metrics: readonly VideoMetrics[]): HeatmapCell[] {
  const cells = new Map<string, number[]>();
  for (const m of metrics) {
    if (m.views7d === undefined) continue;
    const posted = new Date(m.createdAt);
    const key = `${posted.getUTCDay()}:${posted.getUTCHours()}`;
    cells.set(key, [...(cells.get(key) ?? []), m.views7d]);
  }
  return [...cells]
    .map(([key, views]) => {
      const [weekday, hour] = key.split(':').map(Number) as [number, number];
      return { weekday, hour, videos: views.length, medianViews7d: Math.round(median(views) ?? 0) };
    })
    .sort((a, b) => a.weekday - b.weekday || a.hour - b.hour);
}

export type HashtagStats = {
  tag: string;
  videoCount: number;
  viewCount: number;
  medianViews: number;
  engagementRate: number | undefined;
};

/** Each hashtag with its videos' latest figures in the range, most viewed first. */
export function hashtagStats(videos: readonly VideoHistory[]): HashtagStats[] {
  const byTag = new Map<string, VideoPoint[]>();
  for (const video of videos) {
    const latest = video.points.at(-1);
    if (!latest) continue;
    for (const tag of video.hashtags) byTag.set(tag, [...(byTag.get(tag) ?? []), latest]);
  }
  return [...byTag]
    .map(([tag, points]) => {
      const views = points.map((p) => p.viewCount ?? 0);
      const viewCount = views.reduce((a, b) => a + b, 0);
      const engagements = points.reduce(
        (sum, p) => sum + (p.likeCount ?? 0) + (p.commentCount ?? 0) + (p.shareCount ?? 0),
        0,
      );
      return {
        tag,
        videoCount: points.length,
        viewCount,
        medianViews: Math.round(median(views) ?? 0),
        engagementRate: viewCount > 0 ? engagements / viewCount : undefined,
      };
    })
    .sort((a, b) => b.viewCount - a.viewCount || a.tag.localeCompare(b.tag));
}

export const DAY_IN_MS = DAY_MS;
