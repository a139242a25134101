import type { ServiceDeps } from '../deps.js';
import { ConnectFlowError } from '../errors.js';
import { Redacted } from '../redacted.js';
import { sha256Hex } from '../store/hashing.js';
import { RANDOM_TOKEN_PATTERN, randomToken } from './flow-secrets.js';

/**
 * JSON mode's second step, in the browser's top-level navigation: redeem the one-time ticket, bind the flow to a
 * fresh nonce cookie of this browser, then go to TikTok.
 */
export async function launchConnect(
  deps: ServiceDeps,
  input: { ticket: string | undefined },
): Promise<{ location: string; browserNonce: Redacted }> {
  if (!input.ticket || !RANDOM_TOKEN_PATTERN.test(input.ticket)) {
    throw new ConnectFlowError('launch_invalid', 'The connect link is malformed');
  }
  const browserNonce = randomToken();
  const launch = await deps.states.consumeLaunch(
    sha256Hex(input.ticket),
    sha256Hex(browserNonce),
    deps.now(),
  );
  deps.logger.info('connect launched', { event: 'connect_launched' });
  return { location: launch.authorizeUrl, browserNonce: new Redacted(browserNonce) };
}
