/**
 * The frontend API's shapes, once: the handlers validate input with the request schemas and type their answers
 * with the response schemas, and the OpenAPI document (shared/http/openapi-document.ts) is generated from both.
 */
import * as v from 'valibot';

// ---- requests ----------------------------------------------------------------------------------------------

// The schemas the display handlers run live in their own module, so a Lambda bundles only those.
export {
  ConfirmBodySchema,
  ConnectionPathSchema,
  DEFAULT_VIDEO_PAGE_SIZE,
  VideoListQuerySchema,
  VideoQueryBodySchema,
} from './request-schemas.js';

/**
 * The connect routes' parameters. Their handlers check these themselves (state, return URL allow-list, one value
 * per name), so these schemas only describe them for the contract.
 */
export const StartQuerySchema = v.object({
  returnTo: v.optional(
    v.pipe(
      v.string(),
      v.url(),
      v.description('Where to send the browser afterwards; must be on an allowed origin.'),
    ),
  ),
  force: v.optional(
    v.pipe(
      v.picklist(['1', 'true']),
      v.description('Show TikTok’s consent screen even if the user approved before.'),
    ),
  ),
});

export const LaunchQuerySchema = v.object({
  ticket: v.pipe(v.string(), v.description('The one-time ticket from the JSON start’s `authorizeUrl`.')),
});

export const CallbackQuerySchema = v.object({
  code: v.optional(v.pipe(v.string(), v.description('The authorization code, on approval.'))),
  state: v.optional(v.pipe(v.string(), v.description('Echoed by TikTok; ties the answer to the attempt.'))),
  scopes: v.optional(v.pipe(v.string(), v.description('The granted scopes, comma-separated.'))),
  error: v.optional(v.pipe(v.string(), v.description('e.g. `access_denied` when the user declined.'))),
  error_description: v.optional(v.string()),
});

export const WebhookHeadersSchema = v.object({
  'TikTok-Signature': v.pipe(
    v.string(),
    v.description('`t=<unix seconds>,s=<hex HMAC-SHA256 of "t.body" keyed with the client secret>`.'),
  ),
});

/** TikTok's deauthorization webhook body (tiktok-api.md §12); checked by its signature, not by this schema. */
export const TikTokWebhookBodySchema = v.looseObject({
  client_key: v.string(),
  event: v.string(),
  create_time: v.optional(v.number()),
  user_openid: v.optional(v.string()),
  content: v.optional(v.unknown()),
});

// ---- responses ---------------------------------------------------------------------------------------------

const isoTime = v.pipe(v.string(), v.isoTimestamp());
const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const tiktokLogId = v.optional(
  v.pipe(v.string(), v.description('TikTok’s log_id for the call (quote it to TikTok support).')),
);

export const ConnectionStatusSchema = v.picklist([
  'active',
  'refresh_failing',
  'reauth_required',
  'revoked',
  'disconnected',
]);

export const ConnectionSchema = v.object({
  openId: v.string(),
  displayName: v.nullable(v.string()),
  avatarUrl: v.nullable(v.string()),
  username: v.nullable(v.string()),
  scopes: v.array(v.string()),
  status: ConnectionStatusSchema,
  connectedAt: isoTime,
  accessTokenExpiresAt: v.nullable(isoTime),
  refreshTokenExpiresAt: v.nullable(isoTime),
});

export const ConnectionListSchema = v.object({ connections: v.array(ConnectionSchema) });

export const ProfileSchema = v.object({
  openId: v.string(),
  unionId: v.optional(v.string()),
  displayName: v.optional(v.string()),
  avatarUrl: v.optional(v.string()),
  avatarUrl100: v.optional(v.string()),
  avatarLargeUrl: v.optional(v.string()),
  username: v.optional(v.string()),
  bioDescription: v.optional(v.string()),
  profileDeepLink: v.optional(v.string()),
  isVerified: v.optional(v.boolean()),
  followerCount: v.optional(count),
  followingCount: v.optional(count),
  likesCount: v.optional(count),
  videoCount: v.optional(count),
});

const freshness = {
  fetchedAt: v.pipe(isoTime, v.description('When TikTok gave this answer (earlier when cached).')),
  cached: v.boolean(),
  tiktokLogId,
};

export const ProfileResponseSchema = v.object({
  profile: ProfileSchema,
  /** Which fields can appear follows from these. */
  scopes: v.array(v.string()),
  ...freshness,
});

export const VideoSchema = v.object({
  id: v.pipe(v.string(), v.regex(/^\d+$/)),
  createTime: v.pipe(count, v.description('Unix seconds.')),
  createdAt: isoTime,
  title: v.optional(v.string()),
  description: v.optional(v.string()),
  coverImageUrl: v.optional(v.pipe(v.string(), v.description('Expires after about 6 hours.'))),
  shareUrl: v.optional(v.string()),
  embedLink: v.optional(v.string()),
  durationSeconds: v.optional(count),
  width: v.optional(count),
  height: v.optional(count),
  likeCount: v.optional(count),
  commentCount: v.optional(count),
  shareCount: v.optional(count),
  viewCount: v.optional(count),
});

export const VideoPageSchema = v.object({
  videos: v.array(VideoSchema),
  cursor: v.pipe(
    v.string(),
    v.regex(/^\d+$/),
    v.description('Pass as `cursor` for the next page (UTC milliseconds, kept a string).'),
  ),
  hasMore: v.boolean(),
  ...freshness,
});

export const VideoQueryResponseSchema = v.object({
  videos: v.array(VideoSchema),
  missingIds: v.pipe(
    v.array(v.string()),
    v.description('Ids TikTok did not return: not this account’s, not public, or deleted.'),
  ),
  fetchedAt: isoTime,
  tiktokLogId,
});

export const DisconnectResponseSchema = v.object({
  openId: v.string(),
  status: v.literal('disconnected'),
  revokedAtTikTok: v.boolean(),
  revocation: v.pipe(
    v.picklist(['revoked', 'kept_for_other_holder', 'not_needed', 'failed']),
    v.description(
      'What happened at TikTok. `revoked`: the grant is ended. `kept_for_other_holder`: another app user’s ' +
        'connection to the same TikTok account still uses the authorization, so it was not revoked (only this ' +
        'connection’s tokens are deleted). `not_needed`: TikTok had already ended the grant. `failed`: it could ' +
        'not be revoked (see `revokeFailure`); the tokens are deleted anyway, but the grant may live on at ' +
        'TikTok until the user removes the app there.',
    ),
  ),
  revokeFailure: v.optional(
    v.pipe(
      v.string(),
      v.description(
        'Why it was not revoked: `no_tokens`, or our error code for the refresh (an expired access token is ' +
          'refreshed first) or the revoke that failed.',
      ),
    ),
  ),
});

export const StartJsonResponseSchema = v.object({
  authorizeUrl: v.pipe(
    v.string(),
    v.url(),
    v.description('Navigate the browser here (a one-time launch link that sets the flow cookie).'),
  ),
  expiresIn: v.pipe(count, v.description('Seconds the link stays valid.')),
});

export const ConfirmResponseSchema = v.object({
  status: v.literal('connected'),
  openId: v.pipe(v.string(), v.description('The connected TikTok account’s open_id.')),
});

export const WebhookResponseSchema = v.object({
  received: v.literal(true),
  handled: v.optional(v.boolean()),
  duplicate: v.optional(v.boolean()),
  revoked: v.optional(count),
});

/**
 * RFC 9457 problem details plus our stable `code`; extension members depend on the code. Closed like every other
 * answer: each extension member we send is listed here.
 */
export const ProblemSchema = v.object({
  type: v.pipe(v.string(), v.url()),
  title: v.string(),
  status: v.pipe(v.number(), v.integer(), v.minValue(400), v.maxValue(599)),
  detail: v.string(),
  code: v.pipe(v.string(), v.description('Stable machine-readable reason, e.g. `scope_missing`.')),
  tiktokLogId,
  missingScopes: v.optional(
    v.pipe(v.array(v.string()), v.description('Scopes the user must grant (connect again with them).')),
  ),
  reconnectUrl: v.optional(
    v.pipe(v.string(), v.description('Start the connect flow again here, forcing the consent screen.')),
  ),
  tiktokCode: v.optional(
    v.pipe(
      v.string(),
      v.description(
        'TikTok’s own error code, where it tells the user what to do (e.g. `spam_risk_too_many_posts`).',
      ),
    ),
  ),
  privacyLevelOptions: v.optional(
    v.pipe(
      v.array(v.string()),
      v.description('`privacy_level_not_allowed` only: the privacy levels this creator may choose.'),
    ),
  ),
  postStatus: v.optional(
    v.pipe(v.string(), v.description('`post_not_cancellable` only: the post’s status now.')),
  ),
  budget: v.optional(
    v.pipe(
      v.picklist(['user', 'app']),
      v.description(
        '`rate_budget_exhausted` only: `user` when this user spent their share of the endpoint’s budget, `app` ' +
          'when the whole app’s is spent.',
      ),
    ),
  ),
});

/** What the HTTP API's JWT authorizer itself answers, before any handler runs. */
export const GatewayMessageSchema = v.object({ message: v.string() });
