/**
 * `npm start`: the whole service on this machine. See README "Run it locally".
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../shared/config.js';
import { startLocalStack } from './local-stack.js';

const rootDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const envFile = join(rootDir, '.env');
if (existsSync(envFile)) process.loadEnvFile(envFile);

const startedAt = Date.now();
try {
  const stack = await startLocalStack({
    rootDir,
    dataDir: join(rootDir, '.data'),
    env: { ...process.env },
    log: (line) => console.log(line),
  });
  const { cors, returnUrls } = loadConfig(stack.env);
  const mode = stack.emulator
    ? `the built-in TikTok emulator (${stack.emulator.origin})`
    : 'TikTok (real credentials)';
  console.log(
    [
      '',
      `tiktok-connect is running on ${stack.url} (ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s)`,
      `  listening on   ${stack.host} (HOST; loopback only by default)`,
      `  demo page      ${stack.url}/platforms/connect`,
      `  TikTok         ${mode}`,
      `  redirect URI   ${stack.env.TIKTOK_REDIRECT_URI}`,
      `  DynamoDB       ${stack.env.DYNAMODB_ENDPOINT} (table ${stack.env.TABLE_NAME})`,
      `  dev token      curl '${stack.url}/dev/token?sub=demo-user'   (valid 1 hour)`,
      `  CORS origins   ${cors.allowedOrigins.join(', ')}`,
      `  returnTo       ${returnUrls.allowedOrigins.join(', ')}`,
      '                 a frontend on another origin: add it to ALLOWED_RETURN_ORIGINS in .env and restart',
      `  data           ${join(rootDir, '.data')} (the table, the emulator's grants, the keys: kept across restarts)`,
      '',
      'Press Ctrl+C to stop.',
    ].join('\n'),
  );
  const stop = async () => {
    console.log('stopping…');
    await stack.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error(`tiktok-connect could not start: ${(error as Error).message}`);
  process.exit(1);
}
