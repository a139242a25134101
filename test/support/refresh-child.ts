/**
 * A refresh in its own process, for crash tests: it runs `refreshConnection` for one connection and, at the
 * checkpoint named by KILL_AT, prints `CHECKPOINT <name>` and waits forever, so the parent can SIGKILL it there.
 */
import { loadConfig } from '../../shared/config.js';
import { createDeps } from '../../shared/deps.js';
import { refreshConnection } from '../../shared/lifecycle/refresh-connection.js';
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
const outcome = await refreshConnection(deps, {
  key: { appUser: env.APP_USER ?? '', openId: env.OPEN_ID ?? '' },
  owner: 'doomed-child',
  deadline: Date.now() + 60_000,
});
process.stdout.write(`DONE ${outcome.kind}\n`);
