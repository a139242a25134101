/**
 * Local only: fast-forwards simulated days of analytics snapshots against the running stack's emulator, so the
 * dashboard has real curves to show. The emulator's clock and the pass's clock are moved back `days` and then
 * forward an hour at a time to the present, running one snapshot pass per step (the cadence decides what each
 * step snapshots). The connections' history so far is replaced. Never part of a deployment: it needs the
 * in-process emulator.
 */
import { runSnapshotPass } from '../shared/analytics/snapshot-pass.js';
import { loadConfig } from '../shared/config.js';
import { createDeps } from '../shared/deps.js';
import { Logger } from '../shared/log.js';
import type { TikTokEmulator } from './tiktok-emulator/index.js';

const HOUR_MS = 3_600_000;
export const MAX_SIMULATED_DAYS = 120;

export type SimulationReport = {
  days: number;
  passes: number;
  accountSnapshots: number;
  videoSnapshots: number;
  discovered: number;
  breakouts: number;
  tiktokCalls: number;
  durationMs: number;
};

export async function simulateAnalytics(emulator: TikTokEmulator, days: number): Promise<SimulationReport> {
  if (!Number.isInteger(days) || days < 1 || days > MAX_SIMULATED_DAYS) {
    throw new RangeError(`days must be a whole number from 1 to ${MAX_SIMULATED_DAYS}`);
  }
  const started = Date.now();
  const end = Math.floor(started / HOUR_MS) * HOUR_MS;
  let simNow = end - days * 24 * HOUR_MS;
  const deps = createDeps(loadConfig(), {
    now: () => simNow,
    logger: new Logger({ sink: () => undefined }),
    metrics: () => undefined,
  });
  const report: SimulationReport = {
    days,
    passes: 0,
    accountSnapshots: 0,
    videoSnapshots: 0,
    discovered: 0,
    breakouts: 0,
    tiktokCalls: 0,
    durationMs: 0,
  };
  try {
    // Every connection starts its history at the beginning of the simulated period: what it had (its first
    // snapshot at connect, earlier passes) is replaced, so no point lies after the simulated ones.
    for await (const record of deps.connections.connectionsWithTokens()) {
      const key = { appUser: record.appUser, openId: record.openId };
      await deps.analytics.deleteAll(key);
      await deps.analytics.enrol(key, { connectedAt: simNow, dueAt: simNow, now: simNow });
    }
    for (; simNow <= end; simNow += HOUR_MS) {
      emulator.clock.offsetSeconds = Math.round((simNow - Date.now()) / 1000);
      const pass = await runSnapshotPass(deps, { deadline: Number.POSITIVE_INFINITY });
      report.passes++;
      report.accountSnapshots += pass.accountSnapshots;
      report.videoSnapshots += pass.videoSnapshots;
      report.discovered += pass.discovered;
      report.breakouts += pass.breakouts;
      report.tiktokCalls +=
        pass.tiktokCalls.user_info + pass.tiktokCalls.video_list + pass.tiktokCalls.video_query;
    }
  } finally {
    emulator.clock.offsetSeconds = 0;
  }
  report.durationMs = Date.now() - started;
  return report;
}
