import type { EmulatedUser, EmulatedVideo } from './built-in-users.js';
import { videoStatsAt } from './live-stats.js';

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
  'embed_html',
  'embed_link',
  'like_count',
  'comment_count',
  'share_count',
  'view_count',
] as const;

export type VideoField = (typeof VIDEO_FIELDS)[number];

/** Real cover URLs are signed CDN links that stop working after about 6 hours (tiktok-api.md §14.13). */
export const COVER_URL_TTL_SECONDS = 6 * 3600;

export function isVideoField(value: string): value is VideoField {
  return (VIDEO_FIELDS as readonly string[]).includes(value);
}

export type VideoLinkContext = { origin: string; clientKey: string; owner: EmulatedUser; nowSeconds: number };

export function videoFieldValue(
  video: EmulatedVideo,
  field: VideoField,
  links: VideoLinkContext,
): string | number {
  const shareUrl = `https://www.tiktok.com/@${links.owner.username}/video/${video.id}`;
  switch (field) {
    case 'id':
      return video.id;
    case 'create_time':
      return video.createTime;
    case 'cover_image_url':
      return `${links.origin}/covers/${video.id}.svg?x-expires=${links.nowSeconds + COVER_URL_TTL_SECONDS}`;
    case 'share_url':
      return `${shareUrl}?utm_campaign=tt4d_open_api&utm_source=${encodeURIComponent(links.clientKey)}`;
    case 'video_description':
      return video.description;
    case 'duration':
      return video.durationSeconds;
    case 'height':
      return video.height;
    case 'width':
      return video.width;
    case 'title':
      return video.title;
    case 'embed_html':
      return (
        `<blockquote class="tiktok-embed" cite="${shareUrl}" data-video-id="${video.id}" style="max-width: 605px;` +
        `min-width: 325px;"><section></section></blockquote>` +
        '<script async src="https://www.tiktok.com/embed.js"></script>'
      );
    case 'embed_link':
      return `https://www.tiktok.com/player/v1/${video.id}`;
    case 'like_count':
      return videoStatsAt(video, links.nowSeconds).likeCount;
    case 'comment_count':
      return videoStatsAt(video, links.nowSeconds).commentCount;
    case 'share_count':
      return videoStatsAt(video, links.nowSeconds).shareCount;
    case 'view_count':
      return videoStatsAt(video, links.nowSeconds).viewCount;
  }
}

export function projectVideo(video: EmulatedVideo, fields: VideoField[], links: VideoLinkContext) {
  return Object.fromEntries(fields.map((field) => [field, videoFieldValue(video, field, links)]));
}
