import middy from '@middy/core';
import type * as v from 'valibot';
import type { ServiceDeps } from '../deps.js';
import { createUpload } from '../publish/create-upload.js';
import { readPostingOptions } from '../publish/creator-info.js';
import { cancelPost, getPost, listPosts } from '../publish/post-queries.js';
import { postView } from '../publish/post-view.js';
import { schedulePost } from '../publish/schedule-post.js';
import type { ConnectionKey } from '../store/connection-store.js';
import { type HttpEvent, readQuery, requireAppUser } from './api-event.js';
import { errorResponses } from './error-responses.js';
import {
  type CreatorInfoResponseSchema,
  PostBodySchema,
  PostListQuerySchema,
  type PostPageSchema,
  PostPathSchema,
  UploadBodySchema,
} from './posting-schemas.js';
import { parseRequestPart, readJsonBody } from './request-input.js';
import { ConnectionPathSchema } from './request-schemas.js';
import { type HttpResult, json } from './responses.js';

const MAX_POST_BODY_BYTES = 32 * 1024;

/** GET /tiktok/connections/{openId}/creator-info — TikTok's creator_info, read now, and what this app may use. */
export function buildCreatorInfoHandler(deps: ServiceDeps) {
  return handler(deps, async (event) => {
    const options = await readPostingOptions(deps, connectionKeyOf(event));
    const body: v.InferOutput<typeof CreatorInfoResponseSchema> = {
      nickname: options.nickname ?? null,
      username: options.username ?? null,
      avatarUrl: options.avatarUrl ?? null,
      privacyLevelOptions: options.allowedPrivacyLevels,
      creatorPrivacyLevelOptions: options.privacyLevelOptions,
      commentDisabled: options.commentDisabled,
      duetDisabled: options.duetDisabled,
      stitchDisabled: options.stitchDisabled,
      maxVideoPostDurationSec: options.maxVideoPostDurationSec ?? null,
      appAudited: options.appAudited,
      postingBlockedReason: options.postingBlockedReason ?? null,
      fetchedAt: new Date(deps.now()).toISOString(),
      ...(options.logId ? { tiktokLogId: options.logId } : {}),
    };
    return json(200, body);
  });
}

/** POST /tiktok/connections/{openId}/uploads {size, contentType} — a presigned PUT for the video file. */
export function buildCreateUploadHandler(deps: ServiceDeps) {
  return handler(deps, async (event) => {
    const key = connectionKeyOf(event);
    const input = parseRequestPart(UploadBodySchema, readJsonBody(event, { maxBytes: 4096 }), 'body');
    return json(201, await createUpload(deps, key, input));
  });
}

/** POST /tiktok/connections/{openId}/posts — schedules a post (publishAt absent = now). */
export function buildCreatePostHandler(deps: ServiceDeps) {
  return handler(deps, async (event) => {
    const key = connectionKeyOf(event);
    const input = parseRequestPart(
      PostBodySchema,
      readJsonBody(event, { maxBytes: MAX_POST_BODY_BYTES }),
      'body',
    );
    return json(201, postView(await schedulePost(deps, key, input)));
  });
}

/** GET /tiktok/connections/{openId}/posts?limit=&cursor= — newest first. */
export function buildListPostsHandler(deps: ServiceDeps) {
  return handler(deps, async (event) => {
    const key = connectionKeyOf(event);
    const query = parseRequestPart(PostListQuerySchema, readQuery(event, ['limit', 'cursor']), 'query');
    const page = await listPosts(deps, key, query);
    const body: v.InferOutput<typeof PostPageSchema> = {
      posts: page.posts.map(postView),
      cursor: page.nextCursor ?? null,
      hasMore: page.nextCursor !== undefined,
    };
    return json(200, body);
  });
}

/** GET /tiktok/connections/{openId}/posts/{postId} */
export function buildGetPostHandler(deps: ServiceDeps) {
  return handler(deps, async (event) => {
    const { key, postId } = postKeyOf(event);
    return json(200, postView(await getPost(deps, key, postId)));
  });
}

/** DELETE /tiktok/connections/{openId}/posts/{postId} — cancels a scheduled post (409 once publishing began). */
export function buildCancelPostHandler(deps: ServiceDeps) {
  return handler(deps, async (event) => {
    const { key, postId } = postKeyOf(event);
    return json(200, postView(await cancelPost(deps, key, postId)));
  });
}

function handler(deps: ServiceDeps, run: (event: HttpEvent) => Promise<HttpResult>) {
  return middy<HttpEvent, HttpResult>().use(errorResponses(deps.logger)).handler(run);
}

function connectionKeyOf(event: HttpEvent): ConnectionKey {
  const appUser = requireAppUser(event);
  const { openId } = parseRequestPart(ConnectionPathSchema, event.pathParameters ?? {}, 'path');
  return { appUser, openId };
}

function postKeyOf(event: HttpEvent): { key: ConnectionKey; postId: string } {
  const appUser = requireAppUser(event);
  const { openId, postId } = parseRequestPart(PostPathSchema, event.pathParameters ?? {}, 'path');
  return { key: { appUser, openId }, postId };
}
