import { TikTokError } from '../errors.js';
import type { Redacted } from '../redacted.js';
import { callDisplayApi } from './display-api.js';
import { type FetchLike, isRecord } from './tiktok-http.js';

/** Most videos one list page or one query may ask for (tiktok-api.md §10, §11). */
export const MAX_VIDEOS_PER_CALL = 20;

/** Video fields we ask for (`embed_html` left out: `embed_link` gives the same player without the markup). */
export const VIDEO_FIELDS = [
  'id',
  'create_time',
  'cover_image_url',
  'share_url',
  'video_description',
  'duration',
  'height',
  'width',
  'title',
  'embed_link',
  'like_count',
  'comment_count',
  'share_count',
  'view_count',
] as const;

export type TikTokVideo = {
  /** 19-digit ids exceed Number.MAX_SAFE_INTEGER: always a string. */
  id: string;
  /** Unix seconds (unlike the list cursor, which is milliseconds). */
  createTime: number;
  title?: string;
  description?: string;
  coverImageUrl?: string;
  shareUrl?: string;
  embedLink?: string;
  durationSeconds?: number;
  width?: number;
  height?: number;
  likeCount?: number;
  commentCount?: number;
  shareCount?: number;
  viewCount?: number;
};

export type TikTokVideoPage = {
  videos: TikTokVideo[];
  /** UTC milliseconds: pass it back to get the next (older) page. */
  cursor: number;
  hasMore: boolean;
};

type DisplayCallOptions = { apiBaseUrl: string; accessToken: Redacted; timeoutMs: number; fetch?: FetchLike };

/** `POST /v2/video/list/?fields=…` with `{max_count, cursor}` in the body; newest first. */
export async function listVideos(
  input: DisplayCallOptions & { maxCount: number; cursor?: number | undefined },
): Promise<{ page: TikTokVideoPage; logId: string | undefined }> {
  const { data, logId } = await callDisplayApi({
    ...input,
    path: '/v2/video/list/',
    method: 'POST',
    fields: VIDEO_FIELDS,
    jsonBody: { max_count: input.maxCount, ...(input.cursor === undefined ? {} : { cursor: input.cursor }) },
  });
  const hasMore = data.has_more === true;
  const cursor = isMillis(data.cursor) ? data.cursor : undefined;
  // Without a cursor there is no next page to ask for; on the last page the one we sent will do.
  if (cursor === undefined && hasMore) throw badResponse('TikTok video list has more but no cursor', logId);
  return {
    page: { videos: videosFrom(data.videos ?? [], logId), cursor: cursor ?? input.cursor ?? 0, hasMore },
    logId,
  };
}

/** `POST /v2/video/query/?fields=…` with `{filters: {video_ids}}`: only the token owner's videos come back. */
export async function queryVideos(
  input: DisplayCallOptions & { ids: readonly string[] },
): Promise<{ videos: TikTokVideo[]; logId: string | undefined }> {
  const { data, logId } = await callDisplayApi({
    ...input,
    path: '/v2/video/query/',
    method: 'POST',
    fields: VIDEO_FIELDS,
    jsonBody: { filters: { video_ids: input.ids } },
  });
  return { videos: videosFrom(data.videos ?? [], logId), logId };
}

function videosFrom(value: unknown, logId: string | undefined): TikTokVideo[] {
  if (!Array.isArray(value)) throw badResponse('TikTok answered without data.videos', logId);
  return value.map((video) => {
    // A numeric id has already lost digits in JSON.parse: refuse it rather than hand out a wrong id.
    if (!isRecord(video) || typeof video.id !== 'string' || !/^\d+$/.test(video.id)) {
      throw badResponse('TikTok sent a video without a string id', logId);
    }
    const createTime = video.create_time;
    if (typeof createTime !== 'number' || !Number.isSafeInteger(createTime)) {
      throw badResponse('TikTok sent a video without create_time', logId);
    }
    const text = (key: string) => (typeof video[key] === 'string' ? (video[key] as string) : undefined);
    const count = (key: string) =>
      typeof video[key] === 'number' && Number.isFinite(video[key]) ? (video[key] as number) : undefined;
    // Absent fields stay undefined, so they drop out of the JSON we send on.
    return {
      id: video.id,
      createTime,
      title: text('title'),
      description: text('video_description'),
      coverImageUrl: text('cover_image_url'),
      shareUrl: text('share_url'),
      embedLink: text('embed_link'),
      durationSeconds: count('duration'),
      width: count('width'),
      height: count('height'),
      likeCount: count('like_count'),
      commentCount: count('comment_count'),
      shareCount: count('share_count'),
      viewCount: count('view_count'),
    };
  });
}

function isMillis(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function badResponse(detail: string, logId: string | undefined): TikTokError {
  return new TikTokError('tiktok_bad_response', detail, { logId, retryable: false });
}
