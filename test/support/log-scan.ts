/**
 * Runs after every test file: every log line that any service of the file wrote is scanned for every code,
 * access token, refresh token and PKCE verifier the TikTok emulator issued or received, and the client secret,
 * in each form it could take in a line (raw, percent-encoded, base64/base64url, JSON-escaped: secret-forms.ts).
 * One hit fails the file. So the whole suite's flows, failures included, prove that nothing secret is logged.
 */
import { afterAll } from 'vitest';
import { encodedForms } from './secret-forms.js';
import { startedServices, type TestService } from './service.js';

afterAll(() => {
  for (const service of startedServices()) expectNoSecretLogged(service);
});

/**
 * Throws when a log line of `service` holds a secret seen so far (a test may call it mid-way too): what the
 * emulator issued or received (codes, tokens, verifiers, upload URLs and their tokens), the client secret, and
 * what the service made itself (`service.secrets`: presigned S3 URLs and their signatures).
 */
export function expectNoSecretLogged(service: TestService): void {
  // The token body without its `act.`/`rft.` prefix counts too: a prefix-stripped token is still a token.
  const secrets = [...service.emulator.secretsSeen(), ...service.secrets]
    .flatMap((secret) => (/^(act|rft)\./.test(secret) ? [secret, secret.slice(4)] : [secret]))
    .filter((secret) => secret.length >= 8)
    // Raw, percent-encoded, base64 / base64url and JSON-escaped: each form of each secret.
    .flatMap(encodedForms);
  for (const line of service.logs) {
    const leaked = secrets.find((secret) => line.includes(secret));
    if (leaked) {
      const shown = line.split(leaked).join('<SECRET>').slice(0, 300);
      throw new Error(
        `a log line contains a code, token, verifier, upload URL or the client secret: ${shown}`,
      );
    }
  }
}
