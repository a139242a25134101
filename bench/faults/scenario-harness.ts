import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { seededRandom } from '../../local/seeded-random.js';
import {
  type FaultInput,
  startTikTokEmulator,
  type TikTokEmulator,
} from '../../local/tiktok-emulator/index.js';
import { type Config, loadConfig } from '../../shared/config.js';
import { createDeps, type DepsOverrides, type ServiceDeps } from '../../shared/deps.js';
import { type RefreshOutcome, refreshConnection } from '../../shared/lifecycle/refresh-connection.js';
import { type RefreshRunReport, runScheduledRefresh } from '../../shared/lifecycle/refresh-run.js';
import { Logger } from '../../shared/log.js';
import type { Redacted } from '../../shared/redacted.js';
import type { ConnectionKey } from '../../shared/store/connection-store.js';
import { createDynamoClient } from '../../shared/store/dynamo-client.js';
import { ensureTable } from '../../shared/store/ensure-table.js';
import { fetchUserInfo } from '../../shared/tiktok/user-info.js';
import { connectWithEmulatorGrant } from '../emulator-grant.js';
import { connectionId, RefreshLedger } from './refresh-ledger.js';

const CLIENT_KEY = 'faults-key';
const CLIENT_SECRET = 'faults-secret-0123456789';
const REDIRECT_URI = 'https://faults.example/auth/tiktok/callback';
const MINUTE = 60_000;

export type BenchEnvironment = { dynamodbEndpoint: string; workDir: string };

export type ScenarioContext = {
  /** The service's environment for this scenario (a child process gets the same). */
  env: Record<string, string>;
  config: Config;
  emulator: TikTokEmulator;
  ledger: RefreshLedger;
  keys: ConnectionKey[];
  /** Offset added to the service's clock: lets leases and backoffs expire without waiting. */
  clock: { offsetMs: number };
  random: () => number;
  /** Service deps wired to this scenario's table, emulator, clock and ledger. */
  deps(overrides?: DepsOverrides): ServiceDeps;
  /** Refresh calls made where the ledger cannot see them (a child process). */
  unseenRefreshCalls: number;
  /** The user connects again (a new consent and code exchange) while the service works. */
  reconnect(key: ConnectionKey): Promise<void>;
};

export type Scenario = {
  name: string;
  connections?: number;
  env?: Record<string, string>;
  /** Injects the faults and drives the service; returns what the table's notes should say. */
  run(ctx: ScenarioContext): Promise<string[]>;
};

export type ScenarioResult = {
  name: string;
  connections: number;
  refreshed: number;
  lost: number;
  unusable: number;
  tiktokSaid: number;
  /** Of `tiktokSaid`: TikTok rotated and its answer never reached a live refresher. */
  answerLost: number;
  duplicates: number;
  notes: string[];
  seconds: number;
};

export async function runScenario(
  bench: BenchEnvironment,
  scenario: Scenario,
  seed: number,
): Promise<ScenarioResult> {
  const started = Date.now();
  const emulator = await startTikTokEmulator({
    clientKey: CLIENT_KEY,
    clientSecret: CLIENT_SECRET,
    accessTokenTtlSeconds: 60, // due at once: the refresh-ahead window is 30 minutes
  });
  const env: Record<string, string> = {
    TABLE_NAME: `faults-${randomUUID()}`,
    DYNAMODB_ENDPOINT: bench.dynamodbEndpoint,
    TIKTOK_CLIENT_KEY: CLIENT_KEY,
    TIKTOK_CLIENT_SECRET: CLIENT_SECRET,
    TIKTOK_REDIRECT_URI: REDIRECT_URI,
    TIKTOK_AUTHORIZE_URL: emulator.authorizeUrl,
    TIKTOK_API_BASE_URL: emulator.apiBaseUrl,
    TOKEN_KEY_FILE: join(bench.workDir, 'token-key.json'),
    TIKTOK_HTTP_TIMEOUT_MS: '2000',
    ...scenario.env,
  };
  const config = loadConfig(env);
  const db = createDynamoClient({ region: config.region, endpoint: config.dynamodbEndpoint });
  await ensureTable(db, config.tableName);
  db.destroy();

  const ledger = new RefreshLedger();
  const clock = { offsetMs: 0 };
  const random = seededRandom(seed);
  const silent = new Logger({ sink: () => undefined });
  const deps = (overrides: DepsOverrides = {}) =>
    createDeps(config, {
      logger: silent,
      metrics: () => undefined,
      now: () => Date.now() + clock.offsetMs,
      random,
      fetch: ledger.wrap(),
      ...overrides,
    });
  const clean = deps();
  const ctx: ScenarioContext = {
    env,
    config,
    emulator,
    ledger,
    keys: [],
    clock,
    random,
    deps,
    unseenRefreshCalls: 0,
    reconnect: async (key) => {
      const grant = await connect(clean, emulator, key.appUser, key.openId);
      ledger.register(key, grant.refreshToken.reveal());
    },
  };
  try {
    const seeded = new Map<string, string>();
    const count = scenario.connections ?? 20;
    for (let i = 0; i < count; i++) {
      const user = emulator.users[i % emulator.users.length];
      if (!user) throw new Error('the emulator has no users');
      const key = { appUser: `faults-user-${i}`, openId: user.openId };
      const grant = await connect(clean, emulator, key.appUser, key.openId);
      ledger.register(key, grant.refreshToken.reveal());
      seeded.set(connectionId(key), grant.refreshToken.reveal());
      ctx.keys.push(key);
    }
    emulator.setOptions({ accessTokenTtlSeconds: 7200 });
    emulator.calls.reset();

    const notes = await scenario.run(ctx);

    // Afterwards: no faults, time moved past leases and backoffs, normal scheduled passes until nothing is due.
    emulator.faults.clear();
    emulator.setOptions({ latencyMs: 0 });
    for (let pass = 0; pass < 4; pass++) {
      clock.offsetMs += 10 * MINUTE;
      const report = await runScheduledRefresh(clean, { deadline: clean.now() + MINUTE, handToQueue: false });
      if (report.due === 0) break;
    }

    const verdict = await judge(ctx, clean, seeded);
    const refreshCalls = emulator.calls.count('refresh');
    const seen = ledger.calls.length + ctx.unseenRefreshCalls;
    return {
      name: scenario.name,
      connections: count,
      refreshed: verdict.refreshed,
      lost: verdict.lost,
      unusable: verdict.unusable,
      tiktokSaid: verdict.tiktokSaid,
      answerLost: verdict.answerLost,
      duplicates: ledger.duplicates(),
      notes: [
        ...notes,
        ...verdict.notes,
        refreshCallsNote(ledger, ctx.unseenRefreshCalls),
        ...(refreshCalls === seen
          ? []
          : [`emulator counted ${refreshCalls} refresh calls, the service ${seen}`]),
      ],
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await emulator.close();
  }
}

/** Connects (or reconnects) an account as the callback does: a real code exchange, stored in one write. */
function connect(deps: ServiceDeps, emulator: TikTokEmulator, appUser: string, openId: string) {
  return connectWithEmulatorGrant(deps, emulator, { appUser, userId: openId, redirectUri: REDIRECT_URI });
}

/**
 * After the scenario: every connection is either usable (its access token works at /v2/user/info/ and it holds
 * the newest refresh token TikTok issued for it), or needs re-auth because TikTok said invalid_grant for it,
 * or it is lost.
 */
async function judge(ctx: ScenarioContext, deps: ServiceDeps, seeded: Map<string, string>) {
  let refreshed = 0;
  let lost = 0;
  let unusable = 0;
  let tiktokSaid = 0;
  let answerLost = 0;
  const reasons = new Map<string, number>();
  const tally = (reason: string) => reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  for (const key of ctx.keys) {
    const record = await deps.connections.get(key.appUser, key.openId);
    if (!record) {
      lost++;
      tally('LOST: record gone');
      continue;
    }
    if (!record.sealedTokens || !['active', 'refresh_failing'].includes(record.status)) {
      const cause = ctx.ledger.invalidGrantCause(key);
      if (record.status === 'reauth_required' && cause === 'injected') {
        tiktokSaid++;
        tally('reauth: TikTok said invalid_grant (injected)');
      } else if (record.status === 'reauth_required' && cause === 'answer_lost') {
        tiktokSaid++;
        answerLost++;
        tally(`reauth (${record.statusReason}): TikTok rotated and the answer was lost`);
      } else {
        lost++;
        const why =
          cause === 'answer_dropped'
            ? 'the service got TikTok’s new tokens, did not store them, then spent the old refresh token'
            : 'TikTok never said invalid_grant';
        tally(`LOST: ${record.status} (${record.statusReason}): ${why}`);
      }
      continue;
    }
    const tokens = await deps.connections.openTokens(record);
    const works = await userInfoWorks(ctx, tokens.accessToken);
    const latest = ctx.ledger.latestRefreshToken(key);
    const holdsNewest = latest === undefined || latest === tokens.refreshToken.reveal();
    if (!works || !holdsNewest) {
      unusable++;
      tally(
        `UNUSABLE (${record.status}): ${works ? '' : 'access token refused by TikTok'}${
          works || holdsNewest ? '' : '; '
        }${holdsNewest ? '' : 'stored refresh token is not the newest TikTok issued'}`,
      );
      continue;
    }
    if (record.status !== 'active') tally(`still ${record.status}`);
    if (tokens.refreshToken.reveal() !== seeded.get(connectionId(key))) refreshed++;
    else tally('never refreshed');
  }
  const notes = [...reasons].map(([reason, n]) => `${n} ${reason}`);
  return { refreshed, lost, unusable, tiktokSaid, answerLost, notes };
}

async function userInfoWorks(ctx: ScenarioContext, accessToken: Redacted): Promise<boolean> {
  try {
    await fetchUserInfo({
      apiBaseUrl: ctx.emulator.apiBaseUrl,
      accessToken,
      fields: ['open_id'],
      timeoutMs: 5000,
    });
    return true;
  } catch {
    return false;
  }
}

function refreshCallsNote(ledger: RefreshLedger, unseen: number): string {
  const rotated = ledger.calls.filter((call) => call.outcome === 'rotated').length;
  const invalidGrant = ledger.calls.filter((call) => call.errorCode === 'invalid_grant').length;
  const failed = ledger.calls.length - rotated - invalidGrant;
  const parts = [`${rotated} rotated`];
  if (failed > 0) parts.push(`${failed} failed under the fault`);
  if (invalidGrant > 0) parts.push(`${invalidGrant} answered invalid_grant`);
  if (unseen > 0) parts.push(`${unseen} by the killed refresher`);
  return `TikTok refresh calls: ${ledger.calls.length + unseen} (${parts.join(', ')})`;
}

/**
 * Refreshes the connections one at a time as a scheduled run would (same lease owner, horizon and deadline),
 * with the faults `plan` gives for the i-th connection queued at the emulator just before its refresh.
 * One at a time, so every fault lands on the connection it was meant for, on every run.
 */
export async function refreshEachWithFaults(
  ctx: ScenarioContext,
  deps: ServiceDeps,
  plan: (index: number) => FaultInput[],
): Promise<Map<RefreshOutcome['kind'], number>> {
  const outcomes = new Map<RefreshOutcome['kind'], number>();
  const owner = `run-${randomUUID()}`;
  const dueBefore = deps.now();
  for (const [index, key] of ctx.keys.entries()) {
    for (const fault of plan(index)) ctx.emulator.faults.push(fault);
    const outcome = await refreshConnection(deps, { key, owner, dueBefore, deadline: deps.now() + MINUTE });
    ctx.emulator.faults.clear();
    outcomes.set(outcome.kind, (outcomes.get(outcome.kind) ?? 0) + 1);
  }
  return outcomes;
}

export function describeOutcomes(outcomes: Map<string, number>): string {
  return [...outcomes].map(([kind, n]) => `${n} ${kind}`).join(', ');
}

export function describeRun(report: RefreshRunReport | Error): string {
  if (report instanceof Error) return `whole run failed: ${report.name}`;
  const parts = [`${report.refreshed} refreshed`];
  if (report.skipped) parts.push(`${report.skipped} skipped`);
  if (report.superseded) parts.push(`${report.superseded} superseded`);
  if (report.retryLater) parts.push(`${report.retryLater} retry later`);
  if (report.reauthRequired) parts.push(`${report.reauthRequired} reauth`);
  if (report.errors) parts.push(`${report.errors} crashed`);
  return parts.join(', ');
}
