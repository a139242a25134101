import type { ServiceDeps } from '../deps.js';
import { applyPublishStatus } from './status-follow-up.js';

/** post.publish.* events (Content Posting API, "Get Post Status"); `content` is a JSON string. */
export const POST_WEBHOOK_EVENTS = [
  'post.publish.complete',
  'post.publish.failed',
  'post.publish.inbox_delivered',
  'post.publish.publicly_available',
  'post.publish.no_longer_publicaly_available',
] as const;

export function isPostWebhookEvent(event: string): boolean {
  return (POST_WEBHOOK_EVENTS as readonly string[]).includes(event);
}

/**
 * Follows a post by TikTok's push (polling is the fallback). Idempotent: every change is a conditional write from
 * the states that may lead there, so TikTok's at-least-once deliveries and a racing poll change a post once.
 */
export async function handlePostWebhook(
  deps: ServiceDeps,
  payload: { event: string; content: unknown; user_openid?: string },
): Promise<{ handled: boolean }> {
  const content = parseContent(payload.content);
  const publishId = typeof content.publish_id === 'string' ? content.publish_id : undefined;
  const key = publishId ? await deps.posts.findByPublishId(publishId) : undefined;
  if (!key || (payload.user_openid && payload.user_openid !== key.openId)) {
    deps.logger.info('post webhook for an unknown publish_id', {
      event: 'post_webhook_unknown',
      tiktokEvent: payload.event,
    });
    return { handled: false };
  }
  const post = await deps.posts.get(key);
  if (!post) return { handled: false };
  const postId =
    typeof content.post_id === 'string' || typeof content.post_id === 'number'
      ? String(content.post_id)
      : undefined;
  switch (payload.event) {
    case 'post.publish.complete':
      await applyPublishStatus(deps, post, {
        status: 'PUBLISH_COMPLETE',
        failReason: undefined,
        postIds: [],
      });
      break;
    case 'post.publish.inbox_delivered':
      await applyPublishStatus(deps, post, {
        status: 'SEND_TO_USER_INBOX',
        failReason: undefined,
        postIds: [],
      });
      break;
    case 'post.publish.failed': {
      const reason = typeof content.reason === 'string' && content.reason ? content.reason : 'tiktok_failed';
      await applyPublishStatus(deps, post, { status: 'FAILED', failReason: reason, postIds: [] });
      break;
    }
    case 'post.publish.publicly_available':
      if (!postId || !/^\d+$/.test(postId)) break;
      if (post.status !== 'published')
        await applyPublishStatus(deps, post, {
          status: 'PUBLISH_COMPLETE',
          failReason: undefined,
          postIds: [postId],
        });
      // TikTok sends complete and publicly_available together: when complete's delivery wrote `published` first,
      // the id is added here (a conditional no-op when it is already there).
      await deps.posts.addTikTokPostId(key, postId, deps.now());
      break;
    default:
      break;
  }
  deps.logger.info('post webhook applied', {
    event: 'post_webhook',
    tiktokEvent: payload.event,
    postId: key.postId,
  });
  return { handled: true };
}

function parseContent(content: unknown): Record<string, unknown> {
  let value = content;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return {};
    }
  }
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}
