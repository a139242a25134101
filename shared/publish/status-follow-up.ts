import type { ServiceDeps } from '../deps.js';
import { AppError, TikTokError } from '../errors.js';
import { withFreshAccessToken } from '../lifecycle/fresh-access-token.js';
import type { PostRecord } from '../store/post-store.js';
import type { PublishStatus } from '../tiktok/content-posting.js';
import { finishPost } from './post-outcome.js';

/** First status check this long after the upload finished, then doubling up to the maximum. */
const FIRST_CHECK_MS = 5_000;
const MAX_CHECK_INTERVAL_MS = 60_000;

export function nextCheckDelay(checks: number): number {
  return Math.min(MAX_CHECK_INTERVAL_MS, FIRST_CHECK_MS * 2 ** checks);
}

/** What a status answer means for the post: a final state, or check again. */
export async function applyPublishStatus(
  deps: ServiceDeps,
  post: PostRecord,
  status: Pick<PublishStatus, 'status' | 'failReason' | 'postIds'>,
): Promise<'final' | 'pending'> {
  const key = { appUser: post.appUser, openId: post.openId, postId: post.postId };
  const from = ['processing', 'publishing'] as const;
  switch (status.status) {
    case 'PUBLISH_COMPLETE':
      await finishPost(deps, key, {
        status: 'published',
        from,
        ...(status.postIds[0] ? { tiktokPostId: status.postIds[0] } : {}),
      });
      return 'final';
    case 'SEND_TO_USER_INBOX':
      await finishPost(deps, key, { status: 'inbox', from });
      return 'final';
    case 'FAILED':
      await finishPost(deps, key, {
        status: 'failed',
        from,
        failReason: status.failReason ?? 'tiktok_failed',
      });
      return 'final';
    default:
      return 'pending';
  }
}

/**
 * The polling fallback for one `processing` post: one status/fetch; a final answer ends the post, otherwise the
 * next check is scheduled with backoff. A post not final after the status timeout ends `failed` with
 * `status_timeout`, never `processing` forever.
 */
export async function checkPostStatus(deps: ServiceDeps, post: PostRecord): Promise<'final' | 'pending'> {
  const key = { appUser: post.appUser, openId: post.openId, postId: post.postId };
  const now = deps.now();
  if (!post.publishId) {
    await finishPost(deps, key, {
      status: 'failed',
      from: ['processing'],
      failReason: 'publish_interrupted',
    });
    return 'final';
  }
  let retryAfterMs = 0;
  try {
    const { status } = await withFreshAccessToken(deps, key, (accessToken) =>
      deps.tiktokPosting.status(accessToken, post.publishId as string),
    );
    if ((await applyPublishStatus(deps, post, status)) === 'final') return 'final';
  } catch (error) {
    // A 429's Retry-After holds the next check back at least that long (status/fetch: 30 a minute per token).
    if (error instanceof AppError && error.retryAfterSeconds !== undefined)
      retryAfterMs = error.retryAfterSeconds * 1000;
    if (
      error instanceof AppError &&
      (error.code === 'connection_not_found' || error.code === 'connection_reauth_required')
    ) {
      // TikTok stops telling us anything about a grant that is gone (its own fail_reason is auth_removed).
      await finishPost(deps, key, { status: 'failed', from: ['processing'], failReason: 'auth_removed' });
      return 'final';
    }
    deps.logger.warn('status check failed; checking again later', {
      event: 'post_status_check_failed',
      postId: post.postId,
      reason: error instanceof AppError ? error.code : 'internal',
      tiktokCode: error instanceof TikTokError ? error.tiktokCode : undefined,
    });
  }
  if (now - (post.processingSince ?? now) > deps.config.publishing.statusTimeoutMs) {
    await finishPost(deps, key, { status: 'failed', from: ['processing'], failReason: 'status_timeout' });
    return 'final';
  }
  const delay = Math.max(nextCheckDelay(post.statusChecks), retryAfterMs);
  await deps.posts.scheduleCheck(key, now, now + delay, post.statusChecks + 1);
  return 'pending';
}
