import type { Logger } from '../log.js';

export const EVENT_SOURCE = 'tiktok-connect';

export type ConnectionEventType =
  | 'connected'
  | 'refreshed'
  | 'refresh_failing'
  | 'reauth_required'
  | 'recovered'
  | 'disconnected'
  | 'revoked'
  | 'refresh_token_expiring'
  /** Analytics: a video's first-24 h view velocity is well above the creator's median. */
  | 'video_breakout'
  // Content posting: a post reached a final state (details carry postId, publishId, failReason, tiktokPostId).
  | 'post_published'
  | 'post_failed';

/** What the platform's backend receives: who and why, never a token. */
export type ConnectionEvent = {
  type: ConnectionEventType;
  appUser: string;
  openId: string;
  reason?: string;
  status: string;
  at: string;
  /** e.g. when the refresh token expires, for `refresh_token_expiring`. */
  details?: Record<string, string | number | boolean>;
};

export interface ConnectionEvents {
  publish(event: ConnectionEvent): Promise<void>;
}

export const detailTypeOf = (type: ConnectionEventType) =>
  type.startsWith('post_') ? `tiktok.post.${type.slice('post_'.length)}` : `tiktok.connection.${type}`;

/** Local and tests: events go to the log (and to an optional listener). */
export class LoggedConnectionEvents implements ConnectionEvents {
  readonly published: ConnectionEvent[] = [];
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  async publish(event: ConnectionEvent): Promise<void> {
    this.published.push(event);
    this.#logger.info('connection event', {
      event: 'connection_event',
      detailType: detailTypeOf(event.type),
      detail: event,
    });
  }
}

/**
 * Publishing must not undo a state change that is already stored: a failed publish is logged loudly (and counted
 * by the alarm on error logs) rather than thrown into the flow.
 */
export async function publishSafely(
  events: ConnectionEvents,
  logger: Logger,
  event: ConnectionEvent,
): Promise<void> {
  try {
    await events.publish(event);
  } catch (error) {
    logger.error('publishing a connection event failed', {
      event: 'event_publish_failed',
      detailType: detailTypeOf(event.type),
      appUser: event.appUser,
      openId: event.openId,
      error,
    });
  }
}
