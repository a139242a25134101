import type { ServiceDeps } from '../deps.js';
import type { ConnectionKey } from '../store/connection-store.js';

/**
 * Whether a stored connection to this TikTok account, other than `except`, still holds tokens. Revoking at
 * TikTok ends the app's whole authorization for the account (every grant of it, in every app user's row), so
 * nothing revokes while another holder remains. When the table cannot be read, the answer is yes: leaving a grant
 * alive is recoverable, ending someone else's working connection is not.
 */
export async function grantHeldElsewhere(
  deps: ServiceDeps,
  openId: string,
  except?: ConnectionKey,
): Promise<boolean> {
  try {
    for (const key of await deps.connections.findByOpenId(openId)) {
      if (except && key.appUser === except.appUser && key.openId === except.openId) continue;
      if ((await deps.connections.get(key.appUser, key.openId))?.sealedTokens) return true;
    }
    return false;
  } catch (error) {
    deps.logger.warn('could not check other holders of a TikTok grant; not revoking', {
      event: 'grant_holders_unknown',
      openId,
      error,
    });
    return true;
  }
}
