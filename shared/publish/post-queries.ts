import type { ServiceDeps } from '../deps.js';
import { AppError } from '../errors.js';
import type { ConnectionKey } from '../store/connection-store.js';
import type { PostRecord } from '../store/post-store.js';
import { requireConnection } from './create-upload.js';

export async function getPost(deps: ServiceDeps, key: ConnectionKey, postId: string): Promise<PostRecord> {
  await requireConnection(deps, key);
  const post = await deps.posts.get({ ...key, postId });
  if (!post) throw new AppError('post_not_found', 404, 'No such post');
  return post;
}

export async function listPosts(
  deps: ServiceDeps,
  key: ConnectionKey,
  page: { limit: number; cursor?: string | undefined },
) {
  await requireConnection(deps, key);
  return deps.posts.list(key.appUser, key.openId, page);
}

/**
 * Cancels a `scheduled` post in one conditional write, so a publisher's claim and a cancel never both win. Once
 * publishing has begun it is TikTok's (409); cancelling twice answers the cancelled post.
 */
export async function cancelPost(deps: ServiceDeps, key: ConnectionKey, postId: string): Promise<PostRecord> {
  const current = await getPost(deps, key, postId);
  if (current.status === 'cancelled') return current;
  const cancelled =
    current.status === 'scheduled' ? await deps.posts.cancel({ ...key, postId }, deps.now()) : undefined;
  if (cancelled) {
    deps.logger.info('post cancelled', {
      event: 'post_cancelled',
      appUser: key.appUser,
      openId: key.openId,
      postId,
    });
    return cancelled;
  }
  const now = (await deps.posts.get({ ...key, postId })) ?? current;
  throw new AppError(
    'post_not_cancellable',
    409,
    `The post is ${now.status}; only scheduled posts can be cancelled`,
    {
      problemFields: { postStatus: now.status },
    },
  );
}
