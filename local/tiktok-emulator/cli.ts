/**
 * Standalone emulator: npx tsx local/tiktok-emulator/cli.ts --port 3002
 * Client credentials come from TIKTOK_CLIENT_KEY / TIKTOK_CLIENT_SECRET (defaults below).
 */
import { parseArgs } from 'node:util';
import { startTikTokEmulator } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '3002' },
    host: { type: 'string', default: '127.0.0.1' },
    'redirect-uri': { type: 'string', multiple: true },
    'pkce-encoding': { type: 'string', default: 'hex' },
    'latency-ms': { type: 'string', default: '0' },
    'auto-consent': { type: 'string' },
  },
});

const pkceEncoding = values['pkce-encoding'];
if (pkceEncoding !== 'hex' && pkceEncoding !== 'base64url') {
  throw new TypeError(`--pkce-encoding must be hex or base64url, got ${pkceEncoding}`);
}
const autoConsentUser = values['auto-consent'];

const emulator = await startTikTokEmulator({
  port: Number(values.port),
  host: values.host,
  clientKey: process.env.TIKTOK_CLIENT_KEY || 'emulator-client-key',
  clientSecret: process.env.TIKTOK_CLIENT_SECRET || 'emulator-client-secret',
  ...(values['redirect-uri'] !== undefined && { redirectUris: values['redirect-uri'] }),
  pkceEncoding,
  latencyMs: Number(values['latency-ms']),
  ...(autoConsentUser !== undefined && { autoConsent: { userId: autoConsentUser } }),
});

console.log(`TikTok emulator listening on ${emulator.origin}`);
console.log(`  authorize  ${emulator.authorizeUrl}`);
console.log(`  token      ${emulator.apiBaseUrl}/v2/oauth/token/`);
console.log(`  revoke     ${emulator.apiBaseUrl}/v2/oauth/revoke/`);
console.log(`  user info  ${emulator.apiBaseUrl}/v2/user/info/`);
console.log(`  videos     ${emulator.apiBaseUrl}/v2/video/list/  ${emulator.apiBaseUrl}/v2/video/query/`);
console.log(`  faults     ${emulator.origin}/__emulator/faults`);
for (const user of emulator.users) {
  console.log(`  user ${user.openId}  ${user.displayName} (@${user.username}, ${user.videos.length} videos)`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void emulator.close().then(() => process.exit(0));
  });
}
