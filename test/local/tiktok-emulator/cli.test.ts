import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, expect, it } from 'vitest';

let child: ChildProcess | undefined;

afterEach(async () => {
  if (child?.exitCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});

it('runs standalone with client credentials from the environment and prints its URLs', async () => {
  child = spawn(process.execPath, ['--import', 'tsx', 'local/tiktok-emulator/cli.ts', '--port', '0'], {
    env: { ...process.env, TIKTOK_CLIENT_KEY: 'cli-key', TIKTOK_CLIENT_SECRET: 'cli-secret' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const origin = await new Promise<string>((resolve, reject) => {
    child?.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1] !== undefined && output.includes('Ava Draws')) resolve(match[1]);
    });
    child?.once('exit', (code) => reject(new Error(`emulator exited with ${code}: ${output}`)));
  });

  const token = await fetch(`${origin}/v2/oauth/token/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_key: 'cli-key',
      client_secret: 'cli-secret',
      grant_type: 'client_credentials',
    }),
  });

  expect(output).toContain(`${origin}/v2/auth/authorize/`);
  expect(token.status).toBe(200);
  expect(await token.json()).toMatchObject({
    access_token: expect.stringMatching(/^clt\./),
    token_type: 'Bearer',
  });
}, 20_000);
