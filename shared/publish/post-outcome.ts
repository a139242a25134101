import type { ServiceDeps } from '../deps.js';
import { publishSafely } from '../events/connection-events.js';
import type { PostKey, PostRecord, PostStatus } from '../store/post-store.js';

/**
 * A final state, written once (a conditional write from the states that may lead there), then the event:
 * `tiktok.post.published` for published and inbox, `tiktok.post.failed` for failed. A second writer (webhook and
 * poll racing) finds the condition false and publishes nothing.
 */
export async function finishPost(
  deps: ServiceDeps,
  key: PostKey,
  outcome: {
    status: 'published' | 'inbox' | 'failed';
    from: readonly PostStatus[];
    owner?: string;
    failReason?: string;
    tiktokPostId?: string;
  },
): Promise<PostRecord | undefined> {
  const now = deps.now();
  const post = await deps.posts.finish(key, { ...outcome, now });
  if (!post) return undefined;
  deps.logger[outcome.status === 'failed' ? 'warn' : 'info']('post finished', {
    event: 'post_finished',
    appUser: key.appUser,
    openId: key.openId,
    postId: key.postId,
    status: post.status,
    failReason: post.failReason,
    publishId: post.publishId,
  });
  const details: Record<string, string> = { postId: post.postId, mode: post.mode };
  if (post.publishId) details.publishId = post.publishId;
  if (post.failReason) details.failReason = post.failReason;
  if (post.tiktokPostId) details.tiktokPostId = post.tiktokPostId;
  await publishSafely(deps.events, deps.logger, {
    type: post.status === 'failed' ? 'post_failed' : 'post_published',
    appUser: key.appUser,
    openId: key.openId,
    status: post.status,
    ...(post.failReason ? { reason: post.failReason } : {}),
    at: new Date(now).toISOString(),
    details,
  });
  return post;
}
