import middy from '@middy/core';
import type * as v from 'valibot';
import type { ServiceDeps } from '../deps.js';
import { readProfile } from '../display/profile.js';
import { queryVideosById, readVideoPage } from '../display/videos.js';
import type { ConnectionKey } from '../store/connection-store.js';
import type { TikTokVideo } from '../tiktok/videos.js';
import { type HttpEvent, readQuery, requireAppUser } from './api-event.js';
import type {
  ProfileResponseSchema,
  VideoPageSchema,
  VideoQueryResponseSchema,
  VideoSchema,
} from './api-schemas.js';
import { errorResponses } from './error-responses.js';
import { parseRequestPart, readJsonBody } from './request-input.js';
import { ConnectionPathSchema, VideoListQuerySchema, VideoQueryBodySchema } from './request-schemas.js';
import { type HttpResult, json } from './responses.js';

/** A list of 20 ids is well under 1 KB; anything near this is not a video query. */
export const MAX_QUERY_BODY_BYTES = 16 * 1024;

/** GET /tiktok/connections/{openId}/profile — behind the JWT authorizer; only the caller's own connection. */
export function buildProfileHandler(deps: ServiceDeps) {
  return middy<HttpEvent, HttpResult>()
    .use(errorResponses(deps.logger))
    .handler(async (event) => {
      const key = connectionKeyOf(event);
      const read = await readProfile(deps, key);
      const body: v.InferOutput<typeof ProfileResponseSchema> = {
        profile: read.value,
        scopes: read.grantedScopes,
        fetchedAt: new Date(read.fetchedAt).toISOString(),
        cached: read.cached,
        tiktokLogId: read.logId,
      };
      return json(200, body);
    });
}

/** GET /tiktok/connections/{openId}/videos?cursor=&limit= — one page of the account's public videos. */
export function buildVideosHandler(deps: ServiceDeps) {
  return middy<HttpEvent, HttpResult>()
    .use(errorResponses(deps.logger))
    .handler(async (event) => {
      const key = connectionKeyOf(event);
      const query = parseRequestPart(VideoListQuerySchema, readQuery(event, ['limit', 'cursor']), 'query');
      const read = await readVideoPage(deps, key, query);
      const body: v.InferOutput<typeof VideoPageSchema> = {
        videos: read.value.videos.map(videoView),
        // A string, so no frontend rounds the millisecond cursor through a float.
        cursor: String(read.value.cursor),
        hasMore: read.value.hasMore,
        fetchedAt: new Date(read.fetchedAt).toISOString(),
        cached: read.cached,
        tiktokLogId: read.logId,
      };
      return json(200, body);
    });
}

/** POST /tiktok/connections/{openId}/videos/query {ids} — given videos with fresh cover URLs. */
export function buildVideoQueryHandler(deps: ServiceDeps) {
  return middy<HttpEvent, HttpResult>()
    .use(errorResponses(deps.logger))
    .handler(async (event) => {
      const key = connectionKeyOf(event);
      const { ids } = parseRequestPart(
        VideoQueryBodySchema,
        readJsonBody(event, { maxBytes: MAX_QUERY_BODY_BYTES }),
        'body',
      );
      const read = await queryVideosById(deps, key, ids);
      const found = new Set(read.value.map((video) => video.id));
      const body: v.InferOutput<typeof VideoQueryResponseSchema> = {
        videos: read.value.map(videoView),
        missingIds: [...new Set(ids)].filter((id) => !found.has(id)),
        fetchedAt: new Date(read.fetchedAt).toISOString(),
        tiktokLogId: read.logId,
      };
      return json(200, body);
    });
}

function connectionKeyOf(event: HttpEvent): ConnectionKey {
  const appUser = requireAppUser(event);
  const { openId } = parseRequestPart(ConnectionPathSchema, event.pathParameters ?? {}, 'path');
  return { appUser, openId };
}

function videoView(video: TikTokVideo): v.InferOutput<typeof VideoSchema> {
  return { ...video, createdAt: new Date(video.createTime * 1000).toISOString() };
}
