/** The analytics routes' request and response shapes (validated by the handlers, documented in openapi.json). */
import * as v from 'valibot';
import { DEFAULT_VIDEO_LIMIT, MAX_VIDEO_LIMIT } from '../analytics/analytics-query.js';

const day = (name: string) =>
  v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{4}-\d{2}-\d{2}$/, `${name} must be a UTC date YYYY-MM-DD`),
      v.description(
        name === 'from'
          ? 'First UTC day (inclusive), YYYY-MM-DD; default 29 days before `to`.'
          : 'Last UTC day (inclusive), YYYY-MM-DD; default today.',
      ),
    ),
  );

export const AnalyticsRangeQuerySchema = v.object({ from: day('from'), to: day('to') });

export const AnalyticsSeriesQuerySchema = v.object({
  from: day('from'),
  to: day('to'),
  limit: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,4}$/, 'limit must be a whole number'),
      v.transform(Number),
      v.minValue(1, 'limit must be at least 1'),
      v.maxValue(MAX_VIDEO_LIMIT, `limit may be at most ${MAX_VIDEO_LIMIT}`),
      v.description(`Videos per page, newest posted first (default ${DEFAULT_VIDEO_LIMIT}).`),
    ),
    String(DEFAULT_VIDEO_LIMIT),
  ),
  cursor: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[A-Za-z0-9_-]{1,200}$/, 'cursor must be the nextCursor of the previous page'),
      v.description('The previous page’s `nextCursor`.'),
    ),
  ),
});

const count = v.nullable(v.number());
const iso = v.pipe(v.string(), v.description('ISO-8601 UTC instant.'));

export const AccountPointSchema = v.object({
  at: iso,
  followerCount: count,
  followingCount: count,
  likesCount: count,
  videoCount: count,
});

export const VideoPointSchema = v.object({
  at: iso,
  viewCount: count,
  likeCount: count,
  commentCount: count,
  shareCount: count,
});

export const AnalyticsSeriesSchema = v.object({
  from: v.string(),
  to: v.string(),
  account: v.array(AccountPointSchema),
  videos: v.array(
    v.object({
      id: v.pipe(
        v.string(),
        v.description('TikTok video id (a string: 19 digits do not fit a JSON number).'),
      ),
      createdAt: iso,
      description: v.optional(v.string()),
      hashtags: v.array(v.string()),
      points: v.array(VideoPointSchema),
    }),
  ),
  nextCursor: v.optional(v.string()),
});

const rate = v.nullable(v.pipe(v.number(), v.description('(likes + comments + shares) / views.')));

export const HashtagsResponseSchema = v.object({
  from: v.string(),
  to: v.string(),
  hashtags: v.array(
    v.object({
      tag: v.pipe(v.string(), v.description('Lower-cased, without `#`.')),
      videoCount: v.number(),
      viewCount: v.number(),
      medianViews: v.number(),
      engagementRate: rate,
    }),
  ),
});

export const FollowerGrowthResponseSchema = v.object({
  from: v.string(),
  to: v.string(),
  days: v.array(
    v.object({
      date: v.string(),
      followerCount: v.pipe(v.number(), v.description('The day’s last snapshot.')),
      change: v.nullable(v.pipe(v.number(), v.description('Against the previous day with a snapshot.'))),
    }),
  ),
});

const VideoMetricsSchema = v.object({
  id: v.string(),
  createdAt: iso,
  description: v.optional(v.string()),
  viewCount: count,
  likeCount: count,
  commentCount: count,
  shareCount: count,
  engagementRate: rate,
  velocity24h: v.nullable(v.pipe(v.number(), v.description('Views per hour over the first 24 h.'))),
  velocity7d: v.nullable(v.pipe(v.number(), v.description('Views per hour over the first 7 days.'))),
});

export const VideoMetricsResponseSchema = v.object({
  from: v.string(),
  to: v.string(),
  videos: v.array(VideoMetricsSchema),
});

export const BreakoutsResponseSchema = v.object({
  from: v.string(),
  to: v.string(),
  factor: v.number(),
  medianVelocity24h: v.nullable(v.number()),
  videos: v.array(
    v.object({
      ...VideoMetricsSchema.entries,
      times: v.pipe(v.number(), v.description('velocity24h / the creator’s median.')),
    }),
  ),
});

export const HeatmapResponseSchema = v.object({
  from: v.string(),
  to: v.string(),
  cells: v.array(
    v.object({
      weekday: v.pipe(v.number(), v.description('UTC weekday of posting, 0 = Sunday.')),
      hour: v.pipe(v.number(), v.description('UTC hour of posting.')),
      videos: v.number(),
      medianViews7d: v.number(),
    }),
  ),
});
