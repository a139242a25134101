/**
 * A scheduled refresher in its own process, for the crash scenarios: it runs one pass and, each time a refresh
 * reaches the checkpoint named by KILL_AT, prints `CHECKPOINT <name>` and stops there for good, so the parent can
 * SIGKILL it with every refresh in flight stopped at that step.
 */
import { loadConfig } from '../../shared/config.js';
import { createDeps } from '../../shared/deps.js';
import { runScheduledRefresh } from '../../shared/lifecycle/refresh-run.js';
import { Logger } from '../../shared/log.js';

const env = process.env;
const deps = createDeps(loadConfig(env), {
  logger: new Logger({ sink: () => undefined }),
  metrics: () => undefined,
  checkpoint: async (name) => {
    if (name !== env.KILL_AT) return;
    process.stdout.write(`CHECKPOINT ${name}\n`);
    await new Promise(() => undefined);
  },
});
const report = await runScheduledRefresh(deps, { deadline: Date.now() + 60_000, handToQueue: false });
process.stdout.write(`DONE ${report.refreshed}\n`);
