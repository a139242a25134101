/**
 * `npm run bench:faults`
 *
 * Scripted, repeatable fault scenarios against DynamoDB Local and the TikTok emulator: TikTok timing out, 5xx, 429,
 * errors inside HTTP 200, connections cut mid-answer, a rotation whose answer is lost; DynamoDB throttling and
 * conditional failures; the refresher killed at each step; many refreshers and on-demand callers racing. Each
 * scenario gets a fresh table with 20 due connections holding real emulator grants, then clean scheduled passes
 * with the clock moved past leases and backoffs, then a check of every connection:
 *
 * - lost: the record is gone, or it needs re-auth although TikTok never said invalid_grant for it (or TikTok
 *   said it only because the service dropped an answer it had received);
 * - tokens left unusable: the connection looks usable but its access token fails at /v2/user/info/, or the
 *   refresh token it holds is not the newest TikTok issued for it (TikTok kills the older ones on rotation);
 * - unusable, TikTok said invalid_grant: injected by the scenario, or TikTok rotated and its answer never reached
 *   a live refresher (the protocol cannot recover that: the old token is dead, the new one unknown);
 * - duplicate TikTok refresh calls: a refresh token presented again after its rotation was received, or more
 *   than one rotation for a connection that needed one. Retries after TikTok failed are not duplicates.
 *
 * Prints the table, writes it to bench/results/faults.md, exits 1 if a connection was lost, a token left
 * unusable or a duplicate call made.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startDynamoDbLocal } from '../local/dynamodb-local.js';
import { markdownTable, textTable } from './faults/results-table.js';
import { runScenario, type ScenarioResult } from './faults/scenario-harness.js';
import { scenarios } from './faults/scenarios.js';

const SEED = 20_240_605;

const started = Date.now();
const dynamodb = await startDynamoDbLocal();
const results: ScenarioResult[] = [];
try {
  const workDir = mkdtempSync(join(tmpdir(), 'bench-faults-'));
  for (const [index, scenario] of scenarios.entries()) {
    const result = await runScenario(
      { dynamodbEndpoint: dynamodb.endpoint, workDir },
      scenario,
      SEED + index,
    );
    results.push(result);
    console.error(`  ${index + 1}. ${result.name}: ${result.seconds.toFixed(1)} s`);
  }
} finally {
  await dynamodb.stop();
}

const seconds = (Date.now() - started) / 1000;
const sum = (pick: (r: ScenarioResult) => number) => results.reduce((total, r) => total + pick(r), 0);
const lost = sum((r) => r.lost);
const unusable = sum((r) => r.unusable);
const tiktokSaid = sum((r) => r.tiktokSaid);
const duplicates = sum((r) => r.duplicates);
const answerLost = sum((r) => r.answerLost);
const summary =
  `${results.length} scenarios, ${lost} connections lost, ${unusable + tiktokSaid} unusable ` +
  `(${unusable === 0 ? 'all' : `${tiktokSaid} of them`} TikTok-said: ${tiktokSaid - answerLost} invalid_grant ` +
  `injected, ${answerLost} TikTok rotated and the answer was lost), ${duplicates} duplicate refresh calls`;

console.log('\nbench/faults — fault injection against DynamoDB Local and the TikTok emulator\n');
console.log(textTable(results));
console.log(`\n${summary} (${seconds.toFixed(0)} s)`);

const resultsDir = resolve(import.meta.dirname, 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(
  join(resultsDir, 'faults.md'),
  `<!-- written by \`npm run bench:faults\` (bench/faults.ts); do not edit by hand -->\n\n${markdownTable(results)}\n\n${summary}.\n`,
);
process.exit(lost > 0 || unusable > 0 || duplicates > 0 ? 1 : 0);
