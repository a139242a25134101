/**
 * The flows `bench/requests.ts` measures, each driven through its Lambda handler with the event its trigger sends
 * (API Gateway v2 events after the JWT authorizer, the schedule's event, an SQS batch). `prepare` sets up one run
 * with a separate setup container (not counted); `build` makes the handler once per container, as a module does.
 */
import { randomUUID } from 'node:crypto';
import type { Context, SQSEvent } from 'aws-lambda';
import { lambdaContext } from '../../local/http-adapter.js';
import type { Config } from '../../shared/config.js';
import {
  buildCallbackHandler,
  buildLaunchHandler,
  buildStartHandler,
} from '../../shared/http/connect-routes.js';
import { buildListConnectionsHandler } from '../../shared/http/connections-routes.js';
import {
  buildProfileHandler,
  buildVideoQueryHandler,
  buildVideosHandler,
} from '../../shared/http/display-routes.js';
import { buildDisconnectHandler, buildWebhookHandler } from '../../shared/http/lifecycle-routes.js';
import type { HttpResult } from '../../shared/http/responses.js';
import {
  buildRefreshWorkerHandler,
  buildScheduledRefreshHandler,
} from '../../shared/lifecycle/refresh-handlers.js';
import type { RefreshRunReport } from '../../shared/lifecycle/refresh-run.js';
import type { ConnectionKey } from '../../shared/store/connection-store.js';
import { signWebhook } from '../../shared/tiktok/webhook-signature.js';
import { httpApiEvent } from '../../test/support/api-events.js';
import { routeEvent } from '../../test/support/route-events.js';
import { type BenchService, CLIENT_KEY, CLIENT_SECRET, type Container } from './bench-service.js';

export type FlowContext = { service: BenchService; config: Config; setup: Container };

/** What a run answered: HTTP answers count their bytes (data transfer out). */
export type Answer = { responseBytes: number };

export type Flow = {
  id: string;
  label: string;
  /** The stack's function (construct id) that runs it: its memory size prices the run. */
  functionName: string;
  /** Connections handled per run; per-connection figures divide by it. */
  units: number;
  /** Runs in one container: the first is cold, the second warm; more are timing samples. */
  runs: number;
  /** Whether the container hands refresh overflow to SQS (only the scheduled refresher does). */
  queue?: boolean;
  prepare(ctx: FlowContext, run: number): Promise<unknown>;
  build(container: Container): (prepared: unknown) => Promise<Answer>;
};

const API_CONTEXT = lambdaContext('ApiFunction', 29_000);
const ALL_DUE = { source: 'aws.events', 'detail-type': 'Scheduled Event' };

function flow<P>(
  spec: Omit<Flow, 'prepare' | 'build'> & {
    prepare(ctx: FlowContext, run: number): Promise<P>;
    build(container: Container): (prepared: P) => Promise<Answer>;
  },
): Flow {
  return spec as Flow;
}

export function flows(warmSamples: number): Flow[] {
  const runs = 1 + warmSamples;
  return [
    flow({
      id: 'start_json',
      label: 'start (JSON mode)',
      functionName: 'StartConnectFunction',
      units: 1,
      runs,
      prepare: async (_ctx, run) => `bench-start-${run}`,
      build: ({ deps }) => {
        const handler = buildStartHandler(deps);
        return async (sub) => http(await handler(startEvent(sub, 'json'), API_CONTEXT), 200);
      },
    }),
    flow({
      id: 'start_redirect',
      label: 'start (redirect mode)',
      functionName: 'StartConnectFunction',
      units: 1,
      runs,
      prepare: async (_ctx, run) => `bench-start-redirect-${run}`,
      build: ({ deps }) => {
        const handler = buildStartHandler(deps);
        return async (sub) => http(await handler(startEvent(sub, 'redirect'), API_CONTEXT), 302);
      },
    }),
    flow({
      id: 'launch',
      label: 'launch (JSON mode)',
      functionName: 'LaunchConnectFunction',
      units: 1,
      runs,
      prepare: async (ctx, run) => {
        const started = await buildStartHandler(ctx.setup.deps)(
          startEvent(`bench-launch-${run}`, 'json'),
          API_CONTEXT,
        );
        const { authorizeUrl } = JSON.parse(started.body ?? '{}') as { authorizeUrl: string };
        return new URL(authorizeUrl).searchParams.get('ticket') ?? '';
      },
      build: ({ deps }) => {
        const handler = buildLaunchHandler(deps);
        // The browser follows the launch link from the platform's page (the default return URL's origin).
        const referer = deps.config.returnUrls.defaultUrl;
        return async (ticket) => {
          const event = httpApiEvent({
            path: '/auth/tiktok/launch',
            query: `ticket=${ticket}`,
            headers: { referer },
          });
          const answer = await handler(event, API_CONTEXT);
          if (!answer.headers.location?.includes('/v2/auth/authorize/'))
            throw new Error('launch: not sent to TikTok');
          return http(answer, 302);
        };
      },
    }),
    flow({
      id: 'callback',
      label: 'callback (success)',
      functionName: 'CallbackFunction',
      units: 1,
      runs,
      prepare: async (ctx, run) => {
        const started = await buildStartHandler(ctx.setup.deps)(
          startEvent(`bench-callback-${run}`, 'redirect'),
          API_CONTEXT,
        );
        const authorize = new URL(started.headers.location ?? '');
        const user = ctx.service.emulator.users[0]!;
        const scopes = (authorize.searchParams.get('scope') ?? '').split(',');
        const code = ctx.service.emulator.issueCode({
          userId: user.openId,
          scopes,
          redirectUri: authorize.searchParams.get('redirect_uri') ?? '',
          codeChallenge: authorize.searchParams.get('code_challenge') ?? '',
          codeChallengeMethod: 'S256',
        });
        const state = authorize.searchParams.get('state') ?? '';
        return {
          query: new URLSearchParams({ code, scopes: scopes.join(','), state }).toString(),
          cookies: (started.cookies ?? []).map((cookie) => cookie.split(';')[0] ?? ''),
        };
      },
      build: ({ deps }) => {
        const handler = buildCallbackHandler(deps);
        return async ({ query, cookies }) => {
          const answer = await handler(
            httpApiEvent({ path: '/auth/tiktok/callback', query, cookies }),
            API_CONTEXT,
          );
          if (!answer.headers.location?.includes('tiktok=connected'))
            throw new Error(`callback did not connect: ${answer.headers.location}`);
          return http(answer, 302);
        };
      },
    }),
    flow({
      id: 'list',
      label: 'list connections (1 connected)',
      functionName: 'ListConnectionsFunction',
      units: 1,
      runs,
      prepare: connectedOnce('bench-list'),
      build: ({ deps }) => {
        const handler = buildListConnectionsHandler(deps);
        return async (key) =>
          http(
            await handler(routeEvent({ route: 'GET /tiktok/connections', sub: key.appUser }), API_CONTEXT),
            200,
          );
      },
    }),
    displayFlow({
      id: 'profile',
      label: 'profile',
      functionName: 'ProfileFunction',
      runs,
      prepare: connectedOnce('bench-profile'),
      build: buildProfileHandler,
      route: 'GET /tiktok/connections/{openId}/profile',
    }),
    displayFlow({
      id: 'videos',
      label: 'videos page (10)',
      functionName: 'VideosFunction',
      runs,
      prepare: connectedOnce('bench-videos'),
      build: buildVideosHandler,
      route: 'GET /tiktok/connections/{openId}/videos',
      query: 'limit=10',
    }),
    displayFlow({
      id: 'video_query',
      label: 'video query (10 ids)',
      functionName: 'VideoQueryFunction',
      runs,
      prepare: connectedOnce('bench-video-query'),
      build: buildVideoQueryHandler,
      route: 'POST /tiktok/connections/{openId}/videos/query',
      body: (ctx) =>
        JSON.stringify({ ids: ctx.service.emulator.users[0]!.videos.slice(0, 10).map((v) => v.id) }),
    }),
    displayFlow({
      id: 'on_demand_refresh',
      label: 'profile with on-demand refresh',
      functionName: 'ProfileFunction',
      runs,
      // An access token that expires within the 2-minute skew: the read refreshes it under the lease first.
      prepare: async (ctx, run) =>
        (
          await ctx.service.seedConnections(ctx.setup, {
            appUserPrefix: `bench-on-demand-${run}`,
            count: 1,
            due: true,
          })
        )[0]!,
      build: buildProfileHandler,
      route: 'GET /tiktok/connections/{openId}/profile',
    }),
    scheduledFlow({ id: 'refresh_none_due', label: 'scheduled refresh, nothing due', due: 0, runs }),
    scheduledFlow({ id: 'refresh_one', label: 'scheduled refresh, 1 connection', due: 1, runs }),
    scheduledFlow({ id: 'refresh_pass_100', label: 'scheduled refresh, pass of 100', due: 100, runs: 2 }),
    scheduledFlow({
      id: 'refresh_pass_450',
      label: 'scheduled refresh, pass of 450 (50 to the queue)',
      due: 450,
      runs: 2,
      inline: 400,
    }),
    flow({
      id: 'refresh_worker_25',
      label: 'refresh worker, batch of 25',
      functionName: 'RefreshWorkerFunction',
      units: 25,
      runs: 2,
      prepare: async (ctx, run) => {
        const keys = await ctx.service.seedConnections(ctx.setup, {
          appUserPrefix: `bench-worker-${run}`,
          count: 25,
          due: true,
        });
        return sqsEvent(keys);
      },
      build: ({ deps }) => {
        const handler = buildRefreshWorkerHandler(deps);
        return async (event) => {
          const result = await handler(event, lambdaContext('RefreshWorkerFunction', 120_000));
          if (result.batchItemFailures.length > 0) throw new Error('refresh worker: the batch failed');
          return { responseBytes: 0 };
        };
      },
    }),
    flow({
      id: 'disconnect',
      label: 'disconnect',
      functionName: 'DisconnectFunction',
      units: 1,
      runs,
      prepare: async (ctx, run) =>
        (
          await ctx.service.seedConnections(ctx.setup, { appUserPrefix: `bench-disconnect-${run}`, count: 1 })
        )[0]!,
      build: ({ deps }) => {
        const handler = buildDisconnectHandler(deps);
        return async (key) => {
          const event = routeEvent({
            route: 'DELETE /tiktok/connections/{openId}',
            params: { openId: key.openId },
            sub: key.appUser,
          });
          const answer = await handler(event, API_CONTEXT);
          if (!(JSON.parse(answer.body ?? '{}') as { revokedAtTikTok?: boolean }).revokedAtTikTok)
            throw new Error('disconnect: not revoked at TikTok');
          return http(answer, 200);
        };
      },
    }),
    flow({
      id: 'webhook',
      label: 'webhook (authorization.removed, 1 connection)',
      functionName: 'TikTokWebhookFunction',
      units: 1,
      runs,
      prepare: async (ctx, run) => {
        // The same user connects again before each delivery; each delivery is a new one (another create_time).
        const [key] = await ctx.service.seedConnections(ctx.setup, {
          appUserPrefix: 'bench-webhook',
          count: 1,
          userIndex: 1,
        });
        const now = Math.floor(Date.now() / 1000);
        const body = JSON.stringify({
          client_key: CLIENT_KEY,
          event: 'authorization.removed',
          create_time: now + run,
          user_openid: key!.openId,
          content: JSON.stringify({ reason: 1 }),
        });
        return { body, signature: signWebhook(CLIENT_SECRET, body, now) };
      },
      build: ({ deps }) => {
        const handler = buildWebhookHandler(deps);
        return async ({ body, signature }) => {
          const event = httpApiEvent({
            method: 'POST',
            path: '/webhooks/tiktok',
            headers: { 'tiktok-signature': signature, 'content-type': 'application/json' },
            body,
          });
          const answer = await handler(event, API_CONTEXT);
          if ((JSON.parse(answer.body ?? '{}') as { revoked?: number }).revoked !== 1)
            throw new Error(`webhook: expected 1 connection revoked, got ${answer.body}`);
          return http(answer, 200);
        };
      },
    }),
  ];
}

type HttpHandler = (event: ReturnType<typeof routeEvent>, context: Context) => Promise<HttpResult>;

/** A frontend read of one connection (profile, videos, video query), through the one TikTok read path. */
function displayFlow(spec: {
  id: string;
  label: string;
  functionName: string;
  runs: number;
  prepare(ctx: FlowContext, run: number): Promise<ConnectionKey>;
  build(deps: Container['deps']): HttpHandler;
  route: string;
  query?: string;
  body?: (ctx: FlowContext) => string;
}): Flow {
  return flow({
    id: spec.id,
    label: spec.label,
    functionName: spec.functionName,
    units: 1,
    runs: spec.runs,
    prepare: async (ctx, run) => ({ key: await spec.prepare(ctx, run), body: spec.body?.(ctx) }),
    build: ({ deps }) => {
      const handler = spec.build(deps);
      return async ({ key, body }) => {
        const event = routeEvent({
          route: spec.route,
          params: { openId: key.openId },
          sub: key.appUser,
          ...(spec.query ? { query: spec.query } : {}),
          ...(body ? { body, headers: { 'content-type': 'application/json' } } : {}),
        });
        return http(await handler(event, API_CONTEXT), 200);
      };
    },
  });
}

/** One scheduled pass over `due` connections (seeded due, after whatever an earlier run left due is drained). */
function scheduledFlow(spec: {
  id: string;
  label: string;
  due: number;
  runs: number;
  inline?: number;
}): Flow {
  const inline = spec.inline ?? spec.due;
  return flow({
    id: spec.id,
    label: spec.label,
    functionName: 'RefresherFunction',
    units: Math.max(1, spec.due),
    runs: spec.runs,
    queue: true,
    prepare: async (ctx, run) => {
      await drainDue(ctx);
      if (spec.due > 0) {
        await ctx.service.seedConnections(ctx.setup, {
          appUserPrefix: `bench-${spec.id}-${run}`,
          count: spec.due,
          due: true,
        });
      }
    },
    build: ({ deps }) => {
      const handler = buildScheduledRefreshHandler(deps);
      return async () => {
        const report = (await handler(
          ALL_DUE,
          lambdaContext('RefresherFunction', 300_000),
        )) as RefreshRunReport;
        if (report.due !== spec.due || report.refreshed !== inline || report.enqueued !== spec.due - inline) {
          throw new Error(`${spec.id}: unexpected run ${JSON.stringify(report)}`);
        }
        return { responseBytes: 0 };
      };
    },
  });
}

/** What a run handed to the queue is still due: the setup container refreshes it, uncounted. */
async function drainDue(ctx: FlowContext): Promise<void> {
  const handler = buildScheduledRefreshHandler(ctx.setup.deps);
  await handler(ALL_DUE, lambdaContext('RefresherFunction', 300_000));
}

function connectedOnce(appUser: string) {
  let key: ConnectionKey | undefined;
  return async (ctx: FlowContext): Promise<ConnectionKey> => {
    key ??= (await ctx.service.seedConnections(ctx.setup, { appUserPrefix: appUser, count: 1 }))[0]!;
    return key;
  };
}

function startEvent(sub: string, mode: 'json' | 'redirect') {
  return httpApiEvent({
    path: '/auth/tiktok/start',
    sub,
    headers: { accept: mode === 'json' ? 'application/json' : 'text/html' },
  });
}

function sqsEvent(keys: ConnectionKey[]): SQSEvent {
  return {
    Records: [
      {
        messageId: randomUUID(),
        receiptHandle: 'bench',
        body: JSON.stringify({ connections: keys, enqueuedAt: Date.now() }),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(Date.now()),
          SenderId: 'bench',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:bench-refresh',
        awsRegion: 'us-east-1',
      },
    ],
  };
}

/** Checks the status and sizes the answer as API Gateway sends it (status line, headers, cookies, body). */
function http(answer: HttpResult, expectedStatus: number): Answer {
  if (answer.statusCode !== expectedStatus) {
    throw new Error(`expected HTTP ${expectedStatus}, got ${answer.statusCode}: ${answer.body}`);
  }
  const headers = Object.entries(answer.headers).reduce(
    (sum, [k, v]) => sum + k.length + String(v).length + 4,
    0,
  );
  const cookies = (answer.cookies ?? []).reduce((sum, c) => sum + 'set-cookie: '.length + c.length + 2, 0);
  return {
    responseBytes: 'HTTP/1.1 200 OK\r\n'.length + headers + cookies + Buffer.byteLength(answer.body ?? ''),
  };
}
