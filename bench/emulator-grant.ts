import type { TikTokEmulator } from '../local/tiktok-emulator/index.js';
import type { ServiceDeps } from '../shared/deps.js';
import { Redacted } from '../shared/redacted.js';
import type { TikTokTokenSet } from '../shared/tiktok/oauth-client.js';
import { codeChallengeS256, createCodeVerifier } from '../shared/tiktok/pkce.js';

/**
 * Connects (or reconnects) an account as the callback does, without the browser: a real code from the emulator,
 * a real code exchange, the connection stored in one write. For benchmarks that need many connections fast.
 */
export async function connectWithEmulatorGrant(
  deps: ServiceDeps,
  emulator: TikTokEmulator,
  input: { appUser: string; userId: string; redirectUri: string; displayName?: string; scopes?: string[] },
): Promise<TikTokTokenSet> {
  const verifier = createCodeVerifier();
  const code = emulator.issueCode({
    userId: input.userId,
    scopes: (input.scopes ?? ['user.info.basic', 'video.list']) as Parameters<
      TikTokEmulator['issueCode']
    >[0]['scopes'],
    redirectUri: input.redirectUri,
    codeChallenge: codeChallengeS256(verifier, 'hex'),
    codeChallengeMethod: 'S256',
  });
  const grant = await deps.tiktokOAuth.exchangeCode({
    code: new Redacted(code),
    redirectUri: input.redirectUri,
    codeVerifier: new Redacted(verifier),
  });
  await deps.connections.saveConnected({
    appUser: input.appUser,
    openId: grant.openId,
    grant,
    profile: input.displayName ? { displayName: input.displayName } : {},
    now: deps.now(),
  });
  return grant;
}
