import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { seededRandom } from '../../local/seeded-random.js';
import type { FaultInput } from '../../local/tiktok-emulator/index.js';
import type { RefreshCheckpoint } from '../../shared/deps.js';
import { getFreshAccessToken } from '../../shared/lifecycle/fresh-access-token.js';
import { IN_RUN_RETRIES } from '../../shared/lifecycle/refresh-policy.js';
import { runScheduledRefresh } from '../../shared/lifecycle/refresh-run.js';
import { createDynamoClient } from '../../shared/store/dynamo-client.js';
import { REFRESH_SHARD_COUNT } from '../../shared/store/table-schema.js';
import { fetchUserInfo } from '../../shared/tiktok/user-info.js';
import { type DynamoFaultPlan, DynamoFaults } from './dynamo-faults.js';
import {
  describeOutcomes,
  describeRun,
  refreshEachWithFaults,
  type Scenario,
  type ScenarioContext,
} from './scenario-harness.js';

const MINUTE = 60_000;

/** `count` copies of one TikTok fault on the refresh endpoint. */
const refreshFault = (kind: FaultInput['kind'], count: number, errorCode?: string): FaultInput[] => [
  { endpoint: 'refresh', kind, count, ...(errorCode ? { errorCode } : {}) },
];

/**
 * A TikTok fault on some connections' refresh: once (the in-run retry gets through) on every other connection,
 * and on every attempt (the run gives up, the next run retries) on every fifth.
 */
function tiktokFaultScenario(
  name: string,
  kind: FaultInput['kind'],
  options: { errorCode?: string; env?: Record<string, string> } = {},
): Scenario {
  return {
    name,
    env: options.env,
    run: async (ctx) => {
      const hit = { once: 0, always: 0 };
      const outcomes = await refreshEachWithFaults(ctx, ctx.deps(), (i) => {
        if (i % 5 === 1) {
          hit.always++;
          return refreshFault(kind, 1 + IN_RUN_RETRIES, options.errorCode);
        }
        if (i % 2 === 0) {
          hit.once++;
          return refreshFault(kind, 1, options.errorCode);
        }
        return [];
      });
      return [
        `fault on the first attempt for ${hit.once}, on every attempt of the run for ${hit.always}; first pass: ${describeOutcomes(outcomes)}`,
      ];
    },
  };
}

/** Scheduled passes (one connection at a time, so seeded faults land the same way every run) under DynamoDB faults. */
function dynamoFaultScenario(
  name: string,
  plan: (ctx: ScenarioContext) => DynamoFaultPlan,
  passes: number,
): Scenario {
  return {
    name,
    env: { REFRESH_CONCURRENCY: '1' },
    run: async (ctx) => {
      const faults = new DynamoFaults(plan(ctx), seededRandom(Math.floor(ctx.random() * 2 ** 32)));
      const client = faults.attach(
        createDynamoClient({ region: ctx.config.region, endpoint: ctx.config.dynamodbEndpoint }),
      );
      const deps = ctx.deps({ dynamoClient: client });
      const runs: string[] = [];
      for (let pass = 0; pass < passes; pass++) {
        if (pass > 0) ctx.clock.offsetMs += 5 * MINUTE; // past leases and the first backoffs
        const report = await runScheduledRefresh(deps, {
          deadline: deps.now() + MINUTE,
          handToQueue: false,
        }).catch((error: Error) => error);
        runs.push(describeRun(report));
        if (report instanceof Error) continue;
        // Nothing left for another pass under faults: every due connection was refreshed or settled.
        if (report.refreshed + report.reauthRequired + report.superseded === report.due) break;
      }
      faults.enabled = false;
      client.destroy();
      const { injected } = faults;
      const what = [
        injected.throttledAttempts && `${injected.throttledAttempts} attempts throttled (SDK retried)`,
        injected.throttledCalls.size > 0 &&
          `throttled through the SDK's retries: ${faults.throttledCallsSummary()}`,
        injected.refusedLeases && `${injected.refusedLeases} lease writes refused`,
        injected.competedSaves && `${injected.competedSaves} refresh writes lost to a reconnect`,
      ].filter(Boolean);
      return [`${what.join('; ')}; passes under faults: ${runs.map((r) => `[${r}]`).join(' ')}`];
    },
  };
}

/** Runs a scheduled pass in a child process and SIGKILLs it once every refresh in flight reached `checkpoint`. */
async function killRefresherAt(ctx: ScenarioContext, checkpoint: RefreshCheckpoint): Promise<number> {
  const inFlight = Math.min(ctx.config.refresh.concurrency, ctx.keys.length);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(import.meta.dirname, '../../test/support/refresh-child.ts')],
    {
      env: { ...process.env, ...ctx.env, KILL_AT: checkpoint },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`the refresher never reached ${checkpoint}:\n${output}`)),
      30_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.split(`CHECKPOINT ${checkpoint}`).length - 1 >= inFlight) {
        clearTimeout(timer);
        child.kill('SIGKILL');
        done();
      }
      if (output.includes('DONE')) fail(new Error(`the refresher finished instead of stopping:\n${output}`));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
  });
  await new Promise((done) => child.once('exit', done));
  return inFlight;
}

function killScenario(checkpoint: RefreshCheckpoint): Scenario {
  return {
    name: `refresher SIGKILLed at ${checkpoint}`,
    run: async (ctx) => {
      const killed = await killRefresherAt(ctx, checkpoint);
      ctx.unseenRefreshCalls = ctx.emulator.calls.count('refresh');
      const deps = ctx.deps();
      const next = await runScheduledRefresh(deps, { deadline: deps.now() + MINUTE, handToQueue: false });
      return [
        `killed with ${killed} refreshes (its concurrency) stopped there; next pass while their leases ran: ${describeRun(next)}; the ${killed} left went to the passes after lease expiry`,
      ];
    },
  };
}

const raceScenario: Scenario = {
  name: '5 scheduled runs + 40 on-demand callers racing',
  run: async (ctx) => {
    ctx.emulator.setOptions({ latencyMs: 50 });
    // Separate deps for each actor, as separate Lambda containers would have.
    const runners = Array.from({ length: 5 }, () => ctx.deps());
    const apis = Array.from({ length: 5 }, () => ctx.deps());
    const runs = runners.map((deps) =>
      runScheduledRefresh(deps, { deadline: deps.now() + MINUTE, handToQueue: false }),
    );
    const callers = [...ctx.keys, ...ctx.keys].map(async (key, i) => {
      const deps = apis[i % apis.length]!;
      try {
        const { accessToken } = await getFreshAccessToken(deps, key);
        await fetchUserInfo({
          apiBaseUrl: ctx.emulator.apiBaseUrl,
          accessToken,
          fields: ['open_id'],
          timeoutMs: 5000,
        });
        return 'working token';
      } catch (error) {
        return (error as { code?: string }).code ?? 'error';
      }
    });
    await Promise.all(runs);
    const answers = await Promise.all(callers);
    const byAnswer = new Map<string, number>();
    for (const answer of answers) byAnswer.set(answer, (byAnswer.get(answer) ?? 0) + 1);
    return [
      `TikTok latency 50 ms; on-demand callers (2 per connection) got: ${[...byAnswer]
        .map(([answer, n]) => `${n} ${answer}`)
        .join(', ')}`,
    ];
  },
};

export const scenarios: Scenario[] = [
  tiktokFaultScenario('TikTok times out (hang, 500 ms client timeout)', 'hang', {
    env: { TIKTOK_HTTP_TIMEOUT_MS: '500' },
  }),
  tiktokFaultScenario('TikTok HTTP 500', 'http_500'),
  tiktokFaultScenario('TikTok HTTP 503', 'http_503'),
  tiktokFaultScenario('TikTok 429 rate limit', 'rate_limit'),
  tiktokFaultScenario('TikTok 200 with error temporarily_unavailable', 'error_200', {
    errorCode: 'temporarily_unavailable',
  }),
  {
    name: 'TikTok 200 with error invalid_grant',
    run: async (ctx) => {
      const outcomes = await refreshEachWithFaults(ctx, ctx.deps(), (i) =>
        i % 7 === 0 ? refreshFault('error_200', 1, 'invalid_grant') : [],
      );
      return [`invalid_grant for 3 connections; first pass: ${describeOutcomes(outcomes)}`];
    },
  },
  tiktokFaultScenario('TikTok closes the connection mid-response', 'close'),
  {
    name: 'TikTok rotates the refresh token, then fails (500)',
    run: async (ctx) => {
      const outcomes = await refreshEachWithFaults(ctx, ctx.deps(), (i) =>
        i % 5 === 0 ? refreshFault('rotate_then_fail', 1) : [],
      );
      return [
        `rotate_then_fail on 4 connections: the in-run retry sends the old, now dead, token (known protocol limit); first pass: ${describeOutcomes(outcomes)}`,
      ];
    },
  },
  dynamoFaultScenario('DynamoDB throttling, 20% of attempts', () => ({ throttleAttempts: 0.2 }), 3),
  dynamoFaultScenario(
    'DynamoDB throttling outlasting SDK retries, 10% of item reads and writes',
    () => ({ throttleCalls: { share: 0.1, operations: ['get', 'lease', 'save_refreshed', 'other_update'] } }),
    4,
  ),
  dynamoFaultScenario(
    'DynamoDB throttling outlasting SDK retries on 1 of the 16 due-index shard queries',
    () => ({ throttleCalls: { every: REFRESH_SHARD_COUNT, operations: ['query'] } }),
    3,
  ),
  dynamoFaultScenario(
    'DynamoDB conditional failures (lease refused, CAS lost to a reconnect)',
    (ctx) => ({ refuseLeases: 0.3, competeWithSaves: 0.25, competingWrite: (key) => ctx.reconnect(key) }),
    3,
  ),
  killScenario('lease_taken'),
  killScenario('tiktok_answered'),
  raceScenario,
];
