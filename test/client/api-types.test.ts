import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const rootDir = resolve(import.meta.dirname, '../..');

describe('client/api-types.ts', () => {
  it('is what openapi-typescript makes of openapi.json today (run `npm run openapi` after changing the API)', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'tc-types-')), 'api-types.ts');
    execFileSync(
      join(rootDir, 'node_modules/.bin/openapi-typescript'),
      [join(rootDir, 'openapi.json'), '--output', out],
      {
        cwd: rootDir,
        stdio: 'pipe',
      },
    );
    expect(readFileSync(join(rootDir, 'client/api-types.ts'), 'utf8')).toBe(readFileSync(out, 'utf8'));
  });

  it('keeps the client free of server code: a frontend bundles client/ and openapi-fetch only', async () => {
    const { build } = await import('esbuild');
    const result = await build({
      entryPoints: [join(rootDir, 'client/index.ts')],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      metafile: true,
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(
      inputs.filter((path) => !path.startsWith('client/') && !path.includes('node_modules/openapi-fetch/')),
    ).toEqual([]);
  });
});
