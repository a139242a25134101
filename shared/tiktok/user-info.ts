import { TikTokError } from '../errors.js';
import type { Redacted } from '../redacted.js';
import { callDisplayApi } from './display-api.js';
import type { UserField } from './scopes.js';
import { type FetchLike, isRecord } from './tiktok-http.js';

export type TikTokProfile = {
  openId: string;
  unionId?: string;
  displayName?: string;
  avatarUrl?: string;
  avatarUrl100?: string;
  avatarLargeUrl?: string;
  username?: string;
  bioDescription?: string;
  profileDeepLink?: string;
  isVerified?: boolean;
  followerCount?: number;
  followingCount?: number;
  likesCount?: number;
  videoCount?: number;
};

/** `GET /v2/user/info/?fields=…`: fields in the query string, no body; the user sits under `data.user`. */
export async function fetchUserInfo(input: {
  apiBaseUrl: string;
  accessToken: Redacted;
  fields: readonly UserField[];
  timeoutMs: number;
  deadline?: number | undefined;
  fetch?: FetchLike;
}): Promise<{ profile: TikTokProfile; logId: string | undefined }> {
  const { data, logId } = await callDisplayApi({
    apiBaseUrl: input.apiBaseUrl,
    path: '/v2/user/info/',
    method: 'GET',
    fields: input.fields,
    accessToken: input.accessToken,
    timeoutMs: input.timeoutMs,
    deadline: input.deadline,
    fetch: input.fetch,
  });
  const user = data.user;
  if (!isRecord(user) || typeof user.open_id !== 'string' || user.open_id === '') {
    throw new TikTokError('tiktok_bad_response', 'TikTok user info has no data.user.open_id', {
      logId,
      retryable: false,
    });
  }
  return { profile: profileFrom(user), logId };
}

function profileFrom(user: Record<string, unknown>): TikTokProfile {
  const text = (key: string) => (typeof user[key] === 'string' ? (user[key] as string) : undefined);
  const count = (key: string) => {
    const value = user[key];
    return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  };
  return dropUndefined({
    openId: user.open_id as string,
    unionId: text('union_id'),
    displayName: text('display_name'),
    avatarUrl: text('avatar_url'),
    avatarUrl100: text('avatar_url_100'),
    avatarLargeUrl: text('avatar_large_url'),
    username: text('username'),
    bioDescription: text('bio_description'),
    profileDeepLink: text('profile_deep_link'),
    isVerified: typeof user.is_verified === 'boolean' ? user.is_verified : undefined,
    followerCount: count('follower_count'),
    followingCount: count('following_count'),
    likesCount: count('likes_count'),
    videoCount: count('video_count'),
  });
}

function dropUndefined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
