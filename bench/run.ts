/**
 * `npm run bench`: every benchmark in turn, each in its own process, with settings that keep the whole under about
 * three minutes (the refresh benchmark on 1,000 connections, 5 cold-start samples, publishing a 100 MB file and a
 * burst of 20 posts). Run one alone, with its full defaults, through its own script (`npm run bench:refresh`, …).
 * Goes on after a failure; exits 1 if any failed.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const BENCHES: { name: string; args: string[] }[] = [
  { name: 'refresh', args: ['--connections', '1000'] },
  { name: 'cold-start', args: ['--runs', '5'] },
  { name: 'faults', args: [] },
  { name: 'requests', args: [] },
  { name: 'cost', args: [] },
  { name: 'latency', args: [] },
  { name: 'publish', args: ['--size-mb', '100', '--posts', '20'] },
];

const outcomes: string[] = [];
for (const bench of BENCHES) {
  const started = Date.now();
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', resolve(import.meta.dirname, `${bench.name}.ts`), ...bench.args],
    { stdio: 'inherit' },
  );
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  outcomes.push(
    `${bench.name}: ${run.status === 0 ? 'ok' : `failed (exit ${run.status ?? run.signal})`}, ${seconds} s`,
  );
}

console.log(`\nnpm run bench\n${outcomes.map((line) => `  ${line}`).join('\n')}`);
process.exitCode = outcomes.every((line) => line.includes(': ok')) ? 0 : 1;
