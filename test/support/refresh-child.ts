/**
 * Refresh work in its own process, for crash tests and the fault benchmark. With APP_USER and OPEN_ID it refreshes
 * that one connection; without, it runs one scheduled pass. At the checkpoint named by KILL_AT it prints
 * `CHECKPOINT <name>` and stops there for good, so the parent can SIGKILL it with the work stopped at that step.
 */
import { loadConfig } from '../../shared/config.js';
import { createDeps } from '../../shared/deps.js';
import { refreshConnection } from '../../shared/lifecycle/refresh-connection.js';
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
const deadline = Date.now() + 60_000;
if (env.APP_USER && env.OPEN_ID) {
  const outcome = await refreshConnection(deps, {
    key: { appUser: env.APP_USER, openId: env.OPEN_ID },
    owner: 'doomed-child',
    deadline,
  });
  process.stdout.write(`DONE ${outcome.kind}\n`);
} else {
  const report = await runScheduledRefresh(deps, { deadline, handToQueue: false });
  process.stdout.write(`DONE ${report.refreshed}\n`);
}
