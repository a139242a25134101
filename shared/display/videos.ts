import type { ServiceDeps } from '../deps.js';
import type { ConnectionKey } from '../store/connection-store.js';
import type { TikTokVideo, TikTokVideoPage } from '../tiktok/videos.js';
import { type BackgroundReadOptions, readFromTikTok, type TikTokReadResult } from './tiktok-read.js';

const VIDEO_SCOPES = ['video.list'];

/** One page of the account's public videos, newest first; `cursor` (ms) from the previous page goes on. */
export function readVideoPage(
  deps: ServiceDeps,
  key: ConnectionKey,
  page: { limit: number; cursor?: number | undefined },
  options: BackgroundReadOptions = {},
): Promise<TikTokReadResult<TikTokVideoPage>> {
  return readFromTikTok(deps, key, {
    endpoint: 'video_list',
    scopes: () => VIDEO_SCOPES,
    budgetShare: options.budgetShare,
    cacheEntry:
      options.budgetShare === undefined ? `videos#${page.limit}#${page.cursor ?? 'newest'}` : undefined,
    call: async (accessToken) => {
      const { page: value, logId } = await deps.tiktokVideos.list(accessToken, {
        maxCount: page.limit,
        cursor: page.cursor,
      });
      return { value, logId };
    },
  });
}

/** Given videos of the account by id, with fresh cover URLs (TikTok's expire after about 6 hours). */
export function queryVideosById(
  deps: ServiceDeps,
  key: ConnectionKey,
  ids: readonly string[],
  options: BackgroundReadOptions = {},
): Promise<TikTokReadResult<TikTokVideo[]>> {
  return readFromTikTok(deps, key, {
    endpoint: 'video_query',
    budgetShare: options.budgetShare,
    scopes: () => VIDEO_SCOPES,
    call: async (accessToken) => {
      const { videos, logId } = await deps.tiktokVideos.query(accessToken, ids);
      return { value: videos, logId };
    },
  });
}
