/**
 * The Content Posting API (video, FILE_UPLOAD) as TikTok documents it: creator_info, direct-post and inbox init,
 * the chunked PUT to the upload URL, status/fetch, and post.publish.* webhooks. Every rule is checked here on
 * its own terms (not with the service's code), so a client that breaks one is refused as TikTok would.
 */
import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { authenticateCaller, type DisplayCaller, isReply } from './display-auth.js';
import type { EmulatorContext } from './emulator-context.js';
import type { PostingProfile, PrivacyLevel, PublishTask } from './posting-state.js';
import { displayError, displaySuccess, jsonReply, type Reply } from './replies.js';
import { parseJson } from './request-body.js';
import type { Scope } from './scopes.js';

const PER_MINUTE = { creator_info: 20, video_init: 6, inbox_video_init: 6, publish_status: 30 } as const;
const MAX_TITLE_UTF16 = 2200;
const MAX_CHUNKS = 1000;
const MAX_VIDEO_BYTES = 4_000_000_000;
const PENDING_SHARE_CAP = 5;
const VIDEO_TYPES = ['video/mp4', 'video/quicktime', 'video/webm'];
const BOOLEAN_FIELDS = [
  'disable_comment',
  'disable_duet',
  'disable_stitch',
  'brand_content_toggle',
  'brand_organic_toggle',
  'is_aigc',
];

export function privacyOptions(profile: PostingProfile): PrivacyLevel[] {
  return profile.privateAccount
    ? ['FOLLOWER_OF_CREATOR', 'MUTUAL_FOLLOW_FRIENDS', 'SELF_ONLY']
    : ['PUBLIC_TO_EVERYONE', 'MUTUAL_FOLLOW_FRIENDS', 'SELF_ONLY'];
}

/** POST /v2/post/publish/creator_info/query/ */
export function answerCreatorInfo(ctx: EmulatorContext, req: IncomingMessage, logId: string): Reply {
  const caller = checkCaller(ctx, req, 'creator_info', ['video.publish'], logId);
  if (isReply(caller)) return caller;
  const profile = ctx.posting.profileOf(caller.user.openId);
  if (profile.bannedFromPosting) {
    return displayError(403, 'spam_risk_user_banned_from_posting', 'The user is banned from posting.', logId);
  }
  return displaySuccess(
    {
      creator_avatar_url: `${ctx.origin}/avatars/${encodeURIComponent(caller.user.openId)}.svg`,
      creator_username: caller.user.username,
      creator_nickname: caller.user.displayName,
      privacy_level_options: privacyOptions(profile),
      comment_disabled: profile.commentDisabled,
      // Private accounts cannot be dueted or stitched (creator_info reference).
      duet_disabled: profile.privateAccount,
      stitch_disabled: profile.privateAccount,
      max_video_post_duration_sec: profile.maxVideoPostDurationSec,
    },
    logId,
    caller.user.openId,
  );
}

/** POST /v2/post/publish/video/init/ and /v2/post/publish/inbox/video/init/ */
export function answerVideoInit(
  ctx: EmulatorContext,
  req: IncomingMessage,
  rawBody: string,
  mode: 'direct' | 'inbox',
  logId: string,
): Reply {
  const endpoint = mode === 'direct' ? 'video_init' : 'inbox_video_init';
  const caller = checkCaller(
    ctx,
    req,
    endpoint,
    [mode === 'direct' ? 'video.publish' : 'video.upload'],
    logId,
  );
  if (isReply(caller)) return caller;
  const body = parseJson(rawBody);
  if (!isObject(body)) return invalid('The request body must be a JSON object.', logId);
  const openId = caller.user.openId;
  const profile = ctx.posting.profileOf(openId);
  const { posting } = ctx.settings;

  let postInfo: Record<string, unknown> | undefined;
  if (mode === 'direct') {
    if (!isObject(body.post_info)) return invalid('post_info is required.', logId);
    postInfo = body.post_info;
    const title = postInfo.title ?? '';
    if (typeof title !== 'string') return invalid('post_info.title must be a string.', logId);
    if (title.length > MAX_TITLE_UTF16) return invalid(`title over ${MAX_TITLE_UTF16} UTF-16 runes.`, logId);
    for (const field of BOOLEAN_FIELDS) {
      if (postInfo[field] !== undefined && typeof postInfo[field] !== 'boolean')
        return invalid(`post_info.${field} must be a boolean.`, logId);
    }
    const privacy = postInfo.privacy_level;
    if (typeof privacy !== 'string') return invalid('post_info.privacy_level is required.', logId);
    if (!posting.audited && !profile.privateAccount) {
      return displayError(
        403,
        'unaudited_client_can_only_post_to_private_accounts',
        'Unaudited clients can only post to a private account.',
        logId,
      );
    }
    if (
      !(privacyOptions(profile) as string[]).includes(privacy) ||
      (!posting.audited && privacy !== 'SELF_ONLY')
    ) {
      return displayError(
        400,
        'privacy_level_option_mismatch',
        'privacy_level must be one of the privacy_level_options of creator_info.',
        logId,
      );
    }
    if (postInfo.brand_content_toggle === true && privacy === 'SELF_ONLY') {
      return invalid('Branded content cannot be private.', logId);
    }
  }

  const source = body.source_info;
  if (!isObject(source)) return invalid('source_info is required.', logId);
  if (source.source === 'PULL_FROM_URL') {
    return displayError(
      403,
      'url_ownership_unverified',
      'The URL prefix is not verified for this app.',
      logId,
    );
  }
  if (source.source !== 'FILE_UPLOAD')
    return invalid('source_info.source must be FILE_UPLOAD or PULL_FROM_URL.', logId);
  const plan = {
    videoSize: source.video_size,
    chunkSize: source.chunk_size,
    count: source.total_chunk_count,
  };
  const problem = chunkPlanProblem(plan, posting.chunkRules);
  if (problem) return invalid(problem, logId);

  const now = emulatorNow(ctx);
  if (profile.bannedFromPosting) {
    return displayError(403, 'spam_risk_user_banned_from_posting', 'The user is banned from posting.', logId);
  }
  if (ctx.posting.postsInLastDay(openId, now) >= posting.dailyPostCap) {
    return displayError(
      403,
      'spam_risk_too_many_posts',
      'The daily post cap from the API is reached for the current user.',
      logId,
    );
  }
  const posters = ctx.posting.postingUsersInLastDay(now);
  const userCap = posting.activeUserCap ?? (posting.audited ? 10_000 : 5);
  if (!posters.has(openId) && posters.size >= userCap) {
    return displayError(
      403,
      'reached_active_user_cap',
      'The daily quota for active publishing users from your client is reached.',
      logId,
    );
  }
  if (mode === 'inbox' && ctx.posting.pendingInboxShares(openId) >= PENDING_SHARE_CAP) {
    return displayError(
      403,
      'spam_risk_too_many_pending_share',
      'At most 5 pending shares within 24 hours.',
      logId,
    );
  }
  const task = ctx.posting.createTask(
    {
      openId,
      mode,
      postInfo,
      videoSize: plan.videoSize as number,
      chunkSize: plan.chunkSize as number,
      totalChunkCount: plan.count as number,
    },
    now,
    posting.uploadUrlTtlSeconds * 1000,
  );
  const uploadUrl = `${ctx.origin}/upload/?upload_id=${task.uploadId}&upload_token=${encodeURIComponent(task.uploadToken)}`;
  // The URL and its token alone: either in a log line is a leak (the log scan looks for both).
  ctx.tokens.remember(uploadUrl);
  ctx.tokens.remember(task.uploadToken);
  return displaySuccess({ publish_id: task.publishId, upload_url: uploadUrl }, logId, openId);
}

/** POST /v2/post/publish/status/fetch/ {publish_id} */
export function answerStatusFetch(
  ctx: EmulatorContext,
  req: IncomingMessage,
  rawBody: string,
  logId: string,
): Reply {
  const caller = checkCaller(ctx, req, 'publish_status', ['video.publish', 'video.upload'], logId);
  if (isReply(caller)) return caller;
  const body = parseJson(rawBody);
  const publishId = isObject(body) ? body.publish_id : undefined;
  if (typeof publishId !== 'string') return invalid('publish_id is required.', logId);
  const task = ctx.posting.tasks.get(publishId);
  if (!task || task.openId !== caller.user.openId) return invalid('publish_id not found.', logId);
  return displaySuccess(
    {
      status: task.status,
      ...(task.failReason ? { fail_reason: task.failReason } : {}),
      publicaly_available_post_id: task.postId ? [task.postId] : [],
      uploaded_bytes: task.receivedBytes,
    },
    logId,
    task.openId,
  );
}

/**
 * PUT /upload/?upload_id=&upload_token= with Content-Range: the chunks of the plan, in order, each exactly as
 * planned. 206 more expected, 201 done, 416 out of step with what was received, 403 URL expired, 404 unknown.
 */
export async function answerChunk(
  ctx: EmulatorContext,
  req: IncomingMessage,
  url: URL,
  logId: string,
): Promise<Reply> {
  const task = ctx.posting.taskByUploadId(url.searchParams.get('upload_id') ?? '');
  if (!task || task.uploadToken !== url.searchParams.get('upload_token')) {
    return drained(req, uploadError(404, 'No upload task for this URL.', logId));
  }
  const range = /^bytes (\d+)-(\d+)\/\d+$/.exec(req.headers['content-range'] ?? '');
  const reply = await judgeChunk(ctx, req, task, logId);
  // The task's own log of PUTs: tests assert no chunk was sent twice or skipped.
  task.chunkPuts.push({
    first: Number(range?.[1] ?? -1),
    last: Number(range?.[2] ?? -1),
    status: reply.status,
  });
  return reply;
}

async function judgeChunk(
  ctx: EmulatorContext,
  req: IncomingMessage,
  task: PublishTask,
  logId: string,
): Promise<Reply> {
  if (emulatorNow(ctx) > task.uploadExpiresAt)
    return drained(req, uploadError(403, 'The upload URL has expired.', logId));
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!VIDEO_TYPES.includes(type))
    return drained(req, uploadError(400, `Content-Type ${type} is not a video type.`, logId));
  const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(req.headers['content-range'] ?? '');
  if (!range) return drained(req, uploadError(400, 'Content-Range must be bytes first-last/total.', logId));
  const [first, last, total] = [Number(range[1]), Number(range[2]), Number(range[3])];
  if (total !== task.videoSize)
    return drained(req, uploadError(400, 'Content-Range total is not video_size.', logId));
  if (task.receivedBytes === task.videoSize || first !== task.receivedBytes) {
    return drained(req, {
      ...uploadError(416, 'Content-Range does not match the upload progress.', logId),
      headers: { range: `bytes=0-${task.receivedBytes - 1}` },
    });
  }
  const index = task.chunksReceived;
  const expectedLast = index === task.totalChunkCount - 1 ? task.videoSize - 1 : first + task.chunkSize - 1;
  if (last !== expectedLast)
    return drained(req, uploadError(400, `Chunk ${index} must end at byte ${expectedLast}.`, logId));
  const length = last - first + 1;
  if (Number(req.headers['content-length']) !== length)
    return drained(req, uploadError(400, 'Content-Length does not match Content-Range.', logId));

  const hash = task.hash.copy();
  let received = 0;
  for await (const part of req) {
    const buffer = part as Buffer;
    received += buffer.length;
    if (received > length) return uploadError(400, 'The body is longer than Content-Length.', logId);
    hash.update(buffer);
  }
  if (received !== length) return uploadError(400, 'The body is shorter than Content-Length.', logId);
  task.hash = hash;
  task.receivedBytes += length;
  task.chunksReceived += 1;
  if (task.receivedBytes < task.videoSize) return { ...jsonReply(206, {}), openId: task.openId };
  task.sha256 = task.hash.copy().digest('hex');
  startProcessing(ctx, task);
  return { ...jsonReply(201, {}), openId: task.openId };
}

/** Processing, then the outcome the test queued (default: complete), announced by webhook. */
function startProcessing(ctx: EmulatorContext, task: PublishTask): void {
  const outcome = ctx.posting.nextOutcome();
  if (outcome.kind === 'stuck') return;
  const timer = setTimeout(() => {
    if (outcome.kind === 'fail') {
      task.status = 'FAILED';
      task.failReason = outcome.reason;
      void sendWebhook(ctx, task, 'post.publish.failed', { reason: outcome.reason });
      return;
    }
    if (task.mode === 'inbox') {
      task.status = 'SEND_TO_USER_INBOX';
      void sendWebhook(ctx, task, 'post.publish.inbox_delivered', {});
      return;
    }
    task.status = 'PUBLISH_COMPLETE';
    void sendWebhook(ctx, task, 'post.publish.complete', {});
    if (task.postInfo?.privacy_level === 'PUBLIC_TO_EVERYONE') {
      // Moderated and public: TikTok now gives the post id (19 digits, beyond JSON's safe integers).
      task.postId = (
        (BigInt(Math.floor(Date.now() / 1000)) << 32n) |
        BigInt(Math.floor(Math.random() * 2 ** 32))
      ).toString();
      void sendWebhook(ctx, task, 'post.publish.publicly_available', { post_id: task.postId });
    }
  }, ctx.settings.posting.processingMs);
  timer.unref();
}

async function sendWebhook(
  ctx: EmulatorContext,
  task: PublishTask,
  event: string,
  extra: Record<string, unknown>,
): Promise<void> {
  const target = ctx.settings.posting.webhookUrl;
  if (!target) return;
  const content = {
    publish_id: task.publishId,
    publish_type: task.mode === 'inbox' ? 'INBOX_SHARE' : 'DIRECT_POST',
    ...extra,
  };
  const body = JSON.stringify({
    client_key: ctx.settings.clientKey,
    event,
    create_time: Math.floor(Date.now() / 1000),
    user_openid: task.openId,
    // TikTok sends content as a JSON string.
    content: JSON.stringify(content),
  });
  let status = 0;
  try {
    const response = await fetch(target, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'tiktok-signature': tiktokSignature(ctx.settings.clientSecret, body, Math.floor(Date.now() / 1000)),
      },
      body,
      signal: ctx.closing,
    });
    status = response.status;
    await response.arrayBuffer();
  } catch {
    status = 0;
  }
  ctx.posting.webhooksSent.push({ event, openId: task.openId, content, status });
}

function checkCaller(
  ctx: EmulatorContext,
  req: IncomingMessage,
  endpoint: keyof typeof PER_MINUTE,
  scopes: Scope[],
  logId: string,
): DisplayCaller | Reply {
  const caller = authenticateCaller(ctx, req, logId);
  if (isReply(caller)) return caller;
  if (!scopes.some((scope) => caller.grant.scopes.includes(scope))) {
    return displayError(
      401,
      'scope_not_authorized',
      `The user did not authorize the scope ${scopes.join(' or ')}.`,
      logId,
    );
  }
  if (!ctx.posting.withinRate(endpoint, caller.grant.accessToken, PER_MINUTE[endpoint], emulatorNow(ctx))) {
    return {
      ...displayError(429, 'rate_limit_exceeded', 'API rate limit was exceeded, try again later.', logId),
      headers: { 'retry-after': '60' },
    };
  }
  return caller;
}

/** The media transfer guide's rules, stated once more here on purpose (independent of the service's planner). */
function chunkPlanProblem(
  plan: { videoSize: unknown; chunkSize: unknown; count: unknown },
  rules: { minChunkBytes: number; maxChunkBytes: number; maxFinalChunkBytes: number },
): string | undefined {
  const { videoSize, chunkSize, count } = plan;
  if (
    ![videoSize, chunkSize, count].every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n > 0)
  ) {
    return 'video_size, chunk_size and total_chunk_count must be positive integers.';
  }
  const [size, chunk, n] = [videoSize as number, chunkSize as number, count as number];
  if (size > MAX_VIDEO_BYTES) return 'video_size over 4 GB.';
  if (n !== Math.floor(size / chunk)) return 'total_chunk_count must be floor(video_size / chunk_size).';
  if (n > MAX_CHUNKS) return 'At most 1000 chunks.';
  if (size < rules.minChunkBytes)
    return chunk === size ? undefined : 'A video under 5 MB is uploaded as one chunk.';
  if (chunk < rules.minChunkBytes || chunk > rules.maxChunkBytes) return 'chunk_size must be 5 MB to 64 MB.';
  if (size > rules.maxChunkBytes && n < 2) return 'A video over 64 MB must be uploaded in chunks.';
  if (n > 1 && size - (n - 1) * chunk > rules.maxFinalChunkBytes)
    return 'The final chunk may be at most 128 MB.';
  return undefined;
}

/**
 * `TikTok-Signature: t=<unix seconds>,s=<hex HMAC-SHA256(client_secret, "<t>.<body>")>` (webhooks guide),
 * computed here on its own rather than with the service's code, so a service that verifies wrongly is caught.
 */
function tiktokSignature(clientSecret: string, body: string, timestamp: number): string {
  const signature = createHmac('sha256', clientSecret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},s=${signature}`;
}

/** TikTok's clock for rate windows and upload URL lifetimes: real time, moved with the emulator's clock. */
function emulatorNow(ctx: EmulatorContext): number {
  return Date.now() + ctx.clock.offsetSeconds * 1000;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string, logId: string): Reply {
  return displayError(400, 'invalid_params', message, logId);
}

function uploadError(status: number, message: string, logId: string): Reply {
  return displayError(status, status === 416 ? 'range_not_satisfiable' : 'invalid_upload', message, logId);
}

/** Refusals before the body was read still read it, so the client sees the answer rather than a reset. */
async function drained(req: IncomingMessage, reply: Reply): Promise<Reply> {
  await drain(req);
  return reply;
}

export async function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded) return;
  req.resume();
  await new Promise<void>((resolve) => {
    req.once('end', resolve);
    req.once('close', resolve);
    req.once('error', () => resolve());
  });
}
