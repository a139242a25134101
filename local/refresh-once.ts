/**
 * `npm run refresh`: one refresh pass now, in the running local stack (`npm start`), and what it did.
 * `npm run refresh -- --now [openId]`: refresh now whether due or not (every connection, or one TikTok account),
 * so a fault queued at the emulator acts at once instead of when the token comes due (24 h by default).
 * It asks the running stack rather than starting its own: the emulator's tokens live in that process.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const rootDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const envFile = join(rootDir, '.env');
if (existsSync(envFile)) process.loadEnvFile(envFile);

const args = process.argv.slice(2);
const nowIndex = args.indexOf('--now');
const unknown = args.filter((arg, i) => i !== nowIndex && !(nowIndex >= 0 && i === nowIndex + 1));
if (unknown.length > 0 || args.some((arg) => arg.startsWith('-') && arg !== '--now')) {
  console.error('usage: npm run refresh [-- --now [openId]]');
  process.exit(2);
}
const query = new URLSearchParams();
if (nowIndex >= 0) {
  query.set('now', '1');
  const openId = args[nowIndex + 1];
  if (openId) query.set('openId', openId);
}
const url = `http://localhost:${process.env.PORT ?? 3001}/dev/refresh${query.size ? `?${query}` : ''}`;

type NowResult = {
  appUser: string;
  openId: string;
  outcome: string;
  reason?: string;
  retries?: number;
  status: string;
};

try {
  const response = await fetch(url, { method: 'POST' });
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  const report = (await response.json()) as Record<string, unknown>;
  if (nowIndex >= 0) printNow(report.connections as NowResult[]);
  else printPass(report);
} catch (error) {
  const cause = (error as { cause?: { code?: string } }).cause;
  if (cause?.code === 'ECONNREFUSED') {
    console.error(`Nothing answers at ${url}: start the local stack first with \`npm start\`.`);
  } else {
    console.error(`refresh failed: ${(error as Error).message}`);
  }
  process.exit(1);
}

function printNow(results: NowResult[]): void {
  if (results.length === 0) {
    console.log('no connection holding tokens matched: connect an account first (the demo page)');
    return;
  }
  for (const r of results) {
    const why = r.reason ? ` (${r.reason})` : '';
    const retries = r.retries ? `, ${r.retries} TikTok retries` : '';
    console.log(`${r.openId} of ${r.appUser}: ${r.outcome}${why}${retries}; status now ${r.status}`);
  }
}

function printPass(report: Record<string, unknown>): void {
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
  if (report.due === 0)
    console.log('  (nothing due: `npm run refresh -- --now` refreshes every connection now)');
}
