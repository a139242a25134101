/**
 * The service alone in a process of its own (the Lambda handler modules behind the local API Gateway stand-in,
 * the publisher behind POST /dev/posts/run), so that its memory can be read from /proc without the TikTok
 * emulator, the S3 server or the benchmark's own buffers in it: those run in the parent, whose addresses come in
 * the environment. Tells its parent the URL over IPC and closes when told to (or when the parent goes away).
 */
import { resolve } from 'node:path';
import { startLocalStack } from '../../local/local-stack.js';

if (!process.send) throw new Error('run by bench/publish.ts (needs an IPC channel)');

const stack = await startLocalStack({
  rootDir: resolve(import.meta.dirname, '../..'),
  dataDir: process.env.BENCH_DATA_DIR,
  env: { ...process.env, PORT: '0' },
});

let closing: Promise<void> | undefined;
const close = () => {
  closing ??= stack.close().finally(() => process.exit(0));
  return closing;
};
process.on('message', (message) => {
  if (message === 'stop') void close();
});
process.on('disconnect', () => void close());
process.on('SIGTERM', () => void close());

process.send({ url: stack.url });
