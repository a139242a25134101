/**
 * `npm run analytics:simulate -- --days 30` — LOCAL ONLY: fills the running local stack (`npm start`) with
 * `days` of simulated snapshot history from its TikTok emulator, so the analytics dashboard shows curves.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const rootDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const envFile = join(rootDir, '.env');
if (existsSync(envFile)) process.loadEnvFile(envFile);
const { values } = parseArgs({ options: { days: { type: 'string', default: '30' } } });
const url = `http://localhost:${process.env.PORT ?? 3001}/dev/analytics/simulate?days=${encodeURIComponent(values.days ?? '30')}`;

try {
  console.log(`simulating ${values.days} days of analytics snapshots against the local emulator…`);
  const response = await fetch(url, { method: 'POST' });
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  const report = (await response.json()) as Record<string, unknown>;
  for (const [label, value] of Object.entries(report)) console.log(`  ${label.padEnd(20)} ${value}`);
  console.log(`open http://localhost:${process.env.PORT ?? 3001}/platforms/analytics`);
} catch (error) {
  const cause = (error as { cause?: { code?: string } }).cause;
  if (cause?.code === 'ECONNREFUSED') {
    console.error(`Nothing answers at ${url}: start the local stack first with \`npm start\`.`);
  } else {
    console.error(`simulation failed: ${(error as Error).message}`);
  }
  process.exit(1);
}
