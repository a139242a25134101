import { deleteAnalyticsHistory } from '../analytics/history-lifecycle.js';
import type { ServiceDeps } from '../deps.js';
import { AppError, RequestError } from '../errors.js';
import { handlePostWebhook, isPostWebhookEvent } from '../publish/post-webhook.js';
import { sha256Hex } from '../store/hashing.js';
import { verifyWebhookSignature } from '../tiktok/webhook-signature.js';
import { publish } from './refresh-connection.js';

/** `authorization.removed` content.reason (tiktok-api.md §12). */
const REMOVAL_REASONS = [
  'unknown',
  'user_disconnected',
  'account_deleted',
  'age_change',
  'account_banned',
  'developer_revoked',
] as const;

export type WebhookResult = { status: 200; body: Record<string, unknown> };

/**
 * TikTok's deauthorization webhook: verify the signature (re-reading the client secret once, in case it was
 * rotated), claim the delivery once, mark every connection to that TikTok account `revoked` and delete its tokens
 * (TikTok has already revoked them), publish the events. Bad or stale signatures are a 401.
 */
export async function handleTikTokWebhook(
  deps: ServiceDeps,
  input: { rawBody: string; signatureHeader: string | undefined },
): Promise<WebhookResult> {
  await verifySignature(deps, input.rawBody, input.signatureHeader);
  const payload = parsePayload(input.rawBody);
  if (payload.client_key !== deps.config.tiktok.clientKey) {
    throw new RequestError('invalid_request', 'The webhook is for another client_key');
  }
  if (isPostWebhookEvent(payload.event)) {
    const { handled } = await handlePostWebhook(deps, payload);
    return { status: 200, body: { received: true, handled } };
  }
  if (payload.event !== 'authorization.removed') {
    deps.logger.info('webhook event ignored', { event: 'webhook_ignored', tiktokEvent: payload.event });
    return { status: 200, body: { received: true, handled: false } };
  }
  const openId = payload.user_openid;
  const deliveryHash = sha256Hex(input.rawBody);
  const claim = await deps.webhookDeliveries.claim(deliveryHash, deps.now());
  if (claim === 'done') {
    deps.logger.info('duplicate webhook delivery', { event: 'webhook_duplicate', openId });
    return { status: 200, body: { received: true, duplicate: true } };
  }
  if (claim === 'in_progress') {
    // Another attempt is on it right now; if it dies, its claim expires and TikTok's next retry is processed.
    throw new AppError('delivery_in_progress', 503, 'This delivery is being processed; retry later');
  }
  try {
    const reason = `authorization_removed_${removalReason(payload.content)}`;
    // `create_time` has whole seconds: anything connected within that second counts as before the removal.
    const removedAt =
      typeof payload.create_time === 'number' && payload.create_time > 0
        ? (payload.create_time + 1) * 1000
        : undefined;
    const keys = await deps.connections.findByOpenId(openId);
    let revoked = 0;
    for (const key of keys) {
      const before = await deps.connections.markUnusable({
        key,
        status: 'revoked',
        reason,
        now: deps.now(),
        fromStatuses: ['active', 'refresh_failing', 'reauth_required'],
        // Delivered late (TikTok retries for days): a connection made after the removal is a new grant.
        ...(removedAt === undefined ? {} : { connectedBefore: removedAt }),
      });
      if (!before) continue;
      await deleteAnalyticsHistory(deps, key, reason);
      revoked++;
      await publish(deps, key, 'revoked', reason);
    }
    await deps.webhookDeliveries.complete(deliveryHash);
    deps.logger.info('authorization removed at TikTok', {
      event: 'webhook_authorization_removed',
      openId,
      revoked,
      reason,
    });
    return { status: 200, body: { received: true, revoked } };
  } catch (error) {
    await deps.webhookDeliveries.release(deliveryHash);
    throw error;
  }
}

async function verifySignature(
  deps: ServiceDeps,
  rawBody: string,
  header: string | undefined,
): Promise<void> {
  const nowSeconds = Math.floor(deps.now() / 1000);
  let check = verifyWebhookSignature({
    header,
    rawBody,
    clientSecret: (await deps.clientSecret.get()).reveal(),
    nowSeconds,
  });
  if (!check.ok && check.reason === 'mismatch') {
    // Signed with a newer secret than the one cached here? Read it again, once.
    const fresh = await deps.clientSecret.get({ forceRefresh: true });
    check = verifyWebhookSignature({ header, rawBody, clientSecret: fresh.reveal(), nowSeconds });
  }
  if (!check.ok) {
    throw new RequestError('unauthenticated', `TikTok-Signature ${check.reason}`, 401);
  }
}

type WebhookPayload = {
  client_key: string;
  event: string;
  user_openid: string;
  content: unknown;
  /** Unix seconds: when TikTok registered the event. */
  create_time?: unknown;
};

function parsePayload(rawBody: string): WebhookPayload {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    throw new RequestError('invalid_request', 'The webhook body is not JSON');
  }
  const p = parsed as Partial<WebhookPayload>;
  if (typeof p?.client_key !== 'string' || typeof p.event !== 'string') {
    throw new RequestError('invalid_request', 'The webhook body lacks client_key or event');
  }
  if (p.event === 'authorization.removed' && (typeof p.user_openid !== 'string' || p.user_openid === '')) {
    throw new RequestError('invalid_request', 'authorization.removed without user_openid');
  }
  return p as WebhookPayload;
}

/** `content` arrives as a JSON string (`"{\"reason\": 1}"`) or an object; anything else is `unknown`. */
function removalReason(content: unknown): string {
  let value = content;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return 'unknown';
    }
  }
  const reason = (value as { reason?: unknown } | null)?.reason;
  return typeof reason === 'number' ? (REMOVAL_REASONS[reason] ?? 'unknown') : 'unknown';
}
