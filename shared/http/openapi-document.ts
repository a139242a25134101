/**
 * The OpenAPI 3.1 contract of every route in ROUTES, generated from the valibot schemas the handlers use
 * (shared/http/api-schemas.ts). `npm run openapi` writes it to openapi.json; a test fails when that file is stale
 * and another checks the handlers' real answers against it.
 */
import {
  type ConversionConfig,
  type JsonSchema,
  toJsonSchema,
  toJsonSchemaDefs,
} from '@valibot/to-json-schema';
import type * as v from 'valibot';
import * as a from './analytics-schemas.js';
import * as s from './api-schemas.js';
import * as p from './posting-schemas.js';
import { ROUTES, type RouteSpec } from './route-table.js';

type ObjectSchema = v.ObjectSchema<v.ObjectEntries, v.ErrorMessage<v.ObjectIssue> | undefined>;

type ResponseSpec = {
  description: string;
  /** A named component (key of COMPONENTS) as the body; `Problem` is served as application/problem+json. */
  body?: ComponentName;
  /** A second body shape, for answers that come from API Gateway rather than the handler. */
  gatewayBody?: ComponentName;
  headers?: Record<string, { description: string; required?: boolean; schema: JsonSchema }>;
  /** Also served as text/csv (with `Accept: text/csv`). */
  csv?: boolean;
};

type RouteContract = {
  summary: string;
  description: string;
  tag: 'connect' | 'connections' | 'webhooks' | 'analytics' | 'posting';
  path?: ObjectSchema;
  query?: ObjectSchema;
  headers?: ObjectSchema;
  body?: { component: ComponentName; description: string; required: boolean };
  responses: Record<string, ResponseSpec>;
};

/** Schemas shown under components.schemas and referenced by name. */
const COMPONENTS = {
  Problem: s.ProblemSchema,
  GatewayMessage: s.GatewayMessageSchema,
  Connection: s.ConnectionSchema,
  ConnectionList: s.ConnectionListSchema,
  Profile: s.ProfileSchema,
  ProfileResponse: s.ProfileResponseSchema,
  Video: s.VideoSchema,
  VideoPage: s.VideoPageSchema,
  VideoQueryBody: s.VideoQueryBodySchema,
  VideoQueryResponse: s.VideoQueryResponseSchema,
  DisconnectResponse: s.DisconnectResponseSchema,
  ConfirmBody: s.ConfirmBodySchema,
  ConfirmResponse: s.ConfirmResponseSchema,
  StartJsonResponse: s.StartJsonResponseSchema,
  TikTokWebhookBody: s.TikTokWebhookBodySchema,
  WebhookResponse: s.WebhookResponseSchema,
  AnalyticsSeries: a.AnalyticsSeriesSchema,
  AnalyticsHashtags: a.HashtagsResponseSchema,
  AnalyticsFollowerGrowth: a.FollowerGrowthResponseSchema,
  AnalyticsVideoMetrics: a.VideoMetricsResponseSchema,
  AnalyticsBreakouts: a.BreakoutsResponseSchema,
  AnalyticsHeatmap: a.HeatmapResponseSchema,
  CreatorInfo: p.CreatorInfoResponseSchema,
  UploadRequest: p.UploadBodySchema,
  Upload: p.UploadResponseSchema,
  PostRequest: p.PostBodySchema,
  Post: p.PostSchema,
  PostPage: p.PostPageSchema,
};
type ComponentName = keyof typeof COMPONENTS;

/** Input types: a query parameter is a string on the wire, whatever the handler turns it into. */
const CONVERSION: ConversionConfig = {
  target: 'draft-2020-12',
  typeMode: 'input',
  overrideRef: ({ referenceId }) => `#/components/schemas/${referenceId}`,
  // Closed shapes: an answer carrying a field the contract does not name (a sealed token, a lease, a version) fails
  // validation instead of passing unnoticed. Only `v.looseObject` (TikTok's webhook body) stays open.
  overrideSchema: ({ valibotSchema, jsonSchema }) =>
    valibotSchema.type === 'object' ? { ...jsonSchema, additionalProperties: false } : undefined,
};

const retryAfter = {
  'Retry-After': {
    description: 'Seconds to wait before trying again.',
    required: true,
    schema: { type: 'integer', minimum: 1 } as JsonSchema,
  },
};
const location = (description: string) => ({
  Location: {
    description,
    required: true,
    schema: { type: 'string', format: 'uri-reference' } as JsonSchema,
  },
});

const problem = (description: string, extra: Partial<ResponseSpec> = {}): ResponseSpec => ({
  description,
  body: 'Problem',
  ...extra,
});

const unauthorized = problem(
  'No valid bearer JWT: API Gateway answers `{"message":"Unauthorized"}`, the handler a problem with code `unauthenticated`.',
  { gatewayBody: 'GatewayMessage' },
);
const internal = problem('Something failed on our side (code `internal`).');

/** Answers every route that reads TikTok for a connection can give besides its success. */
const TIKTOK_READ_ERRORS: Record<string, ResponseSpec> = {
  '400': problem('A path, query or body parameter is invalid (code `invalid_request`).'),
  '401': unauthorized,
  '403': problem(
    'The connection lacks a scope this needs: `scope_missing` (known before asking TikTok) or `tiktok_scope_not_authorized` (TikTok said so). `missingScopes` names them; `reconnectUrl` starts the connect flow again with the consent screen.',
  ),
  '404': problem(
    'No such connection for this user (code `connection_not_found`); another user’s looks the same.',
  ),
  '409': problem(
    'The connection can no longer be used — refresh token expired or revoked (code `connection_reauth_required`); connect again via `reconnectUrl`.',
  ),
  '429': problem(
    'Rate limited: the app-wide budget per TikTok endpoint is spent (`rate_budget_exhausted`) or TikTok said so (`tiktok_rate_limited`).',
    { headers: retryAfter },
  ),
  '500': internal,
  '502': problem(
    'TikTok failed after bounded retries (`tiktok_unavailable`, `tiktok_bad_response`, `tiktok_invalid_request`, `tiktok_access_token_invalid`); `tiktokLogId` identifies the call.',
  ),
  '503': problem('The connection’s token is being refreshed by another request (code `connection_busy`).'),
  '504': problem('TikTok did not answer in time, after bounded retries (code `tiktok_timeout`).'),
};

/** Answers of the analytics routes besides their success: they read stored history, never TikTok. */
const ANALYTICS_ERRORS: Record<string, ResponseSpec> = {
  '400': problem(
    'A malformed date, `from` after `to`, a range longer than the retention, or a bad parameter (code `invalid_request`).',
  ),
  '401': unauthorized,
  '404': problem(
    'No such connection for this user (code `connection_not_found`); another user’s looks the same.',
  ),
  '500': internal,
};

/** Answers every posting route on a connection can give besides its own. */
const POSTING_ERRORS: Record<string, ResponseSpec> = {
  '400': problem('A path, query or body parameter is invalid (code `invalid_request`).'),
  '401': unauthorized,
  '404': problem(
    'No such connection for this user (code `connection_not_found`); another user’s looks the same.',
  ),
  '500': internal,
};

const analyticsContract = (summary: string, description: string, body: ComponentName): RouteContract => ({
  tag: 'analytics',
  summary,
  description,
  path: s.ConnectionPathSchema,
  query: a.AnalyticsRangeQuerySchema,
  responses: { '200': { description: 'The figures for the range.', body }, ...ANALYTICS_ERRORS },
});

const CONTRACTS: Record<string, RouteContract> = {
  'GET /tiktok/connections/{openId}/analytics': {
    tag: 'analytics',
    summary: 'Snapshot history: account counters and per-video stats over time',
    description:
      'Every snapshot taken in the range (UTC days, inclusive; default the last 30), time-ordered: the account’s counters and the points of the most recently posted videos (`limit`, default 100; page on with `nextCursor`). Snapshots start when the account is connected: TikTok keeps no history. Points older than 30 days are kept one per day. With `Accept: text/csv` the same series comes as CSV.',
    path: s.ConnectionPathSchema,
    query: a.AnalyticsSeriesQuerySchema,
    responses: {
      '200': { description: 'The series.', body: 'AnalyticsSeries', csv: true },
      ...ANALYTICS_ERRORS,
    },
  },
  'GET /tiktok/connections/{openId}/analytics/hashtags': analyticsContract(
    'Hashtag performance',
    'Hashtags parsed from the captions of videos with snapshots in the range (lower-cased, without `#`), with their videos’ latest views, median views per video and engagement rate, most viewed first.',
    'AnalyticsHashtags',
  ),
  'GET /tiktok/connections/{openId}/analytics/followers': analyticsContract(
    'Follower growth per day',
    'The last follower count of each UTC day with a snapshot, and the change from the previous one.',
    'AnalyticsFollowerGrowth',
  ),
  'GET /tiktok/connections/{openId}/analytics/videos': analyticsContract(
    'Engagement rate and view velocity per video',
    'For every video with snapshots in the range: latest counts, engagement rate ((likes + comments + shares) / views) and view velocity (views per hour over the first 24 h and 7 days, where our snapshots cover them), fastest first.',
    'AnalyticsVideoMetrics',
  ),
  'GET /tiktok/connections/{openId}/analytics/breakouts': analyticsContract(
    'Breakout videos',
    'Videos whose first-24 h view velocity is at least `factor` times the creator’s own median (needs three videos to compare). The snapshot pass also publishes `tiktok.connection.video_breakout` on EventBridge when it first sees one.',
    'AnalyticsBreakouts',
  ),
  'GET /tiktok/connections/{openId}/analytics/heatmap': analyticsContract(
    'Posting-time heatmap',
    'Videos posted in the range by UTC weekday × hour of posting → median views 7 days after posting.',
    'AnalyticsHeatmap',
  ),
  'GET /tiktok/connections/{openId}/creator-info': {
    tag: 'posting',
    summary: 'What this creator may post now',
    description:
      'Reads TikTok’s `creator_info` now (never cached; TikTok allows 20 a minute per user): nickname, privacy options, disabled interactions, maximum duration. `privacyLevelOptions` is what this app may use (only `SELF_ONLY` while TikTok has not audited it); `postingBlockedReason` says why the creator cannot post now. Needs `video.publish`.',
    path: s.ConnectionPathSchema,
    responses: {
      '200': { description: 'The creator’s posting options.', body: 'CreatorInfo' },
      ...TIKTOK_READ_ERRORS,
    },
  },
  'POST /tiktok/connections/{openId}/uploads': {
    tag: 'posting',
    summary: 'A presigned upload URL for one video',
    description:
      'Returns a presigned S3 `PUT` URL bound to the given Content-Type and size (at most 4 GB, TikTok’s limit). The browser sends the file there with that Content-Type; the URL expires after `expiresAt`. The API does not parse the video.',
    path: s.ConnectionPathSchema,
    body: { component: 'UploadRequest', description: 'The file’s size and type.', required: true },
    responses: {
      '201': { description: 'Where to PUT the file.', body: 'Upload' },
      ...POSTING_ERRORS,
      '415': problem('The body is not `application/json` (code `unsupported_media_type`).'),
      '503': problem('The upload storage is unavailable (code `upload_storage_unavailable`).'),
    },
  },
  'POST /tiktok/connections/{openId}/posts': {
    tag: 'posting',
    summary: 'Schedule a post',
    description:
      'Checks the upload (this connection’s, fully stored), the time (not in the past beyond 2 minutes, at most 28 days ahead) and the privacy level against a fresh creator_info, then schedules the post. Any refusal is a 400 and nothing is scheduled. The publisher starts it within a minute of `publishAt` and calls TikTok’s init at most once.',
    path: s.ConnectionPathSchema,
    body: { component: 'PostRequest', description: 'At most 32 KB of JSON.', required: true },
    responses: {
      '201': { description: 'Scheduled.', body: 'Post' },
      ...TIKTOK_READ_ERRORS,
      '400': problem(
        'Refused, nothing scheduled: `invalid_request`, `upload_not_found`, `upload_incomplete`, `publish_at_invalid`, `privacy_level_not_allowed` (with `privacyLevelOptions`), `posting_not_allowed` (with `tiktokCode`).',
      ),
      '413': problem('The body is larger than 32 KB (code `payload_too_large`).'),
      '415': problem('The body is not `application/json` (code `unsupported_media_type`).'),
    },
  },
  'GET /tiktok/connections/{openId}/posts': {
    tag: 'posting',
    summary: 'Scheduled and past posts',
    description: 'Newest first, `limit` (1–50, default 20) per page; pass `cursor` from the previous page.',
    path: s.ConnectionPathSchema,
    query: p.PostListQuerySchema,
    responses: { '200': { description: 'One page of posts.', body: 'PostPage' }, ...POSTING_ERRORS },
  },
  'GET /tiktok/connections/{openId}/posts/{postId}': {
    tag: 'posting',
    summary: 'One post and its state',
    description:
      '`status`: scheduled, publishing, processing, published, inbox, failed (with `failReason`), cancelled. `tiktokPostId` once TikTok gives it.',
    path: p.PostPathSchema,
    responses: {
      '200': { description: 'The post.', body: 'Post' },
      ...POSTING_ERRORS,
      '404': problem('No such connection (`connection_not_found`) or post (`post_not_found`) for this user.'),
    },
  },
  'DELETE /tiktok/connections/{openId}/posts/{postId}': {
    tag: 'posting',
    summary: 'Cancel a scheduled post',
    description: 'Only a `scheduled` post can be cancelled; cancelling again answers the cancelled post.',
    path: p.PostPathSchema,
    responses: {
      '200': { description: 'Cancelled.', body: 'Post' },
      ...POSTING_ERRORS,
      '404': problem('No such connection (`connection_not_found`) or post (`post_not_found`) for this user.'),
      '409': problem('Publishing has begun (code `post_not_cancellable`, with `postStatus`).'),
    },
  },
  'GET /auth/tiktok/start': {
    tag: 'connect',
    summary: 'Start connecting a TikTok account',
    description:
      'With `Accept: application/json`, answers a one-time `authorizeUrl` to navigate the browser to. Otherwise redirects to TikTok at once and sets the flow cookie. Add `force=1` to show TikTok’s consent screen again (to grant more scopes or switch accounts).',
    query: s.StartQuerySchema,
    responses: {
      '200': { description: 'JSON mode: where to send the browser.', body: 'StartJsonResponse' },
      '302': {
        description: 'Redirect mode: to TikTok’s authorize page, with the flow cookie set.',
        headers: location('TikTok’s authorize URL.'),
      },
      '400': problem(
        '`returnTo` is not on an allowed origin (`return_to_not_allowed`) or a parameter is bad.',
      ),
      '401': unauthorized,
      '500': internal,
    },
  },
  'GET /auth/tiktok/launch': {
    tag: 'connect',
    summary: 'Open TikTok from a JSON-mode start',
    description:
      'The browser navigates to the `authorizeUrl` from the JSON start; this sets the flow cookie and redirects to TikTok. A used or expired ticket redirects back to the app with `tiktok=error&reason=launch_invalid`.',
    query: s.LaunchQuerySchema,
    responses: {
      '302': { description: 'To TikTok, or back to the app with an error.', headers: location('Where to.') },
      '400': problem('A parameter is repeated or malformed.'),
      '500': internal,
    },
  },
  'GET /auth/tiktok/callback': {
    tag: 'connect',
    summary: 'TikTok’s redirect back (the registered redirect URI)',
    description:
      'Checks the state and the flow cookie, exchanges the code and reads the profile, then keeps the result pending (at most 10 minutes) and redirects to the return URL with `tiktok=pending&confirmation=<one-time code>` — nothing is connected until the signed-in user’s frontend sends that code to `POST /auth/tiktok/confirm`. Failures redirect with `tiktok=error&reason=<code>`.',
    query: s.CallbackQuerySchema,
    responses: {
      '302': { description: 'Back to the app with the outcome.', headers: location('The return URL.') },
      '400': problem(
        'No usable state: the app cannot be found to return to (`state_missing`, `state_invalid`).',
      ),
      '500': internal,
    },
  },
  'POST /auth/tiktok/confirm': {
    tag: 'connect',
    summary: 'Confirm a connection as the user who started it',
    description:
      'Back from TikTok with `tiktok=pending&confirmation=<code>`, the signed-in user’s frontend posts the code. The connection is stored only if the caller’s `sub` is the user who started the attempt; otherwise the result is discarded and its grant revoked at TikTok (a link opened by someone else connects nothing). The code works once, for 10 minutes; remove it from the address bar once used.',
    body: { component: 'ConfirmBody', description: 'At most 1 KB of JSON.', required: true },
    responses: {
      '200': { description: 'Connected.', body: 'ConfirmResponse' },
      '400': problem(
        'Unknown or already used code (`confirmation_invalid`), or a malformed body (`invalid_request`).',
      ),
      '401': unauthorized,
      '403': problem(
        'Another user started this attempt (`connect_user_mismatch`): the result was discarded and its grant revoked; nothing was connected.',
      ),
      '410': problem(
        'The result waited more than 10 minutes unconfirmed (`confirmation_expired`); connect again.',
      ),
      '413': problem('The body is larger than 1 KB (code `payload_too_large`).'),
      '415': problem('The body is not `application/json` (code `unsupported_media_type`).'),
      '500': internal,
    },
  },
  'GET /tiktok/connections': {
    tag: 'connections',
    summary: 'List the user’s TikTok connections',
    description:
      'Every connection the user has not disconnected: status, granted scopes, profile basics and token expiries. Never a token.',
    responses: {
      '200': { description: 'The connections, newest first.', body: 'ConnectionList' },
      '401': unauthorized,
      '500': internal,
    },
  },
  'GET /tiktok/connections/{openId}/profile': {
    tag: 'connections',
    summary: 'The connected account’s TikTok profile and counters',
    description:
      'Reads `/v2/user/info/` with only the fields the granted scopes allow: basic always, `username`/bio/verified with `user.info.profile`, follower/following/likes/video counts with `user.info.stats`.',
    path: s.ConnectionPathSchema,
    responses: {
      '200': { description: 'The profile.', body: 'ProfileResponse' },
      ...TIKTOK_READ_ERRORS,
    },
  },
  'GET /tiktok/connections/{openId}/videos': {
    tag: 'connections',
    summary: 'A page of the account’s public videos',
    description:
      'Reads `/v2/video/list/`, newest first. Pass the answer’s `cursor` back while `hasMore` is true. Needs the `video.list` scope.',
    path: s.ConnectionPathSchema,
    query: s.VideoListQuerySchema,
    responses: {
      '200': { description: 'One page.', body: 'VideoPage' },
      ...TIKTOK_READ_ERRORS,
    },
  },
  'POST /tiktok/connections/{openId}/videos/query': {
    tag: 'connections',
    summary: 'Given videos, with fresh cover URLs',
    description:
      'Reads `/v2/video/query/` for up to 20 ids (cover URLs expire after about 6 hours: store ids, not covers). Needs the `video.list` scope.',
    path: s.ConnectionPathSchema,
    body: { component: 'VideoQueryBody', description: 'At most 16 KB of JSON.', required: true },
    responses: {
      '200': { description: 'The videos TikTok returned.', body: 'VideoQueryResponse' },
      ...TIKTOK_READ_ERRORS,
      '413': problem('The body is larger than 16 KB (code `payload_too_large`).'),
      '415': problem('The body is not `application/json` (code `unsupported_media_type`).'),
    },
  },
  'DELETE /tiktok/connections/{openId}': {
    tag: 'connections',
    summary: 'Disconnect a TikTok account',
    description:
      'Revokes the grant at TikTok, then deletes the tokens whatever TikTok said, and marks the connection disconnected.',
    path: s.ConnectionPathSchema,
    responses: {
      '200': { description: 'Disconnected.', body: 'DisconnectResponse' },
      '400': problem('The openId is malformed.'),
      '401': unauthorized,
      '404': problem('No such connection for this user (code `connection_not_found`).'),
      '500': internal,
    },
  },
  'POST /webhooks/tiktok': {
    tag: 'webhooks',
    summary: 'TikTok’s deauthorization webhook',
    description:
      'Signed by TikTok with the client secret (`TikTok-Signature: t=<ts>,s=<hex>`). `authorization.removed` marks every connection to that account revoked and deletes its tokens.',
    headers: s.WebhookHeadersSchema,
    body: { component: 'TikTokWebhookBody', description: 'As TikTok sends it.', required: true },
    responses: {
      '200': { description: 'Received (also for duplicates and ignored events).', body: 'WebhookResponse' },
      '400': problem('The body is not a TikTok webhook for this app.'),
      '401': problem('Missing, wrong or stale signature (code `unauthenticated`).'),
      '413': problem('The body is too large.'),
      '500': internal,
    },
  },
};

export function buildOpenApiDocument(routes: readonly RouteSpec[] = ROUTES): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const routeKey = `${route.method} ${route.path}`;
    const contract = CONTRACTS[routeKey];
    if (!contract) throw new Error(`openapi: no contract for ${routeKey} (add it to CONTRACTS)`);
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, unknown>)[route.method.toLowerCase()] = operation(route, contract);
  }
  const unused = Object.keys(CONTRACTS).filter(
    (routeKey) => !routes.some((route) => `${route.method} ${route.path}` === routeKey),
  );
  if (unused.length > 0 && routes === ROUTES)
    throw new Error(`openapi: contracts without a route: ${unused}`);
  const schemas = Object.fromEntries(
    Object.entries(toJsonSchemaDefs(COMPONENTS, CONVERSION)).map(([name, schema]) => [name, clean(schema)]),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'TikTok Connect',
      version: '1.0.0',
      description:
        'Connect TikTok accounts to your users (OAuth 2.0 with server-side state and PKCE), then read their profile and videos through one client that refreshes tokens, respects TikTok’s rate limits and maps its errors. Errors are RFC 9457 problem details with a stable `code`.',
    },
    servers: [{ url: 'http://localhost:3001', description: 'npm start' }],
    security: [{ bearerAuth: [] }],
    tags: [
      { name: 'connect', description: 'The OAuth flow that connects an account.' },
      { name: 'connections', description: 'The user’s connections and what TikTok shows of them.' },
      { name: 'webhooks', description: 'Called by TikTok.' },
      { name: 'analytics', description: 'History from our own snapshots, and what is derived from it.' },
    ],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'A JWT from the identity provider the HTTP API’s authorizer trusts; `sub` is the app user.',
        },
      },
      schemas,
    },
  };
}

/** openapi.json as `npm run openapi` writes it. */
export function openApiFileText(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}

function operation(route: RouteSpec, contract: RouteContract): Record<string, unknown> {
  const parameters = [
    ...parametersOf(contract.path, 'path'),
    ...parametersOf(contract.query, 'query'),
    ...parametersOf(contract.headers, 'header'),
  ];
  return {
    operationId: operationIdOf(route),
    summary: contract.summary,
    description: contract.description,
    tags: [contract.tag],
    ...(route.auth === 'none' ? { security: [] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(contract.body
      ? {
          requestBody: {
            description: contract.body.description,
            required: contract.body.required,
            content: { 'application/json': { schema: ref(contract.body.component) } },
          },
        }
      : {}),
    responses: Object.fromEntries(
      Object.entries(contract.responses).map(([status, spec]) => [status, responseOf(spec)]),
    ),
  };
}

function parametersOf(schema: ObjectSchema | undefined, where: 'path' | 'query' | 'header') {
  if (!schema) return [];
  return Object.entries(schema.entries).map(([name, entry]) => {
    const converted = clean(toJsonSchema(entry, CONVERSION));
    const { description, ...paramSchema } = converted as JsonSchema & { description?: string };
    const optional = entry.type === 'optional';
    return {
      name,
      in: where,
      required: where === 'path' || !optional,
      ...(description ? { description } : {}),
      schema: paramSchema,
    };
  });
}

function responseOf(spec: ResponseSpec): Record<string, unknown> {
  const content: Record<string, unknown> = {};
  if (spec.body) {
    const mediaType = spec.body === 'Problem' ? 'application/problem+json' : 'application/json';
    content[mediaType] = { schema: ref(spec.body) };
  }
  if (spec.gatewayBody) content['application/json'] = { schema: ref(spec.gatewayBody) };
  if (spec.csv) content['text/csv'] = { schema: { type: 'string' } };
  return {
    description: spec.description,
    ...(spec.headers ? { headers: spec.headers } : {}),
    ...(Object.keys(content).length > 0 ? { content } : {}),
  };
}

function ref(name: ComponentName) {
  return { $ref: `#/components/schemas/${name}` };
}

/** `ListConnectionsFunction` → `listConnections`: one name per route, the same as the stack's. */
function operationIdOf(route: RouteSpec): string {
  const name = route.functionName.replace(/Function$/, '');
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** Each embedded schema without its own `$schema` line (the document's dialect applies). */
function clean(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = schema as JsonSchema & { $schema?: string };
  return rest;
}
