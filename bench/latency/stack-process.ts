/**
 * The local stack in a process of its own, so that the load generator does not share its event loop: DynamoDB
 * Local in memory, the TikTok emulator, the HTTP server running the Lambda handler modules. Tells its parent the
 * URL over IPC and closes everything when told to (or when the parent goes away). Its stdout (the handlers'
 * log lines) is discarded by the parent.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startLocalStack } from '../../local/local-stack.js';

if (!process.send) throw new Error('run by bench/latency.ts (needs an IPC channel)');

const stack = await startLocalStack({
  rootDir: resolve(import.meta.dirname, '../..'),
  dataDir: undefined,
  env: {
    PORT: '0',
    TABLE_NAME: `latency-${Date.now()}`,
    TOKEN_KEY_FILE: join(mkdtempSync(join(tmpdir(), 'bench-latency-')), 'token-key.json'),
    // The app-wide TikTok budget would turn most profile reads into 429s at these rates.
    TIKTOK_RATE_LIMIT_PER_MINUTE: '100000000',
    // One bench client is every user: neither a user's share nor the per-IP limit may throttle it.
    TIKTOK_USER_RATE_SHARE_PERCENT: '100',
    PUBLIC_ROUTE_RATE_LIMIT_PER_MINUTE: '100000000',
    REFRESH_INTERVAL_SECONDS: '0',
  },
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

process.send({ url: stack.url, emulatorUsers: stack.emulator?.users.map((user) => user.openId) ?? [] });
