/**
 * `npm run reseal-tokens`: after rotating the token-encryption key, seal every stored token again with the
 * current key. See README "Runbook".
 *
 * AWS:   AWS_REGION=… TABLE_NAME=<TableName output> TOKEN_KMS_KEY_ID=<new key ARN> npm run reseal-tokens
 * Local: npm run reseal-tokens   (uses .env, DYNAMODB_ENDPOINT or the running local stack's DynamoDB)
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../shared/config.js';
import { kmsDataKeys } from '../shared/crypto/kms-data-keys.js';
import { LocalKeyFileProvider } from '../shared/crypto/local-key-file.js';
import { createDeps } from '../shared/deps.js';
import { resealAllTokens } from '../shared/lifecycle/reseal-tokens.js';
import { Logger } from '../shared/log.js';

const rootDir = resolve(import.meta.dirname, '..');
if (existsSync(join(rootDir, '.env'))) process.loadEnvFile(join(rootDir, '.env'));
// Only the key and the table matter here; TikTok settings get stand-ins if unset.
const config = loadConfig({
  TIKTOK_CLIENT_KEY: 'unused',
  TIKTOK_CLIENT_SECRET: 'unused',
  ...process.env,
});
const dataKeys = kmsDataKeys(config) ?? new LocalKeyFileProvider(join(rootDir, '.data', 'token-key.json'));
const deps = createDeps(config, { dataKeys, logger: new Logger({ level: 'warn' }) });
const currentKeyVersion = (await dataKeys.keyForEncrypt()).ref.keyVersion;
console.log(`resealing tokens in ${config.tableName} with ${currentKeyVersion}…`);
const report = await resealAllTokens(deps, { currentKeyVersion });
console.log(report);
if (report.failed > 0) process.exit(1);
