import middy from '@middy/core';
import type * as v from 'valibot';
import {
  type DayRange,
  parseDayRange,
  readBreakouts,
  readFollowerGrowth,
  readHashtags,
  readHeatmap,
  readSeries,
  readVideoMetrics,
  requireOwnConnection,
} from '../analytics/analytics-query.js';
import { seriesCsv } from '../analytics/series-csv.js';
import type { ServiceDeps } from '../deps.js';
import { RequestError } from '../errors.js';
import type { VideoPoint } from '../store/analytics-store.js';
import type { ConnectionKey } from '../store/connection-store.js';
import {
  AnalyticsRangeQuerySchema,
  AnalyticsSeriesQuerySchema,
  type AnalyticsSeriesSchema,
  type BreakoutsResponseSchema,
  type FollowerGrowthResponseSchema,
  type HashtagsResponseSchema,
  type HeatmapResponseSchema,
  type VideoMetricsResponseSchema,
} from './analytics-schemas.js';
import { type HttpEvent, readHeader, readQuery, requireAppUser } from './api-event.js';
import { errorResponses } from './error-responses.js';
import { parseRequestPart } from './request-input.js';
import { ConnectionPathSchema } from './request-schemas.js';
import { type HttpResult, json, SECURITY_HEADERS } from './responses.js';

type Handler = (
  deps: ServiceDeps,
  key: ConnectionKey,
  range: DayRange,
  event: HttpEvent,
) => Promise<HttpResult>;

/** The shared shape of every analytics route: the caller's own connection, a checked date range. */
function analyticsRoute(deps: ServiceDeps, answer: Handler) {
  return middy<HttpEvent, HttpResult>()
    .use(errorResponses(deps.logger))
    .handler(async (event) => {
      const appUser = requireAppUser(event);
      const { openId } = parseRequestPart(ConnectionPathSchema, event.pathParameters ?? {}, 'path');
      const key = { appUser, openId };
      const query = parseRequestPart(AnalyticsRangeQuerySchema, readQuery(event, ['from', 'to']), 'query');
      const range = parseDayRange(query, deps.now(), deps.config.analytics.retentionDays);
      await requireOwnConnection(deps, key);
      return answer(deps, key, range, event);
    });
}

/** GET /tiktok/connections/{openId}/analytics?from&to&limit&cursor — JSON, or CSV with `Accept: text/csv`. */
export function buildAnalyticsSeriesHandler(deps: ServiceDeps) {
  return analyticsRoute(deps, async (_deps, key, range, event) => {
    const query = parseRequestPart(
      AnalyticsSeriesQuerySchema,
      readQuery(event, ['from', 'to', 'limit', 'cursor']),
      'query',
    );
    const series = await readSeries(deps, key, range, {
      limit: query.limit,
      cursor: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
    });
    if (/\btext\/csv\b/i.test(readHeader(event, 'accept') ?? '')) {
      return {
        statusCode: 200,
        headers: {
          ...SECURITY_HEADERS,
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="tiktok-analytics-${range.from}-${range.to}.csv"`,
        },
        body: seriesCsv(series.account, series.videos),
      };
    }
    const body: v.InferOutput<typeof AnalyticsSeriesSchema> = {
      from: range.from,
      to: range.to,
      account: series.account.map((p) => ({
        at: iso(p.at),
        followerCount: p.followerCount ?? null,
        followingCount: p.followingCount ?? null,
        likesCount: p.likesCount ?? null,
        videoCount: p.videoCount ?? null,
      })),
      videos: series.videos.map(({ video, points }) => ({
        id: video.id,
        createdAt: iso(video.createdAt),
        ...(video.description ? { description: video.description } : {}),
        hashtags: video.hashtags,
        points: points.map(videoPointView),
      })),
      ...(series.nextCursor ? { nextCursor: encodeCursor(series.nextCursor) } : {}),
    };
    return json(200, body);
  });
}

/** GET …/analytics/hashtags?from&to — the caption hashtags of videos with snapshots in the range. */
export function buildAnalyticsHashtagsHandler(deps: ServiceDeps) {
  return analyticsRoute(deps, async (_deps, key, range) => {
    const hashtags = await readHashtags(deps, key, range);
    const body: v.InferOutput<typeof HashtagsResponseSchema> = {
      from: range.from,
      to: range.to,
      hashtags: hashtags.map((h) => ({ ...h, engagementRate: h.engagementRate ?? null })),
    };
    return json(200, body);
  });
}

/** GET …/analytics/followers?from&to — follower count per day and the change from the day before. */
export function buildFollowerGrowthHandler(deps: ServiceDeps) {
  return analyticsRoute(deps, async (_deps, key, range) => {
    const days = await readFollowerGrowth(deps, key, range);
    const body: v.InferOutput<typeof FollowerGrowthResponseSchema> = {
      from: range.from,
      to: range.to,
      days: days.map((d) => ({ ...d, change: d.change ?? null })),
    };
    return json(200, body);
  });
}

/** GET …/analytics/videos?from&to — engagement rate and view velocity per video, fastest first. */
export function buildVideoMetricsHandler(deps: ServiceDeps) {
  return analyticsRoute(deps, async (_deps, key, range) => {
    const videos = await readVideoMetrics(deps, key, range);
    const body: v.InferOutput<typeof VideoMetricsResponseSchema> = {
      from: range.from,
      to: range.to,
      videos: videos.map(metricsView),
    };
    return json(200, body);
  });
}

/** GET …/analytics/breakouts?from&to — videos whose first-day velocity beat the creator's median by the factor. */
export function buildBreakoutsHandler(deps: ServiceDeps) {
  return analyticsRoute(deps, async (_deps, key, range) => {
    const found = await readBreakouts(deps, key, range);
    const body: v.InferOutput<typeof BreakoutsResponseSchema> = {
      from: range.from,
      to: range.to,
      factor: found.factor,
      medianVelocity24h: found.medianVelocity24h ?? null,
      videos: found.videos.map((video) => ({ ...metricsView(video), times: video.times })),
    };
    return json(200, body);
  });
}

/** GET …/analytics/heatmap?from&to — posting weekday × hour (UTC) → median views after 7 days. */
export function buildHeatmapHandler(deps: ServiceDeps) {
  return analyticsRoute(deps, async (_deps, key, range) => {
    const cells = await readHeatmap(deps, key, range);
    const body: v.InferOutput<typeof HeatmapResponseSchema> = { from: range.from, to: range.to, cells };
    return json(200, body);
  });
}

const iso = (at: number) => new Date(at).toISOString();

function videoPointView(p: VideoPoint) {
  return {
    at: iso(p.at),
    viewCount: p.viewCount ?? null,
    likeCount: p.likeCount ?? null,
    commentCount: p.commentCount ?? null,
    shareCount: p.shareCount ?? null,
  };
}

function metricsView(m: Awaited<ReturnType<typeof readVideoMetrics>>[number]) {
  const latest = m.latest ? videoPointView(m.latest) : undefined;
  return {
    id: m.id,
    createdAt: iso(m.createdAt),
    ...(m.description ? { description: m.description } : {}),
    viewCount: latest?.viewCount ?? null,
    likeCount: latest?.likeCount ?? null,
    commentCount: latest?.commentCount ?? null,
    shareCount: latest?.shareCount ?? null,
    engagementRate: m.engagementRate ?? null,
    velocity24h: m.velocity24h ?? null,
    velocity7d: m.velocity7d ?? null,
  };
}

/** The cursor is the last catalogue key of the page, opaque to clients. */
function encodeCursor(sk: string): string {
  return Buffer.from(sk).toString('base64url');
}

function decodeCursor(cursor: string): string {
  const sk = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^VIDEO#\d{11}#\d{1,32}$/.test(sk)) {
    throw new RequestError('invalid_request', 'cursor must be the nextCursor of the previous page');
  }
  return sk;
}
