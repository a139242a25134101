import type { ServiceDeps } from '../deps.js';
import { ConnectFlowError } from '../errors.js';
import { Redacted } from '../redacted.js';
import { sha256Hex } from '../store/hashing.js';
import { RANDOM_TOKEN_PATTERN, randomToken } from './flow-secrets.js';
import { openWithTicket } from './launch-ticket.js';

/**
 * JSON mode's second step, in the browser's top-level navigation: redeem the one-time ticket, bind the flow to a
 * fresh nonce cookie of this browser, then go to TikTok.
 *
 * The navigation must come from one of the platform's own pages (its Referer's origin is allowed): a page
 * elsewhere that opens someone's launch link — to attach the victim's TikTok account to the attacker's app user —
 * is refused before the ticket is touched. Browsers send the referring origin by default on navigations
 * (`strict-origin-when-cross-origin`); a page that sends no Referer cannot launch.
 */
export async function launchConnect(
  deps: ServiceDeps,
  input: { ticket: string | undefined; referer: string | undefined },
): Promise<{ location: string; browserNonce: Redacted }> {
  if (!input.ticket || !RANDOM_TOKEN_PATTERN.test(input.ticket)) {
    throw new ConnectFlowError('launch_invalid', 'The connect link is malformed');
  }
  if (!refererAllowed(input.referer, deps.config.returnUrls.allowedOrigins)) {
    throw new ConnectFlowError('launch_origin_refused', 'The connect link was not opened from the app');
  }
  const browserNonce = randomToken();
  const launch = await deps.states.consumeLaunch(
    sha256Hex(input.ticket),
    sha256Hex(browserNonce),
    deps.now(),
  );
  deps.logger.info('connect launched', { event: 'connect_launched' });
  const location = openWithTicket(input.ticket, launch.sealedAuthorizeUrl);
  return { location, browserNonce: new Redacted(browserNonce) };
}

function refererAllowed(referer: string | undefined, allowedOrigins: readonly string[]): boolean {
  if (!referer) return false;
  try {
    return allowedOrigins.includes(new URL(referer).origin);
  } catch {
    return false;
  }
}
