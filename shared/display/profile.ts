import type { ServiceDeps } from '../deps.js';
import type { ConnectionKey } from '../store/connection-store.js';
import { USER_FIELDS_BY_SCOPE, userFieldsForScopes } from '../tiktok/scopes.js';
import type { TikTokProfile } from '../tiktok/user-info.js';
import { type BackgroundReadOptions, readFromTikTok, type TikTokReadResult } from './tiktok-read.js';

const USER_INFO_SCOPES = Object.keys(USER_FIELDS_BY_SCOPE);

/**
 * The connected account's profile from `/v2/user/info/`, asking only for fields the granted scopes allow (one
 * field too many fails the whole call): basic always, bio and handle with user.info.profile, counters with
 * user.info.stats.
 */
export function readProfile(
  deps: ServiceDeps,
  key: ConnectionKey,
  options: BackgroundReadOptions = {},
): Promise<TikTokReadResult<TikTokProfile>> {
  return readFromTikTok(deps, key, {
    endpoint: 'user_info',
    budgetShare: options.budgetShare,
    scopes: (record) => [
      'user.info.basic',
      ...record.scopes.filter((scope) => scope !== 'user.info.basic' && USER_INFO_SCOPES.includes(scope)),
    ],
    // A background read wants the present, not the frontend's cached answer.
    cacheEntry: options.budgetShare === undefined ? 'profile' : undefined,
    call: async (accessToken, record) => {
      const { profile, logId } = await deps.tiktokUserInfo(accessToken, userFieldsForScopes(record.scopes));
      return { value: profile, logId };
    },
  });
}
