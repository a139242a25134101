/** The request schemas the display handlers validate input with (also part of the OpenAPI document). */
import * as v from 'valibot';
import { MAX_VIDEOS_PER_CALL } from '../tiktok/videos.js';
import { OpenIdSchema } from './lifecycle-routes.js';

export const ConnectionPathSchema = v.object({
  openId: v.pipe(
    OpenIdSchema,
    v.description('The TikTok account’s open_id, as GET /tiktok/connections lists it.'),
  ),
});

export const DEFAULT_VIDEO_PAGE_SIZE = 10;

export const VideoListQuerySchema = v.object({
  limit: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^(?:[1-9]|1\d|20)$/, `limit must be an integer from 1 to ${MAX_VIDEOS_PER_CALL}`),
      v.description(`Videos per page, 1–${MAX_VIDEOS_PER_CALL}.`),
      v.transform(Number),
    ),
    String(DEFAULT_VIDEO_PAGE_SIZE),
  ),
  cursor: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,16}$/, 'cursor must be a non-negative integer (the cursor of the previous page)'),
      v.description('The previous page’s `cursor` (UTC milliseconds, as a string); absent = newest videos.'),
      v.transform(Number),
      v.safeInteger('cursor is too large'),
    ),
  ),
});

export const VideoQueryBodySchema = v.strictObject({
  ids: v.pipe(
    v.array(
      v.pipe(v.string(), v.regex(/^\d{1,32}$/, 'each id must be a TikTok video id: a string of digits')),
    ),
    v.minLength(1, 'ids must name at least one video'),
    v.maxLength(MAX_VIDEOS_PER_CALL, `ids may name at most ${MAX_VIDEOS_PER_CALL} videos`),
    v.description('Video ids as strings (19-digit ids do not survive a JSON number).'),
  ),
});

export const ConfirmBodySchema = v.strictObject({
  confirmation: v.pipe(
    v.string(),
    v.maxLength(256, 'confirmation is longer than any confirmation code'),
    v.description(
      'The `confirmation` query parameter the callback added to the return URL (with `tiktok=pending`).',
    ),
  ),
});
