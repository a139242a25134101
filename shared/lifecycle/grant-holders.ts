import type { ServiceDeps } from '../deps.js';
import type { ConnectionKey } from '../store/connection-store.js';

/**
 * Whether a stored connection to this TikTok account, other than `except`, still holds tokens. Revoking at
 * TikTok ends the app's whole authorization for the account (every grant of it, in every app user's row), so
 * nothing revokes while another holder remains.
 *
 * When the table cannot be read that is an error (logged as one), not a holder: the answer is no, and the caller
 * revokes. Keeping the grant would leave a live token at TikTok that no row tracks and nothing will ever revoke
 * (the failure that hid a missing IAM grant); revoking at worst ends another app user's connection to the same
 * account, which its next refresh reports as reauth_required, and the user connects again.
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
    deps.logger.error('could not check other holders of a TikTok grant; revoking it', {
      event: 'grant_holders_unknown',
      openId,
      error,
    });
    return false;
  }
}
