import { fileURLToPath } from 'node:url';
import { Annotations, Aws, CfnOutput, Duration, Fn, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { CorsHttpMethod, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { type Alarm, ComparisonOperator, Metric, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import { EventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { AccountPrincipal, Grant, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { DestinationOptions, IDestination } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { FIRST_SNAPSHOT_DETAIL_TYPES } from '../shared/analytics/first-snapshot.js';
import { ANALYTICS_METRIC_DIMENSIONS } from '../shared/analytics/snapshot-pass.js';
import { EVENT_SOURCE } from '../shared/events/connection-events.js';
import { isPerIpLimited } from '../shared/http/ip-rate-limit.js';
import { ROUTES, type RouteSpec } from '../shared/http/route-table.js';
import { METRICS_NAMESPACE } from '../shared/metrics.js';
import { ANALYTICS_DUE_INDEX, DUE_INDEX, OPEN_ID_INDEX } from '../shared/store/table-schema.js';
import type { AlarmTopic } from './alarm-topic.js';
import { ClientSecret } from './client-secret.js';
import { ConnectionsTable, type ItemAction, type TableIndex } from './connections-table.js';
import { OperationsDashboard } from './operations-dashboard.js';
import { refreshMetric, stackDimensions } from './refresh-metrics.js';
import { ServiceAlarms } from './service-alarms.js';
import { ServiceFunction, type ServiceFunctionProps } from './service-function.js';
import { type RouteAccess, ServiceHttpApi } from './service-http-api.js';
import { CALLBACK_PATH, resolveSettings, type ServiceSettings } from './service-settings.js';
import { type TokenEnvelopeUse, TokenKey } from './token-key.js';
import { UploadBucket } from './upload-bucket.js';

export interface TikTokConnectStackProps extends StackProps, ServiceSettings {
  /** Directory with `functions/` and `package-lock.json`. @default this repository */
  readonly projectRoot?: string;
  /**
   * true: a required setting left unset is a warning and synth uses a placeholder (CI's offline synth,
   * `-c ciSynth=true`). Default false: each one is a synth error, so such a stack cannot be deployed.
   */
  readonly allowPlaceholders?: boolean;
  /** Where the settings come from, for the error messages. @default the stack's props */
  readonly settingsSource?: string;
}

const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** What one function is and may do. It gets exactly this access, plus writing to its own log group. */
interface FunctionAccess {
  readonly description: string;
  /** @default 15 seconds (ServiceFunction's) */
  readonly timeout?: Duration;
  /** Item actions on the base table. */
  readonly items?: readonly ItemAction[];
  /** Query on the base table, or on one index only. */
  readonly query?: 'table' | TableIndex | readonly ('table' | TableIndex)[];
  /**
   * On TokenKey, with the app's encryption context: GenerateDataKey to seal tokens, Decrypt to open them.
   * `true` is both.
   */
  readonly tokenEnvelope?: boolean | TokenEnvelopeUse;
  /** GetSecretValue on the client secret. */
  readonly clientSecret?: boolean;
  /** events:PutEvents on ConnectionEventsBus only, and EVENT_BUS_NAME. */
  readonly publishesEvents?: boolean;
  /** The upload bucket: `presign` signs PUT URLs (s3:PutObject) only; `read` only reads (s3:GetObject). */
  readonly uploads?: 'presign' | 'read';
  /** sqs:SendMessage on RefreshQueue, and REFRESH_QUEUE_URL. */
  readonly queuesRefreshWork?: boolean;
  /** Reads TikTok's Display API: its rate budget and response cache settings (PutItem when the cache is on). */
  readonly readsDisplayApi?: boolean;
  /** The REFRESH_* settings and PUBLISH_REFRESHED_EVENTS. */
  readonly refreshesTokens?: boolean;
}

/**
 * The routes that call TikTok with the connection's access token, refreshing it on demand under the
 * refresher's lease: Get and Update the connection, open and seal tokens, the secret for TikTok's token
 * endpoint, and the refresh settings; a refresh that finds the grant gone publishes reauth_required. A refresh
 * that lost its race to a disconnect revokes the new grant unless another connection of the account holds it:
 * it looks them up by ByOpenId (Query), then Gets each. 29 s: waiting for another holder's refresh (10 s), a
 * refresh (two TikTok calls of 8 s) and the call itself fit, and API Gateway waits 30 s at most.
 */
const FRESH_TOKEN_ACCESS = {
  timeout: Duration.seconds(29),
  items: ['GetItem', 'UpdateItem'],
  tokenEnvelope: true,
  clientSecret: true,
  publishesEvents: true,
  refreshesTokens: true,
  query: OPEN_ID_INDEX.name,
} as const satisfies Omit<FunctionAccess, 'description'>;

/**
 * The display routes: FRESH_TOKEN_ACCESS, and the Display API's app-wide rate budget, a counter item (Update,
 * Get). PutItem only with displayCacheSeconds > 0, for the response cache (readsDisplayApi). Their reads give up
 * after 25 s.
 */
const DISPLAY_READ_ACCESS = {
  ...FRESH_TOKEN_ACCESS,
  readsDisplayApi: true,
} as const satisfies Omit<FunctionAccess, 'description'>;

/**
 * Every function of the stack by construct id (the HTTP ones are `functionName` in `ROUTES`), with why it
 * needs each permission. A function missing here, or an entry no function uses, fails the synth.
 */
const FUNCTION_ACCESS: Readonly<Record<string, FunctionAccess>> = {
  // Stores the OAuth state and the launch ticket (one transaction of two Puts), the PKCE verifier sealed: it
  // seals, never opens.
  StartConnectFunction: {
    description: 'TikTok Connect: start a connection (state, PKCE, launch ticket)',
    items: ['PutItem'],
    tokenEnvelope: 'seal',
  },
  // Redeems the launch ticket (Delete) and binds the state to the browser's cookie (Update); opens no token.
  LaunchConnectFunction: {
    description: 'TikTok Connect: redeem a launch ticket and redirect to TikTok',
    items: ['DeleteItem', 'UpdateItem'],
  },
  // Consumes the state (a Delete that returns it) and opens its PKCE verifier, exchanges the code with the
  // client secret, keeps the result pending for the confirm (Put, tokens sealed). If that fails it revokes the
  // new grant at TikTok (the secret) unless a stored connection to the account still holds tokens (ByOpenId,
  // then Get). It stores no connection and publishes nothing: the confirm does.
  CallbackFunction: {
    description: 'TikTok Connect: OAuth callback (code exchange, keep the result pending)',
    items: ['GetItem', 'PutItem', 'DeleteItem'],
    query: OPEN_ID_INDEX.name,
    tokenEnvelope: true,
    clientSecret: true,
  },
  // Takes the pending result once (a conditional Delete that returns it) and opens its tokens, stores the
  // connection sealed (Update) and publishes connected/recovered. A result started by another user is deleted
  // and its grant revoked at TikTok (the secret) unless a stored connection still holds it (ByOpenId, Get).
  ConfirmConnectFunction: {
    description: 'TikTok Connect: confirm a consented connection as the user who started it',
    items: ['GetItem', 'UpdateItem', 'DeleteItem'],
    query: OPEN_ID_INDEX.name,
    tokenEnvelope: true,
    clientSecret: true,
    publishesEvents: true,
  },
  // The caller's own connections: one Query on the base table (pk = USER#<sub>); no token is opened.
  ListConnectionsFunction: {
    description: 'TikTok Connect: list the TikTok connections of the caller',
    query: 'table',
  },
  ProfileFunction: {
    description: 'TikTok Connect: profile of a connected TikTok account',
    ...DISPLAY_READ_ACCESS,
  },
  VideosFunction: {
    description: 'TikTok Connect: public videos of a connected TikTok account',
    ...DISPLAY_READ_ACCESS,
  },
  VideoQueryFunction: {
    description: 'TikTok Connect: given videos of a connected TikTok account',
    ...DISPLAY_READ_ACCESS,
  },
  // Reads the connection (Get), opens its access token to revoke it at TikTok (secret) unless another
  // connection of the account holds the grant (ByOpenId, then Get); an expired access token is refreshed
  // first, and the new tokens sealed. Marks it disconnected (Update), deletes its analytics history (Query
  // on the table, BatchWriteItem) and publishes `disconnected`.
  DisconnectFunction: {
    description: 'TikTok Connect: disconnect a TikTok account (revoke at TikTok, mark disconnected)',
    items: ['GetItem', 'UpdateItem', 'BatchWriteItem'],
    query: ['table', OPEN_ID_INDEX.name],
    tokenEnvelope: true,
    clientSecret: true,
    publishesEvents: true,
  },
  // Checks TikTok's HMAC signature (the client secret is the key), claims the delivery against replays (Put;
  // Delete to release it on failure), finds every connection of the open_id (ByOpenId), marks them revoked
  // (Update) and publishes `revoked`. TikTok has revoked the tokens already: none is opened.
  // It also deletes each revoked connection's analytics history (Query of its partition, BatchWriteItem).
  // post.publish.* deliveries: the publish_id lookup and the post (Get), the final state (conditional Update).
  TikTokWebhookFunction: {
    description: 'TikTok Connect: TikTok webhook (deauthorization)',
    items: ['PutItem', 'DeleteItem', 'UpdateItem', 'BatchWriteItem', 'GetItem'],
    query: [OPEN_ID_INDEX.name, 'table'],
    clientSecret: true,
    publishesEvents: true,
  },
  // Finds what is due (DueForRefresh), takes the lease and stores the new tokens by compare-and-swap
  // (Update; Get to re-read after losing a race), opens the refresh token and seals the new ones, calls
  // TikTok with the secret, publishes reauth_required and friends, and queues what it cannot do itself.
  // Then it expires unconfirmed connect results (their own partition of DueForRefresh; Get, revoke unless
  // ByOpenId finds a holder, Delete).
  RefresherFunction: {
    description: 'TikTok Connect: scheduled token refresh',
    items: ['GetItem', 'UpdateItem', 'DeleteItem'],
    query: [DUE_INDEX.name, OPEN_ID_INDEX.name],
    tokenEnvelope: true,
    clientSecret: true,
    publishesEvents: true,
    queuesRefreshWork: true,
    refreshesTokens: true,
  },
  // Content posting (docs/publishing.md). creator_info is read with a fresh token (refreshed on demand as the
  // display routes do), never cached and outside the Display API's rate budget; no post or upload item is
  // touched.
  CreatorInfoFunction: {
    description: 'TikTok Connect: creator_info of a connected TikTok account (posting options)',
    ...FRESH_TOKEN_ACCESS,
  },
  // Reads the connection (Get), records the upload (Put) and signs a PUT URL for the bucket; reads no object.
  CreateUploadFunction: {
    description: 'TikTok Connect: a presigned upload URL for a video',
    items: ['GetItem', 'PutItem'],
    uploads: 'presign',
  },
  // Reads connection and upload (Get), checks the file (HeadObject = GetObject), reads creator_info with a
  // fresh token (as CreatorInfoFunction), stores the post (Put).
  CreatePostFunction: {
    description: 'TikTok Connect: schedule a post',
    ...FRESH_TOKEN_ACCESS,
    items: ['GetItem', 'PutItem', 'UpdateItem'],
    uploads: 'read',
  },
  // The caller's posts: Get the connection, Query the base table (pk = USER#<sub>, sk POST#…).
  ListPostsFunction: {
    description: 'TikTok Connect: list the posts of a connected TikTok account',
    items: ['GetItem'],
    query: 'table',
  },
  GetPostFunction: {
    description: 'TikTok Connect: one post of a connected TikTok account',
    items: ['GetItem'],
  },
  // scheduled → cancelled is one conditional Update.
  CancelPostFunction: {
    description: 'TikTok Connect: cancel a scheduled post',
    items: ['GetItem', 'UpdateItem'],
  },
  // Every minute: reads what is due (DueForRefresh, POST# shards), claims by conditional Update, records init
  // with the publish_id lookup (TransactWriteItems = Put + Update), refreshes tokens on demand (as the display
  // routes; ByOpenId for a refresh that lost its race to a disconnect), reads the file by ranged GETs,
  // publishes tiktok.post.* events.
  PublisherFunction: {
    description: 'TikTok Connect: scheduled publisher (due posts, chunked uploads, status follow-up)',
    timeout: Duration.minutes(10),
    items: ['GetItem', 'PutItem', 'UpdateItem'],
    query: [DUE_INDEX.name, OPEN_ID_INDEX.name],
    tokenEnvelope: true,
    clientSecret: true,
    publishesEvents: true,
    refreshesTokens: true,
    uploads: 'read',
  },
  // The refresher's work for the batches it receives; its event source lets it receive and delete messages.
  // The keys come in the message; ByOpenId only for a refresh that lost its race to a disconnect.
  RefreshWorkerFunction: {
    description: 'TikTok Connect: token refresh worker (queued batches)',
    items: ['GetItem', 'UpdateItem'],
    query: OPEN_ID_INDEX.name,
    tokenEnvelope: true,
    clientSecret: true,
    publishesEvents: true,
    refreshesTokens: true,
  },
  // Analytics snapshots: finds what is due (AnalyticsDue), reads the catalogue and the days (Query on the
  // table), reads TikTok like the display routes (connection Get/Update, tokens opened and resealed on a
  // refresh, the secret, the rate budget counter; ByOpenId for a refresh that lost its race to a disconnect),
  // writes points and schedules (Update), downsampled days (Put), deletes abandoned histories (BatchWriteItem)
  // and publishes video_breakout.
  AnalyticsSnapshotFunction: {
    description: 'TikTok Connect: scheduled analytics snapshot pass',
    items: ['GetItem', 'UpdateItem', 'PutItem', 'BatchWriteItem'],
    query: [ANALYTICS_DUE_INDEX.name, 'table', OPEN_ID_INDEX.name],
    tokenEnvelope: true,
    clientSecret: true,
    publishesEvents: true,
    refreshesTokens: true,
  },
  ...Object.fromEntries(
    (
      [
        ['AnalyticsSeriesFunction', 'snapshot history of an account and its videos'],
        ['AnalyticsHashtagsFunction', 'hashtag performance'],
        ['AnalyticsFollowersFunction', 'follower growth per day'],
        ['AnalyticsVideosFunction', 'engagement rate and view velocity per video'],
        ['AnalyticsBreakoutsFunction', 'breakout videos'],
        ['AnalyticsHeatmapFunction', 'posting-time heatmap'],
      ] as const
    ).map(([id, what]) => [
      id,
      // Stored history only: the caller's connection (Get) and the analytics partition (Query); no token.
      { description: `TikTok Connect: analytics, ${what}`, items: ['GetItem'], query: 'table' },
    ]),
  ),
};

/** Why a route that `ROUTES` marks `auth: 'none'` may be called without a JWT (by `functionName`). */
const PUBLIC_ROUTE_REASONS: Readonly<Record<string, string>> = {
  LaunchConnectFunction:
    'A top-level browser navigation cannot send a bearer token. The request is authorised by a one-time ' +
    'launch ticket that /auth/tiktok/start issued to the authenticated user: random, stored hashed, ' +
    'deleted on first use and valid for two minutes.',
  CallbackFunction:
    'TikTok redirects the browser here (OAuth 2.0 redirection endpoint), which cannot carry a bearer ' +
    'token. The request is authorised by the OAuth state: random, stored hashed server-side, consumed once, ' +
    'bound to a cookie of the browser that started the flow, with PKCE on the code exchange.',
  TikTokWebhookFunction:
    'TikTok calls this webhook and cannot present a token of our identity provider. Each request is ' +
    'authenticated by its HMAC-SHA256 signature over the timestamp and raw body, keyed with the client ' +
    'secret; a stale timestamp is refused and each delivery is processed once.',
};

/**
 * An SQS on-failure destination whose function role may only send to the queue. Lambda sends the record with
 * the function's role and needs nothing but sqs:SendMessage; CDK's SqsDestination also grants
 * GetQueueAttributes and GetQueueUrl. The queue is SQS-managed encrypted: no key grant.
 */
function sendOnlyQueueDestination(queue: Queue): IDestination {
  return {
    bind: (_scope: Construct, fn, _options?: DestinationOptions) => {
      Grant.addToPrincipal({ grantee: fn, actions: ['sqs:SendMessage'], resourceArns: [queue.queueArn] });
      return { destination: queue.queueArn };
    },
  };
}

/** The publisher's schedule; each run looks this far ahead, so posts start at their time, not up to a period late. */
const PUBLISH_PERIOD = Duration.minutes(1);

/** SQS recommends a visibility timeout of six times the consumer's timeout, so retries do not overlap. */
const REFRESH_WORKER_TIMEOUT = Duration.minutes(2);

/**
 * TikTok Connect: users connect their TikTok account through OAuth 2.0 (server-side state + PKCE); the tokens
 * are kept encrypted in DynamoDB, refreshed before they expire, and every change of a connection is published
 * on an event bus.
 */
export class TikTokConnectStack extends Stack {
  readonly tokenKey: TokenKey;
  readonly table: ConnectionsTable;
  readonly clientSecret: ClientSecret;
  readonly eventBus: EventBus;
  readonly refreshQueue: Queue;
  readonly refreshDeadLetterQueue: Queue;
  readonly api: ServiceHttpApi;
  /** The redirect URI registered at TikTok (a token until deploy when it is the API endpoint's). */
  readonly redirectUri: string;
  /**
   * Where scheduled runs that failed end up: events EventBridge could not deliver (its dead-letter queue) and
   * invocations that failed or timed out (the refresher's on-failure destination). Add further schedules'
   * targets here (`deadLetterQueue`): its alarm covers them.
   */
  readonly scheduledRunFailures: Queue;
  /** Every alarm, and the topic they notify (always created; its ARN is the AlarmTopicArn output). */
  readonly serviceAlarms: ServiceAlarms;
  readonly alarmTopic: AlarmTopic;
  /** Every alarm of the stack, in the order they were added. */
  get alarms(): readonly Alarm[] {
    return this.serviceAlarms.alarms;
  }
  readonly dashboard: OperationsDashboard;
  readonly uploadBucket: UploadBucket;

  readonly #functionDefaults: Pick<
    ServiceFunctionProps,
    'environment' | 'logRetention' | 'tracing' | 'projectRoot'
  >;
  readonly #refreshEnvironment: Readonly<Record<string, string>>;
  readonly #displayEnvironment: Readonly<Record<string, string>>;
  readonly #displayCacheOn: boolean;
  /** Every function FUNCTION_ACCESS describes, by construct id, once created. */
  readonly #functions = new Map<string, ServiceFunction>();

  constructor(scope: Construct, id: string, props: TikTokConnectStackProps = {}) {
    super(scope, id, props);
    const settings = resolveSettings(props);
    const source = props.settingsSource ?? 'the stack props';
    for (const key of settings.missing) {
      if (props.allowPlaceholders) {
        Annotations.of(this).addWarningV2(
          `tiktok-connect:missing-${key}`,
          `${key} is not set in ${source}: synth uses a placeholder, a deployed stack would not work`,
        );
      } else {
        Annotations.of(this).addError(
          `${key} is not set: add it to ${source} (a deployed stack would not work without it; ` +
            'for an offline synth only, pass -c ciSynth=true)',
        );
      }
    }
    const logRetention = settings.logRetentionDays as RetentionDays;

    // At rest, tokens are encrypted twice under one key: the table's own encryption, and inside it each token
    // in an envelope whose data key the key wraps.
    this.tokenKey = new TokenKey(this, 'TokenKey', { alias: `alias/${this.stackName}/tokens` });
    this.table = new ConnectionsTable(this, 'ConnectionsTable', { encryptionKey: this.tokenKey });
    const clientSecretName = `${this.stackName}/tiktok-client-secret`;
    this.clientSecret = new ClientSecret(this, 'ClientSecret', { secretName: clientSecretName });

    // Every change of a connection (connected, refresh_failing, reauth_required, recovered, disconnected,
    // revoked, refresh_token_expiring; refreshed if enabled) is published here for the platform's backend.
    // Subscribers add their own rules, e.g. to hear when a user must connect again:
    //
    //   new Rule(this, 'TikTokReauthRequired', {
    //     eventBus: EventBus.fromEventBusName(this, 'TikTokConnectionEvents', '<EventBusName output>'),
    //     eventPattern: { source: ['tiktok-connect'], detailType: ['tiktok.connection.reauth_required'] },
    //     targets: [new SqsQueue(reconnectReminders)],
    //   });
    //
    // or as the raw event pattern:
    //   { "source": ["tiktok-connect"], "detail-type": ["tiktok.connection.reauth_required"] }
    // The detail is the ConnectionEvent of shared/events/connection-events.ts: who and why, never a token.
    this.eventBus = new EventBus(this, 'ConnectionEventsBus', {
      eventBusName: `${this.stackName}-connection-events`,
      description: 'TikTok Connect: connection lifecycle events (tiktok.connection.*)',
    });

    // What one scheduled run cannot refresh itself goes to workers through this queue, as batches of keys
    // (never tokens). A batch that fails three times waits in the dead-letter queue, and raises an alarm.
    this.refreshDeadLetterQueue = new Queue(this, 'RefreshDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.refreshQueue = new Queue(this, 'RefreshQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(6 * REFRESH_WORKER_TIMEOUT.toSeconds()),
      deadLetterQueue: { queue: this.refreshDeadLetterQueue, maxReceiveCount: 3 },
    });

    // Videos the browser uploads with presigned PUTs, read by the publisher in ranged GETs.
    this.uploadBucket = new UploadBucket(this, 'UploadBucket', {
      corsOrigins: settings.allowedReturnOrigins,
    });

    // The API comes before the functions: unless set, the redirect URI is the API's own address.
    this.api = new ServiceHttpApi(this, 'HttpApi', {
      corsOrigins: settings.allowedReturnOrigins,
      corsAllowHeaders: settings.corsAllowHeaders,
      // The frontend calls the JWT routes cross-origin; the public ones are navigations or server calls.
      corsMethods: [
        ...new Set(
          ROUTES.filter((route) => route.auth === 'jwt').map((route) => CorsHttpMethod[route.method]),
        ),
      ],
      jwt: settings.jwt,
      customDomain: settings.customDomain,
      logRetention,
      throttle: settings.apiThrottle,
      hostedZone: settings.hostedZone,
    });
    this.redirectUri = settings.redirectUri ?? `${this.api.url}${CALLBACK_PATH}`;

    // Every function reads the same configuration (shared/config.ts); the client secret goes by ARN only.
    this.#functionDefaults = {
      projectRoot: props.projectRoot ?? REPOSITORY_ROOT,
      logRetention,
      tracing: settings.tracing,
      environment: {
        STACK_NAME: this.stackName,
        TABLE_NAME: this.table.tableName,
        TOKEN_KMS_KEY_ID: this.tokenKey.keyArn,
        TIKTOK_CLIENT_KEY: settings.tiktokClientKey,
        TIKTOK_CLIENT_SECRET_ARN: this.clientSecret.secretArn,
        TIKTOK_REDIRECT_URI: this.redirectUri,
        TIKTOK_SCOPES: settings.scopes.join(','),
        TIKTOK_PKCE_ENCODING: settings.pkceEncoding,
        ALLOWED_RETURN_ORIGINS: settings.allowedReturnOrigins.join(','),
        DEFAULT_RETURN_URL: settings.defaultReturnUrl,
      },
    };
    this.#refreshEnvironment = {
      REFRESH_AHEAD_MINUTES: String(settings.refresh.aheadMinutes),
      REFRESH_CONCURRENCY: String(settings.refresh.concurrency),
      REFRESH_MAX_INLINE: String(settings.refresh.maxInline),
      PUBLISH_REFRESHED_EVENTS: String(settings.refresh.publishRefreshedEvents),
    };
    this.#displayEnvironment = {
      DISPLAY_CACHE_SECONDS: String(settings.displayCacheSeconds),
      TIKTOK_RATE_LIMIT_PER_MINUTE: String(settings.tiktokRateLimitPerMinute),
    };
    this.#displayCacheOn = settings.displayCacheSeconds > 0;

    // Created before the functions: every function added through addFunction gets its errors and throttles
    // alarms here.
    this.serviceAlarms = new ServiceAlarms(this, { email: settings.alarms.email });
    this.alarmTopic = this.serviceAlarms.topic;
    if (settings.eventSubscriberAccounts.length > 0) {
      this.#allowSubscribersFrom(settings.eventSubscriberAccounts);
    }

    // The HTTP routes, one function each, exactly as shared/http/route-table.ts lists them (the local server
    // serves the same table): connect (start → launch → callback), the signed-in user's connections (list,
    // read from TikTok, disconnect), and TikTok's webhook.
    for (const route of ROUTES) {
      const access = this.#routeAccess(route);
      const fn = this.#addServiceFunction(route.functionName, { entry: route.entry });
      this.api.addRoute(HttpMethod[route.method], route.path, fn.lambda, access);
    }
    this.api.throttleRoutes(
      ROUTES.filter(isPerIpLimited).map((route) => `${route.method} ${route.path}`),
      settings.publicRouteThrottle,
    );

    // Refresh: every few minutes the refresher reads what is due from the sparse due index, refreshes up to
    // refreshMaxInline connections itself and queues the rest for the workers.
    const refresher = this.#addServiceFunction('RefresherFunction', {
      entry: 'functions/refresh-scheduled.ts',
      timeout: Duration.minutes(5),
      memorySize: 1024,
      reservedConcurrentExecutions: settings.reservedConcurrency.refresher,
    });
    this.scheduledRunFailures = new Queue(this, 'ScheduledRunFailures', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.scheduledRunFailures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter queue: of the refresh schedule (EventBridge) and of the ' +
        "refresher's failed asynchronous invocations (on-failure destination). Nothing consumes it.",
    });
    // The next scheduled run is the retry: an asynchronous retry would only run alongside it. A run that
    // failed or timed out is recorded (request and error, never a token) for the alarm and the operator.
    refresher.lambda.configureAsyncInvoke({
      retryAttempts: 0,
      onFailure: sendOnlyQueueDestination(this.scheduledRunFailures),
    });
    const scheduleInterval = Duration.minutes(settings.refresh.scheduleMinutes);
    new Rule(this, 'RefreshSchedule', {
      description: 'TikTok Connect: start a token refresh run',
      schedule: Schedule.rate(scheduleInterval),
      // A run that could not start before the next one is due is dropped; the next one does its work. An
      // event EventBridge could not hand to Lambda (throttled, denied) lands in the failures queue.
      targets: [
        new LambdaFunction(refresher.lambda, {
          maxEventAge: scheduleInterval,
          deadLetterQueue: this.scheduledRunFailures,
        }),
      ],
    });

    // Publishing: a due index (DueForRefresh, POST# shards) read every minute, like the refresher's; see
    // docs/publishing.md for why not one EventBridge Scheduler schedule per post.
    // Each run also takes the posts due before the next one, each at its own instant (shared/publish/publisher.ts).
    const publisher = this.#addServiceFunction('PublisherFunction', {
      entry: 'functions/publisher-scheduled.ts',
      memorySize: 512,
      environment: { PUBLISH_LOOKAHEAD_SECONDS: String(PUBLISH_PERIOD.toSeconds()) },
    });
    publisher.lambda.configureAsyncInvoke({ retryAttempts: 0 });
    new Rule(this, 'PublishSchedule', {
      description: 'TikTok Connect: start due posts and follow their status',
      schedule: Schedule.rate(PUBLISH_PERIOD),
      // An event EventBridge could not hand to Lambda lands in the failures queue, as the refresher's do.
      targets: [
        new LambdaFunction(publisher.lambda, {
          maxEventAge: Duration.minutes(1),
          deadLetterQueue: this.scheduledRunFailures,
        }),
      ],
    });

    const worker = this.#addServiceFunction('RefreshWorkerFunction', {
      entry: 'functions/refresh-worker.ts',
      timeout: REFRESH_WORKER_TIMEOUT,
      reservedConcurrentExecutions: settings.reservedConcurrency.refreshWorker,
    });
    // One message (a batch of connection keys) per invocation; an unfinished one is reported, then retried.
    worker.lambda.addEventSource(
      new SqsEventSource(this.refreshQueue, {
        batchSize: 1,
        reportBatchItemFailures: true,
        maxConcurrency: settings.refresh.workerConcurrency,
      }),
    );

    // Analytics: its own schedule and function, separate from the refresher's.
    const snapshots = this.#addServiceFunction('AnalyticsSnapshotFunction', {
      entry: 'functions/analytics-snapshot.ts',
      // A pass spreads its calls over its interval when it has more than a minute's share to make.
      timeout: Duration.minutes(14),
      memorySize: 1024,
      environment: { ANALYTICS_PASS_MINUTES: '15' },
    });
    snapshots.lambda.configureAsyncInvoke({ retryAttempts: 0 });
    const snapshotInterval = Duration.minutes(15);
    new Rule(this, 'AnalyticsSnapshotSchedule', {
      description: 'TikTok Connect: start an analytics snapshot pass',
      schedule: Schedule.rate(snapshotInterval),
      targets: [
        new LambdaFunction(snapshots.lambda, {
          maxEventAge: snapshotInterval,
          deadLetterQueue: this.scheduledRunFailures,
        }),
      ],
    });
    // A connection's first snapshot (day 0) right after the confirm, from the event the confirm publishes
    // anyway: the confirm answers without waiting and needs no permission more (docs/analytics.md). An event
    // that cannot be delivered is dropped: the connection stays due and the next pass takes it.
    new Rule(this, 'ConnectedFirstSnapshotRule', {
      description: 'TikTok Connect: the first analytics snapshot of a connection, right after connect',
      eventBus: this.eventBus,
      eventPattern: { source: [EVENT_SOURCE], detailType: [...FIRST_SNAPSHOT_DETAIL_TYPES] },
      targets: [new LambdaFunction(snapshots.lambda, { maxEventAge: snapshotInterval, retryAttempts: 2 })],
    });

    const unused = Object.keys(FUNCTION_ACCESS).filter((name) => !this.#functions.has(name));
    if (unused.length > 0) {
      throw new Error(`FUNCTION_ACCESS names functions the stack does not create: ${unused.join(', ')}`);
    }

    // Alarms on what the refresh runs report (embedded metrics of this stack) and the machinery. Every
    // function's errors and throttles have theirs already (addFunction).
    const alarms = this.serviceAlarms;
    alarms.add('TerminalFailuresAlarm', {
      alarmDescription:
        'More connections than usual became unusable in the last hour (TikTok refused the refresh ' +
        'token): those users must connect again. A tiktok.connection.reauth_required event was ' +
        'published for each.',
      metric: refreshMetric(this.stackName, 'FailedTerminal', Duration.hours(1)),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: settings.alarms.terminalFailureThreshold,
      evaluationPeriods: 1,
    });
    alarms.add('InvalidClientAlarm', {
      alarmDescription:
        'TikTok refused our client key or secret (invalid_client): every refresh fails. Operator action: ' +
        `check the key and put the current secret into ${clientSecretName}.`,
      metric: refreshMetric(this.stackName, 'InvalidClient', Duration.minutes(5)),
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 1,
    });
    alarms.watchDeadLetterQueue(
      'DeadLetterQueueAlarm',
      this.refreshDeadLetterQueue,
      'Refresh batches failed three times and wait in the dead-letter queue. Read the worker logs, fix ' +
        'the cause, then redrive the messages to the refresh queue.',
    );
    alarms.add('UnfinishedRefreshAlarm', {
      alarmDescription:
        'Two refresh runs in a row ran out of time with due connections left: tokens may expire before ' +
        'they are refreshed. Raise refreshWorkerConcurrency or refreshConcurrency, or look for slow calls.',
      metric: refreshMetric(this.stackName, 'UnfinishedDue', scheduleInterval),
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
    });
    alarms.watchDeadLetterQueue(
      'ScheduledRunFailuresAlarm',
      this.scheduledRunFailures,
      'A scheduled run did not start (EventBridge could not invoke it) or failed: the message in the ' +
        'ScheduledRunFailures queue says which and why. The next run retries; delete the message once read.',
    );
    alarms.watchApi(this.api.api, {
      serverErrorPercent: settings.alarms.api5xxPercent,
      latencyMs: settings.alarms.apiLatencyMs,
    });
    alarms.watchTable(this.table);
    alarms.add('AnalyticsCadenceDegradedAlarm', {
      alarmDescription:
        'For an hour every analytics snapshot pass deferred snapshots: the budget share cannot cover the ' +
        'cadence, so the oldest tiers are snapshotted less often. Raise ANALYTICS_BUDGET_SHARE, ask TikTok ' +
        'for a higher rate limit, or lengthen the cadence settings (docs/analytics.md).',
      metric: new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: 'AnalyticsCadenceDegraded',
        dimensionsMap: stackDimensions(this.stackName, ANALYTICS_METRIC_DIMENSIONS),
        statistic: Stats.MINIMUM,
        period: Duration.minutes(15),
      }),
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 4,
      datapointsToAlarm: 4,
    });

    // What an operator looks at first: the alarms' state, connects, refreshes, TikTok's errors, latency.
    this.dashboard = new OperationsDashboard(this, 'OperationsDashboard', {
      dashboardName: `${this.stackName}-operations`,
      api: this.api.api,
      functions: new Map([...this.#functions].map(([functionId, fn]) => [functionId, fn.lambda])),
      refreshQueue: this.refreshQueue,
      refreshDeadLetterQueue: this.refreshDeadLetterQueue,
      refreshInterval: scheduleInterval,
      table: this.table,
      scheduledRunFailures: this.scheduledRunFailures,
      alarms: this.serviceAlarms.alarms,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'CallbackUrl', {
      value: this.redirectUri,
      description: 'Register exactly this redirect URI in the TikTok developer portal',
    });
    new CfnOutput(this, 'ClientSecretName', {
      value: clientSecretName,
      description:
        'Store the TikTok client secret: aws secretsmanager put-secret-value --secret-id <this name>',
    });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'UploadBucketName', { value: this.uploadBucket.bucketName });
    new CfnOutput(this, 'EventBusName', {
      value: this.eventBus.eventBusName,
      description:
        'Connection events (source tiktok-connect, detail-type tiktok.connection.*): add rules here',
    });
    new CfnOutput(this, 'EventBusArn', { value: this.eventBus.eventBusArn });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.alarmTopic.topicArn,
      description:
        'Alarm and OK notifications: subscribe PagerDuty, Chatbot or email here (with alarmEmail set, ' +
        'confirm the subscription AWS mailed)',
    });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards/dashboard/${this.dashboard.dashboardName}`,
      description: 'The operations dashboard',
    });
    new CfnOutput(this, 'RefreshDeadLetterQueueArn', {
      value: this.refreshDeadLetterQueue.queueArn,
      description: 'Refresh batches that failed three times; redrive to the refresh queue once fixed',
    });
    new CfnOutput(this, 'ScheduledRunFailuresQueueArn', {
      value: this.scheduledRunFailures.queueArn,
      description: 'Scheduled runs that could not start or failed (EventBridge DLQ, Lambda on-failure)',
    });
    if (this.api.domainTarget && this.api.domainHostedZoneId) {
      new CfnOutput(this, 'CustomDomainTarget', {
        value: this.api.domainTarget,
        description: 'Point a CNAME (or an alias A/AAAA record) for the custom domain at this name',
      });
      new CfnOutput(this, 'CustomDomainHostedZoneId', {
        value: this.api.domainHostedZoneId,
        description: "The regional domain's hosted zone id, for a Route 53 alias record",
      });
    }
  }

  /**
   * Lets other AWS accounts subscribe to the connection events: they may create and manage rules (with
   * targets in their own account) on the bus, only the rules they created themselves.
   * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html
   */
  #allowSubscribersFrom(accounts: readonly string[]): void {
    const rules = Fn.join('', [
      `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:rule/`,
      this.eventBus.eventBusName,
      '/*',
    ]);
    for (const account of accounts) {
      this.eventBus.addToResourcePolicy(
        new PolicyStatement({
          sid: `Subscriber${account}ManagesOwnRules`,
          principals: [new AccountPrincipal(account)],
          actions: [
            'events:PutRule',
            'events:PutTargets',
            'events:DeleteRule',
            'events:RemoveTargets',
            'events:DisableRule',
            'events:EnableRule',
            'events:TagResource',
            'events:UntagResource',
            'events:DescribeRule',
            'events:ListTargetsByRule',
            'events:ListTagsForResource',
          ],
          resources: [rules],
          conditions: { StringEqualsIfExists: { 'events:creatorAccount': account } },
        }),
      );
    }
  }

  /**
   * A function with the service's shared settings and configuration (extra `environment` is added to it);
   * it starts with no permissions. `entry` is its module's path from the project root.
   */
  addFunction(
    id: string,
    options: Pick<ServiceFunctionProps, 'entry' | 'description'> & Partial<ServiceFunctionProps>,
  ): ServiceFunction {
    const defaults = this.#functionDefaults;
    const fn = new ServiceFunction(this, id, {
      ...defaults,
      ...options,
      environment: { ...defaults.environment, ...options.environment },
    });
    this.serviceAlarms.watchFunction(id, fn.lambda);
    return fn;
  }

  /** A function of the service with the access, and the configuration, that FUNCTION_ACCESS gives it. */
  #addServiceFunction(
    id: string,
    options: Pick<ServiceFunctionProps, 'entry'> & Partial<ServiceFunctionProps>,
  ): ServiceFunction {
    const access = FUNCTION_ACCESS[id];
    if (!access) throw new Error(`${id} has no entry in FUNCTION_ACCESS: say there what it may do, and why`);
    const fn = this.addFunction(id, {
      ...(access.timeout ? { timeout: access.timeout } : {}),
      ...options,
      description: access.description,
      environment: {
        ...(access.publishesEvents ? { EVENT_BUS_NAME: this.eventBus.eventBusName } : {}),
        ...(access.queuesRefreshWork ? { REFRESH_QUEUE_URL: this.refreshQueue.queueUrl } : {}),
        ...(access.refreshesTokens ? this.#refreshEnvironment : {}),
        ...(access.readsDisplayApi ? this.#displayEnvironment : {}),
        ...(access.uploads ? { UPLOAD_BUCKET_NAME: this.uploadBucket.bucketName } : {}),
        ...options.environment,
      },
    });
    this.#functions.set(id, fn);
    // The response cache stores pages as items of their own (shared/store/response-cache.ts).
    const cacheWrites: ItemAction[] = access.readsDisplayApi && this.#displayCacheOn ? ['PutItem'] : [];
    const items = [...new Set([...(access.items ?? []), ...cacheWrites])];
    if (items.length) this.table.grantItemActions(fn, ...items);
    for (const target of access.query === undefined ? [] : [access.query].flat()) {
      this.table.grantQuery(fn, target === 'table' ? undefined : target);
    }
    if (access.tokenEnvelope) {
      this.tokenKey.grantEnvelopeEncryption(
        fn,
        access.tokenEnvelope === true ? 'seal-and-open' : access.tokenEnvelope,
      );
    }
    if (access.clientSecret) this.clientSecret.grantReadValue(fn);
    if (access.publishesEvents) this.eventBus.grantPutEventsTo(fn);
    if (access.uploads === 'presign') this.uploadBucket.grantPresignPut(fn);
    if (access.uploads === 'read') this.uploadBucket.grantReadUploads(fn);
    if (access.uploads) {
      const bucketId = Stack.of(this).getLogicalId(this.uploadBucket.node.defaultChild as CfnBucket);
      Validations.of(fn.lambda.role ?? fn).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/uploads/*]`,
        reason:
          'Upload object keys are random per upload (uploads/<owner hash>/<uploadId>); the grant is limited to ' +
          'the uploads/ prefix of the one upload bucket, and to PutObject (presign) or GetObject (read).',
      });
    }
    if (access.queuesRefreshWork) {
      // SendMessageBatch is authorised as SendMessage; the URL comes from the environment (no GetQueueUrl),
      // and SQS-managed encryption needs no key grant.
      Grant.addToPrincipal({
        grantee: fn,
        actions: ['sqs:SendMessage'],
        resourceArns: [this.refreshQueue.queueArn],
      });
    }
    return fn;
  }

  /** A JWT, or no authorization for the reason PUBLIC_ROUTE_REASONS gives. */
  #routeAccess(route: RouteSpec): RouteAccess {
    const reason = PUBLIC_ROUTE_REASONS[route.functionName];
    if (route.auth === 'jwt') {
      if (reason) {
        throw new Error(`${route.path} requires a JWT, but PUBLIC_ROUTE_REASONS explains it as public`);
      }
      return 'jwt';
    }
    if (!reason) {
      throw new Error(`${route.path} is public in ROUTES: add to PUBLIC_ROUTE_REASONS why it may be`);
    }
    return { public: reason };
  }
}
