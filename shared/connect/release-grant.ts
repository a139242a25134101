import type { ServiceDeps } from '../deps.js';
import { grantHeldElsewhere } from '../lifecycle/grant-holders.js';
import { revokeQuietly } from '../lifecycle/refresh-connection.js';
import type { Redacted } from '../redacted.js';

export type GrantRelease =
  | { released: 'revoked' }
  | { released: 'in_use' }
  | { released: 'failed'; reason: string };

/**
 * Gives back a grant no connection will hold (an unsaved, refused or expired connect result), so no live token
 * is left behind at TikTok — unless a stored connection to the same TikTok account still holds tokens: revoking
 * ends the app's whole authorization for that account, so it would kill a working connection.
 */
export async function releaseUnusedGrant(
  deps: ServiceDeps,
  grant: { openId: string; accessToken: Redacted },
  log: ServiceDeps['logger'],
): Promise<GrantRelease> {
  if (await grantHeldElsewhere(deps, grant.openId)) {
    log.info('unsaved grant not revoked: a stored connection to this account still uses the authorization', {
      event: 'revoke_skipped_grant_in_use',
    });
    return { released: 'in_use' };
  }
  const result = await revokeQuietly(deps, grant.accessToken, log);
  return result.revoked ? { released: 'revoked' } : { released: 'failed', reason: result.reason };
}
