/**
 * `npm run refresh`: one refresh pass now, in the running local stack (`npm start`), and what it did.
 * It asks the running stack rather than starting its own: the emulator's tokens live in that process.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const rootDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const envFile = join(rootDir, '.env');
if (existsSync(envFile)) process.loadEnvFile(envFile);
const url = `http://localhost:${process.env.PORT ?? 3001}/dev/refresh`;

try {
  const response = await fetch(url, { method: 'POST' });
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  const report = (await response.json()) as Record<string, unknown>;
  const rows: [string, unknown][] = [
    ['due', report.due],
    ['refreshed', report.refreshed],
    ['skipped (lease held / no longer due)', report.skipped],
    ['superseded (changed meanwhile)', report.superseded],
    ['retrying later', report.retryLater],
    ['need the user to reconnect', report.reauthRequired],
    ['operator errors (client key/secret)', report.operatorErrors],
    ['errors', report.errors],
    ['TikTok retries inside the pass', report.retries],
    ['left for the next pass', report.leftOver],
    ['duration (ms)', report.durationMs],
  ];
  console.log(`refresh pass ${report.runId}`);
  for (const [label, value] of rows) console.log(`  ${label.padEnd(40)} ${value}`);
} catch (error) {
  const cause = (error as { cause?: { code?: string } }).cause;
  if (cause?.code === 'ECONNREFUSED') {
    console.error(`Nothing answers at ${url}: start the local stack first with \`npm start\`.`);
  } else {
    console.error(`refresh failed: ${(error as Error).message}`);
  }
  process.exit(1);
}
