/** The content-posting routes' request and response shapes (also part of the OpenAPI document). */
import * as v from 'valibot';
import { TIKTOK_CHUNK_RULES } from '../publish/chunk-plan.js';
import { VIDEO_CONTENT_TYPES } from '../publish/create-upload.js';
import { POST_STATUSES } from '../store/post-store.js';
import { PRIVACY_LEVELS } from '../tiktok/content-posting.js';
import { ConnectionPathSchema } from './request-schemas.js';

/** TikTok counts the caption in UTF-16 code units, as JavaScript's `length` does. */
export const MAX_CAPTION_UTF16 = 2200;
export const DEFAULT_POST_PAGE_SIZE = 20;

const isoTime = v.pipe(v.string(), v.isoTimestamp());
const flag = (description: string) => v.optional(v.pipe(v.boolean(), v.description(description)), false);

export const PostPathSchema = v.object({
  ...ConnectionPathSchema.entries,
  postId: v.pipe(v.string(), v.regex(/^p_[0-9a-z]{10,40}$/, 'postId is not a post id')),
});

export const UploadBodySchema = v.strictObject({
  size: v.pipe(
    v.number(),
    v.integer('size must be a whole number of bytes'),
    v.minValue(1, 'size must be at least 1 byte'),
    v.maxValue(TIKTOK_CHUNK_RULES.maxVideoBytes, 'size may be at most 4 GB (TikTok’s limit)'),
    v.description('The file’s size in bytes (at most 4,000,000,000).'),
  ),
  contentType: v.pipe(
    v.picklist(VIDEO_CONTENT_TYPES, `contentType must be one of ${VIDEO_CONTENT_TYPES.join(', ')}`),
    v.description('Sent again as the PUT’s Content-Type.'),
  ),
});

export const UploadResponseSchema = v.object({
  uploadId: v.string(),
  uploadUrl: v.pipe(v.string(), v.url(), v.description('PUT the file here with exactly this Content-Type.')),
  method: v.literal('PUT'),
  headers: v.object({ 'Content-Type': v.string() }),
  size: v.number(),
  contentType: v.string(),
  expiresAt: isoTime,
});

export const PostBodySchema = v.strictObject({
  uploadId: v.pipe(v.string(), v.regex(/^u_[0-9a-f]{32}$/, 'uploadId is not an upload id')),
  caption: v.optional(
    v.pipe(
      v.string(),
      v.maxLength(MAX_CAPTION_UTF16, `caption may be at most ${MAX_CAPTION_UTF16} UTF-16 code units`),
      v.description('The post’s title; hashtags and @mentions are parsed by TikTok.'),
    ),
    '',
  ),
  privacyLevel: v.optional(
    v.pipe(
      v.picklist(PRIVACY_LEVELS),
      v.description('Required for `direct`: one of the creator-info `privacyLevelOptions` (no default).'),
    ),
  ),
  disableComment: flag('Default false; forced true where creator info says comments are disabled.'),
  disableDuet: flag('Default false; forced true where creator info says so.'),
  disableStitch: flag('Default false; forced true where creator info says so.'),
  brandContentToggle: flag('Paid partnership (branded content); cannot be SELF_ONLY.'),
  brandOrganicToggle: flag('Promotes the creator’s own business.'),
  publishAt: v.optional(
    v.pipe(
      v.string(),
      v.isoTimestamp('publishAt must be an ISO-8601 date-time'),
      v.description('When to publish; absent = now. At most 2 minutes in the past, 28 days ahead.'),
    ),
  ),
  mode: v.optional(
    v.pipe(
      v.picklist(['direct', 'inbox']),
      v.description('`direct` (video.publish) or `inbox` (video.upload).'),
    ),
    'direct',
  ),
});

export const PostListQuerySchema = v.object({
  limit: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^(?:[1-9]|[1-4]\d|50)$/, 'limit must be an integer from 1 to 50'),
      v.transform(Number),
    ),
    String(DEFAULT_POST_PAGE_SIZE),
  ),
  cursor: v.optional(
    v.pipe(v.string(), v.regex(/^p_[0-9a-z]{10,40}$/, 'cursor is not a cursor from a previous page')),
  ),
});

export const CreatorInfoResponseSchema = v.object({
  nickname: v.nullable(v.string()),
  username: v.nullable(v.string()),
  avatarUrl: v.nullable(v.string()),
  privacyLevelOptions: v.pipe(
    v.array(v.picklist(PRIVACY_LEVELS)),
    v.description('What this app may use for this creator now (only SELF_ONLY while the app is unaudited).'),
  ),
  creatorPrivacyLevelOptions: v.pipe(
    v.array(v.picklist(PRIVACY_LEVELS)),
    v.description('What TikTok offers this creator (creator_info’s privacy_level_options).'),
  ),
  commentDisabled: v.boolean(),
  duetDisabled: v.boolean(),
  stitchDisabled: v.boolean(),
  maxVideoPostDurationSec: v.nullable(v.number()),
  appAudited: v.pipe(
    v.boolean(),
    v.description('false: TikTok has not audited this app; posts are private only.'),
  ),
  postingBlockedReason: v.nullable(
    v.pipe(
      v.string(),
      v.description(
        'Why this creator cannot post through this app now, e.g. a public account while unaudited.',
      ),
    ),
  ),
  fetchedAt: isoTime,
  tiktokLogId: v.optional(v.string()),
});

export const PostSchema = v.object({
  postId: v.string(),
  openId: v.string(),
  status: v.picklist(POST_STATUSES),
  mode: v.picklist(['direct', 'inbox']),
  uploadId: v.string(),
  caption: v.string(),
  privacyLevel: v.string(),
  disableComment: v.boolean(),
  disableDuet: v.boolean(),
  disableStitch: v.boolean(),
  brandContentToggle: v.boolean(),
  brandOrganicToggle: v.boolean(),
  publishAt: isoTime,
  createdAt: isoTime,
  updatedAt: isoTime,
  failReason: v.optional(v.pipe(v.string(), v.description('On `failed`: TikTok’s fail reason or ours.'))),
  publishId: v.optional(v.string()),
  tiktokPostId: v.optional(v.pipe(v.string(), v.description('On `published`, once TikTok gives it.'))),
  finishedAt: v.optional(isoTime),
  upload: v.optional(v.object({ chunksSent: v.number(), totalChunks: v.number() })),
});

export const PostPageSchema = v.object({
  posts: v.array(PostSchema),
  cursor: v.nullable(v.pipe(v.string(), v.description('Pass as `cursor` for the next (older) page.'))),
  hasMore: v.boolean(),
});
