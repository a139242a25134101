import type { ServiceDeps } from '../deps.js';
import { AppError, TikTokError } from '../errors.js';
import { withFreshAccessToken } from '../lifecycle/fresh-access-token.js';
import type { Redacted } from '../redacted.js';
import type { ConnectionKey, ConnectionRecord } from '../store/connection-store.js';
import type { CreatorInfo, PrivacyLevel, PublishMode } from '../tiktok/content-posting.js';
import { emitTikTokError } from '../tiktok/tiktok-error-metrics.js';

/** The scope each posting mode needs (creator_info itself is a `video.publish` call). */
export const SCOPE_FOR_MODE: Record<PublishMode, string> = { direct: 'video.publish', inbox: 'video.upload' };
export const CREATOR_INFO_SCOPE = 'video.publish';

/** TikTok's refusal for an unaudited app and a public account (content-sharing guidelines). */
export const UNAUDITED_PUBLIC_ACCOUNT = 'unaudited_client_can_only_post_to_private_accounts';

export type PostingOptions = CreatorInfo & {
  /** The privacy levels this app may use for this creator now (SELF_ONLY only while unaudited). */
  allowedPrivacyLevels: PrivacyLevel[];
  appAudited: boolean;
  /** Why this creator cannot post through this app now; undefined when they can. */
  postingBlockedReason: string | undefined;
  logId: string | undefined;
};

/**
 * creator_info with a fresh token, read now (never cached: TikTok wants it before every compose and publish), and
 * what it means for this app: an unaudited app posts only SELF_ONLY, and only for private accounts — a public
 * account is the one offered PUBLIC_TO_EVERYONE.
 */
export async function readPostingOptions(deps: ServiceDeps, key: ConnectionKey): Promise<PostingOptions> {
  try {
    return await withFreshAccessToken(deps, key, (accessToken, record) =>
      postingOptionsWith(deps, accessToken, record),
    );
  } catch (error) {
    emitTikTokError(deps, { Service: 'tiktok-connect', Operation: 'posting' }, error);
    throw restateRefusal(error);
  }
}

export async function postingOptionsWith(
  deps: ServiceDeps,
  accessToken: Redacted,
  record: ConnectionRecord,
): Promise<PostingOptions> {
  requireScope(record, CREATOR_INFO_SCOPE);
  const { info, logId } = await deps.tiktokPosting.creatorInfo(accessToken);
  const audited = deps.config.publishing.audited;
  const publicAccount = info.privacyLevelOptions.includes('PUBLIC_TO_EVERYONE');
  return {
    ...info,
    allowedPrivacyLevels: audited
      ? info.privacyLevelOptions
      : info.privacyLevelOptions.filter((level) => level === 'SELF_ONLY'),
    appAudited: audited,
    postingBlockedReason: !audited && publicAccount ? UNAUDITED_PUBLIC_ACCOUNT : undefined,
    logId,
  };
}

export function requireScope(record: ConnectionRecord, scope: string): void {
  if (record.scopes.includes(scope)) return;
  throw new AppError(
    'scope_missing',
    403,
    `This TikTok connection was not granted ${scope}; posting needs it (TIKTOK_SCOPES, then connect again)`,
    { problemFields: { missingScopes: [scope] } },
  );
}

/** TikTok's refusals of a posting call, restated for the frontend. */
export function restateRefusal(error: unknown): unknown {
  if (!(error instanceof TikTokError)) return error;
  if (error.code === 'tiktok_scope_not_authorized') {
    return new AppError(
      'tiktok_scope_not_authorized',
      403,
      'TikTok says this connection lacks a posting scope',
      {
        cause: error,
        problemFields: { tiktokLogId: error.logId, missingScopes: [CREATOR_INFO_SCOPE] },
      },
    );
  }
  if (error.code === 'tiktok_error' && error.tiktokCode) {
    // e.g. spam_risk_too_many_posts or a banned user: TikTok says this creator cannot post now.
    return new AppError('posting_not_allowed', 409, `TikTok: ${error.tiktokCode}`, {
      cause: error,
      problemFields: { tiktokLogId: error.logId, tiktokCode: error.tiktokCode },
    });
  }
  return error;
}
