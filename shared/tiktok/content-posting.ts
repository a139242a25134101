/**
 * TikTok's Content Posting API (video, FILE_UPLOAD): creator_info, direct-post and inbox init, status/fetch and
 * the chunk PUT to the upload URL. Same `{data, error}` envelope as the Display API.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { TikTokError } from '../errors.js';
import { Redacted } from '../redacted.js';
import { readEnvelope } from './display-api.js';
import { type FetchLike, isRecord, sendTikTokRequest } from './tiktok-http.js';

export const PRIVACY_LEVELS = [
  'PUBLIC_TO_EVERYONE',
  'MUTUAL_FOLLOW_FRIENDS',
  'FOLLOWER_OF_CREATOR',
  'SELF_ONLY',
] as const;
export type PrivacyLevel = (typeof PRIVACY_LEVELS)[number];

export type CreatorInfo = {
  avatarUrl: string | undefined;
  username: string | undefined;
  nickname: string | undefined;
  privacyLevelOptions: PrivacyLevel[];
  commentDisabled: boolean;
  duetDisabled: boolean;
  stitchDisabled: boolean;
  maxVideoPostDurationSec: number | undefined;
};

export type PostInfo = {
  title: string;
  privacyLevel: PrivacyLevel;
  disableComment: boolean;
  disableDuet: boolean;
  disableStitch: boolean;
  brandContentToggle: boolean;
  brandOrganicToggle: boolean;
};

export type PublishMode = 'direct' | 'inbox';

export type PublishStatus = {
  status:
    | 'PROCESSING_UPLOAD'
    | 'PROCESSING_DOWNLOAD'
    | 'SEND_TO_USER_INBOX'
    | 'PUBLISH_COMPLETE'
    | 'FAILED'
    | string;
  failReason: string | undefined;
  /** TikTok's `publicaly_available_post_id` (sic), as strings: the ids exceed 2^53. */
  postIds: string[];
  uploadedBytes: number | undefined;
};

type CallOptions = { apiBaseUrl: string; accessToken: Redacted; timeoutMs: number; fetch?: FetchLike };

async function postJson(options: CallOptions, path: string, body: unknown) {
  const response = await sendTikTokRequest({
    url: `${options.apiBaseUrl}${path}`,
    method: 'POST',
    headers: {
      authorization: `Bearer ${options.accessToken.reveal()}`,
      'content-type': 'application/json; charset=UTF-8',
      accept: 'application/json',
    },
    body: JSON.stringify(body),
    timeoutMs: options.timeoutMs,
    fetch: options.fetch,
  });
  return readEnvelope(response);
}

/** `POST /v2/post/publish/creator_info/query/` (20 a minute per user token). */
export async function queryCreatorInfo(
  options: CallOptions,
): Promise<{ info: CreatorInfo; logId: string | undefined }> {
  const { data, logId } = await postJson(options, '/v2/post/publish/creator_info/query/', {});
  const options_ = Array.isArray(data.privacy_level_options) ? data.privacy_level_options : undefined;
  if (!options_) throw badResponse('creator_info without privacy_level_options', logId);
  const text = (key: string) => (typeof data[key] === 'string' ? (data[key] as string) : undefined);
  return {
    info: {
      avatarUrl: text('creator_avatar_url'),
      username: text('creator_username'),
      nickname: text('creator_nickname'),
      // Unknown levels are dropped: we could not offer them with a meaning anyway.
      privacyLevelOptions: options_.filter((level): level is PrivacyLevel =>
        (PRIVACY_LEVELS as readonly unknown[]).includes(level),
      ),
      commentDisabled: data.comment_disabled === true,
      duetDisabled: data.duet_disabled === true,
      stitchDisabled: data.stitch_disabled === true,
      maxVideoPostDurationSec:
        typeof data.max_video_post_duration_sec === 'number' ? data.max_video_post_duration_sec : undefined,
    },
    logId,
  };
}

/**
 * `POST /v2/post/publish/video/init/` (direct post) or `/v2/post/publish/inbox/video/init/` (to the creator's
 * inbox; no post_info), source FILE_UPLOAD. 6 a minute per user token.
 */
export async function initVideoUpload(
  options: CallOptions & {
    mode: PublishMode;
    postInfo: PostInfo;
    source: { videoSize: number; chunkSize: number; totalChunkCount: number };
  },
): Promise<{ publishId: string; uploadUrl: Redacted; logId: string | undefined }> {
  const source_info = {
    source: 'FILE_UPLOAD',
    video_size: options.source.videoSize,
    chunk_size: options.source.chunkSize,
    total_chunk_count: options.source.totalChunkCount,
  };
  const { postInfo } = options;
  const body =
    options.mode === 'inbox'
      ? { source_info }
      : {
          post_info: {
            title: postInfo.title,
            privacy_level: postInfo.privacyLevel,
            disable_comment: postInfo.disableComment,
            disable_duet: postInfo.disableDuet,
            disable_stitch: postInfo.disableStitch,
            brand_content_toggle: postInfo.brandContentToggle,
            brand_organic_toggle: postInfo.brandOrganicToggle,
          },
          source_info,
        };
  const path =
    options.mode === 'inbox' ? '/v2/post/publish/inbox/video/init/' : '/v2/post/publish/video/init/';
  const { data, logId } = await postJson(options, path, body);
  if (typeof data.publish_id !== 'string' || data.publish_id === '' || typeof data.upload_url !== 'string') {
    throw badResponse('init without publish_id or upload_url', logId);
  }
  return {
    publishId: data.publish_id, // The upload URL is a capability to write into the creator's post: it never reaches a log.
    uploadUrl: new Redacted(data.upload_url),
    logId,
  };
}

/** `POST /v2/post/publish/status/fetch/` (30 a minute per user token). */
export async function fetchPublishStatus(
  options: CallOptions & { publishId: string },
): Promise<{ status: PublishStatus; logId: string | undefined }> {
  const { data, logId } = await postJson(options, '/v2/post/publish/status/fetch/', {
    publish_id: options.publishId,
  });
  if (typeof data.status !== 'string') throw badResponse('status/fetch without status', logId);
  const ids = Array.isArray(data.publicaly_available_post_id) ? data.publicaly_available_post_id : [];
  return {
    status: {
      status: data.status,
      failReason: typeof data.fail_reason === 'string' && data.fail_reason ? data.fail_reason : undefined,
      // A number id has already lost digits in JSON.parse; only strings are trusted.
      postIds: ids.filter((id): id is string => typeof id === 'string' && /^\d+$/.test(id)),
      uploadedBytes: typeof data.uploaded_bytes === 'number' ? data.uploaded_bytes : undefined,
    },
    logId,
  };
}

export type ChunkAnswer = { status: number; logId: string | undefined; body: unknown };

/**
 * One `PUT {upload_url}` with `Content-Range: bytes first-last/total` and the exact Content-Length, the body
 * streamed from `body` (never buffered whole). 206 = more expected, 201 = complete, 416 = out of step.
 */
export function putChunk(input: {
  uploadUrl: Redacted;
  contentType: string;
  first: number;
  last: number;
  total: number;
  body: Readable;
  timeoutMs: number;
}): Promise<ChunkAnswer> {
  const url = new URL(input.uploadUrl.reveal());
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<ChunkAnswer>((resolve, reject) => {
    const req = send(url, {
      method: 'PUT',
      headers: {
        'content-type': input.contentType,
        'content-length': String(input.last - input.first + 1),
        'content-range': `bytes ${input.first}-${input.last}/${input.total}`,
      },
    });
    const fail = (error: Error) => {
      input.body.destroy();
      req.destroy();
      reject(
        new TikTokError('tiktok_unavailable', 'The chunk upload did not complete', {
          retryable: true,
          cause: { name: error.name, message: error.message },
        }),
      );
    };
    req.setTimeout(input.timeoutMs, () => fail(new Error(`no answer within ${input.timeoutMs} ms`)));
    req.on('error', fail);
    input.body.on('error', fail);
    req.on('response', (res: IncomingMessage) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('error', fail);
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = undefined;
        }
        const header = res.headers['x-tt-logid'];
        const bodyLog = isRecord(body) && isRecord(body.error) ? body.error.log_id : undefined;
        resolve({
          status: res.statusCode ?? 0,
          logId: typeof bodyLog === 'string' ? bodyLog : typeof header === 'string' ? header : undefined,
          body,
        });
      });
    });
    input.body.pipe(req);
  });
}

function badResponse(detail: string, logId: string | undefined): TikTokError {
  return new TikTokError('tiktok_bad_response', detail, { logId, retryable: false });
}
