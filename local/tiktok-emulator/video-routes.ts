import type { IncomingMessage } from 'node:http';
import type { EmulatedVideo } from './built-in-users.js';
import { authenticateCaller, type DisplayCaller, isReply, requestedFields } from './display-auth.js';
import type { EmulatorContext } from './emulator-context.js';
import { isPosted } from './live-stats.js';
import { displayError, displaySuccess, type Reply } from './replies.js';
import { parseJson } from './request-body.js';
import { isVideoField, projectVideo, type VideoField } from './video-fields.js';

const DEFAULT_MAX_COUNT = 10;
const MAX_COUNT = 20;
const MAX_QUERY_IDS = 20;

type VideoRequest = { caller: DisplayCaller; fields: VideoField[]; body: Record<string, unknown> };

/** POST /v2/video/list/?fields=…  body {max_count?, cursor?}; cursor is UTC milliseconds, create_time seconds. */
export function answerVideoList(
  ctx: EmulatorContext,
  req: IncomingMessage,
  query: URLSearchParams,
  rawBody: string,
  logId: string,
): Reply {
  const request = checkVideoRequest(ctx, req, query, rawBody, logId);
  if (isReply(request)) return request;
  const maxCount = request.body.max_count ?? DEFAULT_MAX_COUNT;
  if (typeof maxCount !== 'number' || !Number.isInteger(maxCount) || maxCount < 1 || maxCount > MAX_COUNT) {
    return displayError(400, 'invalid_params', `max_count must be an integer from 1 to ${MAX_COUNT}.`, logId);
  }
  const cursor = request.body.cursor ?? 0;
  if (typeof cursor !== 'number' || !Number.isSafeInteger(cursor) || cursor < 0) {
    return displayError(400, 'invalid_params', 'cursor must be a UTC timestamp in milliseconds.', logId);
  }
  // A zero cursor is treated as absent (protobuf-style default), i.e. start from the newest video.
  const before = cursor === 0 ? Number.POSITIVE_INFINITY : cursor;
  const now = ctx.clock.nowSeconds();
  // Only what is posted by now: with live stats, videos appear as the clock moves on.
  const older = newestFirst(request.caller.user.videos).filter(
    (video) => video.createTime * 1000 < before && isPosted(video, now),
  );
  const page = older.slice(0, maxCount);
  const last = page.at(-1);
  return displaySuccess(
    {
      videos: page.map((video) => projectVideo(video, request.fields, linkContext(ctx, request.caller))),
      cursor: last === undefined ? cursor : last.createTime * 1000,
      has_more: older.length > page.length,
    },
    logId,
    request.caller.user.openId,
  );
}

/** POST /v2/video/query/?fields=…  body {filters:{video_ids:[…]}}: only the caller's own videos come back. */
export function answerVideoQuery(
  ctx: EmulatorContext,
  req: IncomingMessage,
  query: URLSearchParams,
  rawBody: string,
  logId: string,
): Reply {
  const request = checkVideoRequest(ctx, req, query, rawBody, logId);
  if (isReply(request)) return request;
  const filters = request.body.filters;
  const ids =
    typeof filters === 'object' && filters !== null && 'video_ids' in filters ? filters.video_ids : undefined;
  // Ids must be strings: 19-digit ids do not survive a round trip through a JSON number.
  if (
    !Array.isArray(ids) ||
    ids.length < 1 ||
    ids.length > MAX_QUERY_IDS ||
    !ids.every((id) => typeof id === 'string')
  ) {
    const message = `filters.video_ids must be a list of 1 to ${MAX_QUERY_IDS} video id strings.`;
    return displayError(400, 'invalid_params', message, logId);
  }
  const now = ctx.clock.nowSeconds();
  const owned = new Map(
    request.caller.user.videos.filter((video) => isPosted(video, now)).map((video) => [video.id, video]),
  );
  const videos = [...new Set(ids as string[])].flatMap((id) => {
    const video = owned.get(id);
    return video === undefined ? [] : [projectVideo(video, request.fields, linkContext(ctx, request.caller))];
  });
  return displaySuccess({ videos }, logId, request.caller.user.openId);
}

function checkVideoRequest(
  ctx: EmulatorContext,
  req: IncomingMessage,
  query: URLSearchParams,
  rawBody: string,
  logId: string,
): VideoRequest | Reply {
  const caller = authenticateCaller(ctx, req, logId);
  if (isReply(caller)) return caller;
  const fields = requestedFields(query, isVideoField, logId);
  if (isReply(fields)) return fields;
  if (!caller.grant.scopes.includes('video.list')) {
    return displayError(
      401,
      'scope_not_authorized',
      'The user did not authorize the scope video.list.',
      logId,
    );
  }
  const body = rawBody.trim() === '' ? {} : parseObject(rawBody);
  if (body === undefined)
    return displayError(400, 'invalid_params', 'The request body must be a JSON object.', logId);
  if ('fields' in body || 'access_token' in body) {
    // The deprecated v1 shape: fields and token in the body instead of the query string and header.
    return displayError(
      400,
      'invalid_params',
      'fields must be passed in the query string, not the body.',
      logId,
    );
  }
  return { caller, fields, body };
}

function parseObject(rawBody: string): Record<string, unknown> | undefined {
  const value = parseJson(rawBody);
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function newestFirst(videos: EmulatedVideo[]): EmulatedVideo[] {
  return [...videos].sort((a, b) => b.createTime - a.createTime);
}

function linkContext(ctx: EmulatorContext, caller: DisplayCaller) {
  return {
    origin: ctx.origin,
    clientKey: ctx.settings.clientKey,
    owner: caller.user,
    nowSeconds: ctx.clock.nowSeconds(),
  };
}
