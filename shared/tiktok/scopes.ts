/** TikTok joins scopes with commas (not spaces, unlike RFC 6749 §3.3). */
export function parseScopeList(value: string | undefined | null): string[] {
  if (!value) return [];
  return [...new Set(value.split(/[,\s]+/).filter(Boolean))];
}

export function joinScopes(scopes: readonly string[]): string {
  return scopes.join(',');
}

/** User-info fields and the scope each needs (tiktok-api.md §9): asking for one not granted fails the whole call. */
export const USER_FIELDS_BY_SCOPE = {
  'user.info.basic': [
    'open_id',
    'union_id',
    'avatar_url',
    'avatar_url_100',
    'avatar_large_url',
    'display_name',
  ],
  'user.info.profile': ['bio_description', 'profile_deep_link', 'is_verified', 'username'],
  'user.info.stats': ['follower_count', 'following_count', 'likes_count', 'video_count'],
} as const;

export type UserField = (typeof USER_FIELDS_BY_SCOPE)[keyof typeof USER_FIELDS_BY_SCOPE][number];

export function userFieldsForScopes(granted: readonly string[]): UserField[] {
  const fields: UserField[] = [];
  for (const [scope, scopeFields] of Object.entries(USER_FIELDS_BY_SCOPE)) {
    if (granted.includes(scope)) fields.push(...scopeFields);
  }
  return fields;
}
