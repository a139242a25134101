import { fileURLToPath } from 'node:url';
import { Annotations, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { CorsHttpMethod, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  type AlarmProps,
  ComparisonOperator,
  MathExpression,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { EventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { isPerIpLimited } from '../shared/http/ip-rate-limit.js';
import { ROUTES, type RouteSpec } from '../shared/http/route-table.js';
import { DUE_INDEX, OPEN_ID_INDEX } from '../shared/store/table-schema.js';
import { AlarmTopic } from './alarm-topic.js';
import { ClientSecret } from './client-secret.js';
import { ConnectionsTable, type ItemAction, type TableIndex } from './connections-table.js';
import { OperationsDashboard } from './operations-dashboard.js';
import { refreshMetric } from './refresh-metrics.js';
import { ServiceFunction, type ServiceFunctionProps } from './service-function.js';
import { type RouteAccess, ServiceHttpApi } from './service-http-api.js';
import { CALLBACK_PATH, resolveSettings, type ServiceSettings } from './service-settings.js';
import { TokenKey } from './token-key.js';

export interface TikTokConnectStackProps extends StackProps, ServiceSettings {
  /** Directory with `functions/` and `package-lock.json`. @default this repository */
  readonly projectRoot?: string;
  /** Retention of the function and access logs. @default three months */
  readonly logRetention?: RetentionDays;
  /** X-Ray active tracing on every function. @default false */
  readonly tracing?: boolean;
  /** Stage-wide limit in requests per second. @default 50/s, bursts of 100 */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
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
  readonly query?: 'table' | TableIndex;
  /** GenerateDataKey and Decrypt on TokenKey, with the app's encryption context: it seals or opens tokens. */
  readonly tokenEnvelope?: boolean;
  /** GetSecretValue on the client secret. */
  readonly clientSecret?: boolean;
  /** events:PutEvents on ConnectionEventsBus only, and EVENT_BUS_NAME. */
  readonly publishesEvents?: boolean;
  /** sqs:SendMessage on RefreshQueue, and REFRESH_QUEUE_URL. */
  readonly queuesRefreshWork?: boolean;
  /** The REFRESH_* settings and PUBLISH_REFRESHED_EVENTS. */
  readonly refreshesTokens?: boolean;
}

/**
 * The display routes read TikTok with the connection's access token, refreshing it on demand under the
 * refresher's lease: Get and Update the connection, open and seal tokens, the secret for TikTok's token
 * endpoint, and the refresh settings; a refresh that finds the grant gone publishes reauth_required.
 * The app-wide rate budget is a counter item (Update, Get). No PutItem: the response cache is off (the stack
 * sets no DISPLAY_CACHE_SECONDS); turning it on needs it. 29 s: their reads give up after 25 s, and API
 * Gateway waits 30 s at most.
 */
const DISPLAY_READ_ACCESS = {
  timeout: Duration.seconds(29),
  items: ['GetItem', 'UpdateItem'],
  tokenEnvelope: true,
  clientSecret: true,
  publishesEvents: true,
  refreshesTokens: true,
} as const satisfies Omit<FunctionAccess, 'description'>;

/**
 * Every function of the stack by construct id (the HTTP ones are `functionName` in `ROUTES`), with why it
 * needs each permission. A function missing here, or an entry no function uses, fails the synth.
 */
const FUNCTION_ACCESS: Readonly<Record<string, FunctionAccess>> = {
  // Stores the OAuth state and the launch ticket (one transaction of two Puts), the PKCE verifier sealed.
  StartConnectFunction: {
    description: 'TikTok Connect: start a connection (state, PKCE, launch ticket)',
    items: ['PutItem'],
    tokenEnvelope: true,
  },
  // Redeems the launch ticket (Delete) and binds the state to the browser's cookie (Update); opens no token.
  LaunchConnectFunction: {
    description: 'TikTok Connect: redeem a launch ticket and redirect to TikTok',
    items: ['DeleteItem', 'UpdateItem'],
  },
  // Consumes the state (a Delete that returns it) and opens its PKCE verifier, exchanges the code with the
  // client secret, stores the connection sealed (Update), publishes connected/recovered. If storing fails it
  // revokes the new grant at TikTok, which takes only the secret. No call needs Get or Put today; they are
  // kept as the connect flow was specified, and can go once it is settled.
  CallbackFunction: {
    description: 'TikTok Connect: OAuth callback (code exchange, store the connection)',
    items: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'],
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
  // Reads the connection (Get), opens its access token to revoke it at TikTok (secret), marks it
  // disconnected (Update) and publishes `disconnected`.
  DisconnectFunction: {
    description: 'TikTok Connect: disconnect a TikTok account (revoke at TikTok, mark disconnected)',
    items: ['GetItem', 'UpdateItem'],
    tokenEnvelope: true,
    clientSecret: true,
    publishesEvents: true,
  },
  // Checks TikTok's HMAC signature (the client secret is the key), claims the delivery against replays (Put;
  // Delete to release it on failure), finds every connection of the open_id (ByOpenId), marks them revoked
  // (Update) and publishes `revoked`. TikTok has revoked the tokens already: none is opened.
  TikTokWebhookFunction: {
    description: 'TikTok Connect: TikTok webhook (deauthorization)',
    items: ['PutItem', 'DeleteItem', 'UpdateItem'],
    query: OPEN_ID_INDEX.name,
    clientSecret: true,
    publishesEvents: true,
  },
  // Finds what is due (DueForRefresh), takes the lease and stores the new tokens by compare-and-swap
  // (Update; Get to re-read after losing a race), opens the refresh token and seals the new ones, calls
  // TikTok with the secret, publishes reauth_required and friends, and queues what it cannot do itself.
  RefresherFunction: {
    description: 'TikTok Connect: scheduled token refresh',
    items: ['GetItem', 'UpdateItem'],
    query: DUE_INDEX.name,
    tokenEnvelope: true,
    clientSecret: true,
    publishesEvents: true,
    queuesRefreshWork: true,
    refreshesTokens: true,
  },
  // The refresher's work for the batches it receives; its event source lets it receive and delete messages.
  // No Query: the keys come in the message.
  RefreshWorkerFunction: {
    description: 'TikTok Connect: token refresh worker (queued batches)',
    items: ['GetItem', 'UpdateItem'],
    tokenEnvelope: true,
    clientSecret: true,
    publishesEvents: true,
    refreshesTokens: true,
  },
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
  readonly alarms: readonly Alarm[];
  /** Only with `alarmEmail`. */
  readonly alarmTopic: AlarmTopic | undefined;
  readonly dashboard: OperationsDashboard;

  readonly #functionDefaults: Pick<
    ServiceFunctionProps,
    'environment' | 'logRetention' | 'tracing' | 'projectRoot'
  >;
  readonly #refreshEnvironment: Readonly<Record<string, string>>;
  /** Every function FUNCTION_ACCESS describes, by construct id, once created. */
  readonly #functions = new Map<string, ServiceFunction>();

  constructor(scope: Construct, id: string, props: TikTokConnectStackProps = {}) {
    super(scope, id, props);
    const settings = resolveSettings(props);
    for (const key of settings.missing) {
      Annotations.of(this).addWarningV2(
        `tiktok-connect:missing-${key}`,
        `${key} is not set (cdk.json context, -c ${key}=..., or a stack prop): synth uses a placeholder, ` +
          'a deployed stack would not work',
      );
    }
    const logRetention = props.logRetention ?? RetentionDays.THREE_MONTHS;

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
      throttle: props.throttle ?? { rateLimit: 50, burstLimit: 100 },
    });
    this.redirectUri = settings.redirectUri ?? `${this.api.url}${CALLBACK_PATH}`;

    // Every function reads the same configuration (shared/config.ts); the client secret goes by ARN only.
    this.#functionDefaults = {
      projectRoot: props.projectRoot ?? REPOSITORY_ROOT,
      logRetention,
      tracing: props.tracing ?? false,
      environment: {
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
    });
    // The next scheduled run is the retry: an asynchronous retry would only run alongside it.
    refresher.lambda.configureAsyncInvoke({ retryAttempts: 0 });
    const scheduleInterval = Duration.minutes(settings.refresh.scheduleMinutes);
    new Rule(this, 'RefreshSchedule', {
      description: 'TikTok Connect: start a token refresh run',
      schedule: Schedule.rate(scheduleInterval),
      // A run that could not start before the next one is due is dropped; the next one does its work.
      targets: [new LambdaFunction(refresher.lambda, { maxEventAge: scheduleInterval })],
    });

    const worker = this.#addServiceFunction('RefreshWorkerFunction', {
      entry: 'functions/refresh-worker.ts',
      timeout: REFRESH_WORKER_TIMEOUT,
    });
    // One message (a batch of connection keys) per invocation; an unfinished one is reported, then retried.
    worker.lambda.addEventSource(
      new SqsEventSource(this.refreshQueue, {
        batchSize: 1,
        reportBatchItemFailures: true,
        maxConcurrency: settings.refresh.workerConcurrency,
      }),
    );

    const unused = Object.keys(FUNCTION_ACCESS).filter((name) => !this.#functions.has(name));
    if (unused.length > 0) {
      throw new Error(`FUNCTION_ACCESS names functions the stack does not create: ${unused.join(', ')}`);
    }

    // Alarms on what the refresh runs report (embedded metrics, namespace TikTokConnect) and the machinery.
    const alarm = (alarmId: string, alarmProps: Omit<AlarmProps, 'alarmName' | 'treatMissingData'>) =>
      new Alarm(this, alarmId, {
        ...alarmProps,
        alarmName: `${this.stackName}-${alarmId.replace(/Alarm$/, '')}`,
        // No data means nothing ran into trouble (an idle queue, an hour without failures).
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    this.alarms = [
      alarm('TerminalFailuresAlarm', {
        alarmDescription:
          'More connections than usual became unusable in the last hour (TikTok refused the refresh ' +
          'token): those users must connect again. A tiktok.connection.reauth_required event was ' +
          'published for each.',
        metric: refreshMetric('FailedTerminal', Duration.hours(1)),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        threshold: settings.alarms.terminalFailureThreshold,
        evaluationPeriods: 1,
      }),
      alarm('InvalidClientAlarm', {
        alarmDescription:
          'TikTok refused our client key or secret (invalid_client): every refresh fails. Operator action: ' +
          `check the key and put the current secret into ${clientSecretName}.`,
        metric: refreshMetric('InvalidClient', Duration.minutes(5)),
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        threshold: 1,
        evaluationPeriods: 1,
      }),
      alarm('DeadLetterQueueAlarm', {
        alarmDescription:
          'Refresh batches failed three times and wait in the dead-letter queue. Read the worker logs, fix ' +
          'the cause, then redrive the messages to the refresh queue.',
        metric: this.refreshDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: Stats.MAXIMUM,
        }),
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        threshold: 1,
        evaluationPeriods: 1,
      }),
      alarm('UnfinishedRefreshAlarm', {
        alarmDescription:
          'Two refresh runs in a row ran out of time with due connections left: tokens may expire before ' +
          'they are refreshed. Raise refreshWorkerConcurrency or refreshConcurrency, or look for slow calls.',
        metric: refreshMetric('UnfinishedDue', scheduleInterval),
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        threshold: 1,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
      }),
      alarm('RefresherErrorsAlarm', {
        alarmDescription: 'The refresher or a refresh worker failed (crash or timeout). See their logs.',
        // FILL: a worker that did not run in a period publishes no datapoint, which would hide the other's.
        metric: new MathExpression({
          expression: 'FILL(refresher, 0) + FILL(worker, 0)',
          usingMetrics: {
            refresher: refresher.lambda.metricErrors({ statistic: Stats.SUM }),
            worker: worker.lambda.metricErrors({ statistic: Stats.SUM }),
          },
          label: 'Refresher and worker errors',
          period: Duration.minutes(5),
        }),
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        threshold: 1,
        evaluationPeriods: 1,
      }),
    ];

    this.alarmTopic = settings.alarms.email
      ? new AlarmTopic(this, 'AlarmTopic', {
          email: settings.alarms.email,
          alarmNamePrefix: `${this.stackName}-`,
        })
      : undefined;
    if (this.alarmTopic) {
      const action = new SnsAction(this.alarmTopic);
      for (const each of this.alarms) each.addAlarmAction(action);
    }

    // What an operator looks at first: the alarms' state, connects, refreshes, TikTok's errors, latency.
    this.dashboard = new OperationsDashboard(this, 'OperationsDashboard', {
      dashboardName: `${this.stackName}-operations`,
      api: this.api.api,
      functions: new Map([...this.#functions].map(([functionId, fn]) => [functionId, fn.lambda])),
      refreshQueue: this.refreshQueue,
      refreshDeadLetterQueue: this.refreshDeadLetterQueue,
      refreshInterval: scheduleInterval,
      alarms: this.alarms,
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
    new CfnOutput(this, 'EventBusName', {
      value: this.eventBus.eventBusName,
      description:
        'Connection events (source tiktok-connect, detail-type tiktok.connection.*): add rules here',
    });
    new CfnOutput(this, 'EventBusArn', { value: this.eventBus.eventBusArn });
    if (this.alarmTopic) {
      new CfnOutput(this, 'AlarmTopicArn', {
        value: this.alarmTopic.topicArn,
        description: 'Alarm notifications; confirm the email subscription AWS sent to alarmEmail',
      });
    }
    if (this.api.domainTarget) {
      new CfnOutput(this, 'CustomDomainTarget', {
        value: this.api.domainTarget,
        description: 'Point a CNAME (or alias) for the custom domain at this name',
      });
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
    return new ServiceFunction(this, id, {
      ...defaults,
      ...options,
      environment: { ...defaults.environment, ...options.environment },
    });
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
        ...options.environment,
      },
    });
    this.#functions.set(id, fn);
    if (access.items?.length) this.table.grantItemActions(fn, ...access.items);
    if (access.query) this.table.grantQuery(fn, access.query === 'table' ? undefined : access.query);
    if (access.tokenEnvelope) this.tokenKey.grantEnvelopeEncryption(fn);
    if (access.clientSecret) this.clientSecret.grantReadValue(fn);
    if (access.publishesEvents) this.eventBus.grantPutEventsTo(fn);
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
