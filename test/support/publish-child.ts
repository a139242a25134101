/**
 * One publisher run in its own process, for crash tests. At the publish checkpoint named by KILL_AT it prints
 * `CHECKPOINT <name>` and stops there for good, so the parent can SIGKILL it with the work stopped at that step.
 */
import { loadConfig } from '../../shared/config.js';
import { createDeps } from '../../shared/deps.js';
import { s3UploadFiles } from '../../shared/files/s3-upload-files.js';
import { Logger } from '../../shared/log.js';
import { runPublisher } from '../../shared/publish/publisher.js';

const env = process.env;
const config = loadConfig(env);
const deps = createDeps(config, {
  // Warnings and errors to stderr: the parent shows them when the child does not stop where it should.
  logger: new Logger({ sink: (line) => process.stderr.write(`${line}\n`), level: 'warn' }),
  metrics: () => undefined,
  ...(s3UploadFiles(config) ? { uploadFiles: s3UploadFiles(config) } : {}),
  publishCheckpoint: async (name) => {
    if (name !== env.KILL_AT) return;
    process.stdout.write(`CHECKPOINT ${name}\n`);
    await new Promise(() => undefined);
  },
});
const report = await runPublisher(deps, { deadline: Date.now() + 60_000 });
process.stdout.write(`DONE ${JSON.stringify(report)}\n`);
