import type { EmulatedUser } from './built-in-users.js';
import { followerCountAt, isPosted, likesCountAt } from './live-stats.js';
import type { Scope } from './scopes.js';

/** tiktok-api.md §9: since the Feb-2024 migration profile and stats fields need their own scopes. */
export const USER_FIELD_SCOPES = {
  open_id: 'user.info.basic',
  union_id: 'user.info.basic',
  avatar_url: 'user.info.basic',
  avatar_url_100: 'user.info.basic',
  avatar_large_url: 'user.info.basic',
  display_name: 'user.info.basic',
  bio_description: 'user.info.profile',
  profile_deep_link: 'user.info.profile',
  is_verified: 'user.info.profile',
  username: 'user.info.profile',
  follower_count: 'user.info.stats',
  following_count: 'user.info.stats',
  likes_count: 'user.info.stats',
  video_count: 'user.info.stats',
} as const satisfies Record<string, Scope>;

export type UserField = keyof typeof USER_FIELD_SCOPES;

export function isUserField(value: string): value is UserField {
  return Object.hasOwn(USER_FIELD_SCOPES, value);
}

export function avatarUrl(origin: string, user: EmulatedUser, size?: number): string {
  const base = `${origin}/avatars/${encodeURIComponent(user.openId)}.svg`;
  return size === undefined ? base : `${base}?size=${size}`;
}

export function userFieldValue(
  user: EmulatedUser,
  field: UserField,
  origin: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): string | number | boolean {
  switch (field) {
    case 'open_id':
      return user.openId;
    case 'union_id':
      return user.unionId;
    case 'avatar_url':
      return avatarUrl(origin, user);
    case 'avatar_url_100':
      return avatarUrl(origin, user, 100);
    case 'avatar_large_url':
      return avatarUrl(origin, user, 1080);
    case 'display_name':
      return user.displayName;
    case 'bio_description':
      return user.bio;
    case 'profile_deep_link':
      return user.profileDeepLink;
    case 'is_verified':
      return user.isVerified;
    case 'username':
      return user.username;
    case 'follower_count':
      return followerCountAt(user, nowSeconds);
    case 'following_count':
      return user.followingCount;
    case 'likes_count':
      return likesCountAt(user, nowSeconds);
    case 'video_count':
      return user.videos.filter((video) => isPosted(video, nowSeconds)).length;
  }
}
