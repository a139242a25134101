import { randomBytes } from 'node:crypto';
import type { ServiceDeps } from '../deps.js';
import { AppError, RequestError } from '../errors.js';
import type { ConnectionKey } from '../store/connection-store.js';
import type { PostRecord } from '../store/post-store.js';
import type { PrivacyLevel, PublishMode } from '../tiktok/content-posting.js';
import { requireConnection } from './create-upload.js';
import { readPostingOptions, requireScope, SCOPE_FOR_MODE } from './creator-info.js';

/** A publish time this far in the past still counts as "now" (clocks, a slow form). */
export const PUBLISH_AT_GRACE_MS = 2 * 60_000;
/** Uploads are kept 30 days; a post must go out while its file is there. */
export const MAX_SCHEDULE_AHEAD_MS = 28 * 86_400_000;

export type PostRequest = {
  uploadId: string;
  caption: string;
  privacyLevel?: PrivacyLevel | undefined;
  disableComment: boolean;
  disableDuet: boolean;
  disableStitch: boolean;
  brandContentToggle: boolean;
  brandOrganicToggle: boolean;
  publishAt?: string | undefined;
  mode: PublishMode;
};

/**
 * Schedules a post after checking everything that can be checked now: the upload is this connection's and fully
 * stored, the time is not in the past, and the privacy level is one creator_info offers right now (and SELF_ONLY
 * while the app is unaudited). Any refusal is a 400 and nothing is stored.
 */
export async function schedulePost(
  deps: ServiceDeps,
  key: ConnectionKey,
  request: PostRequest,
): Promise<PostRecord> {
  const record = await requireConnection(deps, key);
  const now = deps.now();
  const publishAt = request.publishAt === undefined ? now : Date.parse(request.publishAt);
  if (!Number.isFinite(publishAt))
    throw new RequestError('publish_at_invalid', 'publishAt is not a date-time');
  if (publishAt < now - PUBLISH_AT_GRACE_MS) {
    throw new RequestError('publish_at_invalid', 'publishAt is in the past');
  }
  if (publishAt > now + MAX_SCHEDULE_AHEAD_MS) {
    throw new RequestError('publish_at_invalid', 'publishAt may be at most 28 days ahead');
  }
  requireScope(record, SCOPE_FOR_MODE[request.mode]);

  const upload = await deps.uploads.get(key.appUser, key.openId, request.uploadId);
  if (!upload) throw new RequestError('upload_not_found', 'No such upload for this connection');
  const stored = await deps.uploadFiles.head(upload.objectKey).catch((error: unknown) => {
    throw new AppError('upload_storage_unavailable', 503, 'The upload storage is not available', {
      cause: error,
    });
  });
  if (!stored || stored.size !== upload.size) {
    throw new RequestError('upload_incomplete', 'The video has not been uploaded to the upload URL (yet)');
  }

  const options = await readPostingOptions(deps, key);
  if (options.postingBlockedReason) {
    throw new AppError(
      'posting_not_allowed',
      400,
      `TikTok will refuse this post: ${options.postingBlockedReason}`,
      {
        problemFields: { tiktokCode: options.postingBlockedReason },
      },
    );
  }
  let privacyLevel: string;
  if (request.mode === 'direct') {
    if (!request.privacyLevel || !options.allowedPrivacyLevels.includes(request.privacyLevel)) {
      throw new AppError(
        'privacy_level_not_allowed',
        400,
        'privacyLevel must be one of the creator’s options',
        {
          problemFields: { privacyLevelOptions: options.allowedPrivacyLevels },
        },
      );
    }
    if (request.brandContentToggle && request.privacyLevel === 'SELF_ONLY') {
      throw new AppError('privacy_level_not_allowed', 400, 'Branded content cannot be private (SELF_ONLY)', {
        problemFields: { privacyLevelOptions: options.allowedPrivacyLevels },
      });
    }
    privacyLevel = request.privacyLevel;
  } else {
    // Inbox drafts: the creator picks visibility in the TikTok app.
    privacyLevel = request.privacyLevel ?? 'SELF_ONLY';
  }
  const postId = `p_${now.toString(36).padStart(10, '0')}${randomBytes(6).toString('hex')}`;
  const post = {
    ...key,
    postId,
    mode: request.mode,
    caption: request.caption,
    privacyLevel,
    // What creator_info disables stays disabled whatever the request says.
    disableComment: request.disableComment || options.commentDisabled,
    disableDuet: request.disableDuet || options.duetDisabled,
    disableStitch: request.disableStitch || options.stitchDisabled,
    brandContentToggle: request.brandContentToggle,
    brandOrganicToggle: request.brandOrganicToggle,
    uploadId: upload.uploadId,
    objectKey: upload.objectKey,
    videoSize: upload.size,
    contentType: upload.contentType,
    publishAt: Math.max(publishAt, now),
    createdAt: now,
  };
  await deps.posts.create(post);
  deps.logger.info('post scheduled', {
    event: 'post_scheduled',
    appUser: key.appUser,
    openId: key.openId,
    postId,
    mode: request.mode,
    publishAt: new Date(post.publishAt).toISOString(),
  });
  const created = await deps.posts.get({ ...key, postId });
  if (!created) throw new Error('a post just written cannot be read back');
  return created;
}
