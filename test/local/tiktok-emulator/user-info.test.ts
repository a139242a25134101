import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EmulatedUser, TikTokEmulator } from '../../../local/tiktok-emulator/index.js';
import { connectUser, type DisplayBody, getUserInfo, startEmulator, userNamed } from './emulator-fixture.js';

const ALL_FIELDS =
  'open_id,union_id,avatar_url,avatar_url_100,avatar_large_url,display_name,bio_description,profile_deep_link,' +
  'is_verified,username,follower_count,following_count,likes_count,video_count';

let emulator: TikTokEmulator;
let mia: EmulatedUser;

beforeEach(async () => {
  emulator = await startEmulator();
  mia = userNamed(emulator, 'Mia Moves');
});
afterEach(() => emulator.close());

describe('GET /v2/user/info/', () => {
  it('answers only the requested fields under data.user, with error.code ok', async () => {
    const tokens = await connectUser(emulator, mia.openId);

    const response = await getUserInfo(emulator, tokens.access_token, 'open_id,display_name');
    const body = (await response.json()) as DisplayBody;

    expect(response.status).toBe(200);
    expect(body).toEqual({
      data: { user: { open_id: mia.openId, display_name: 'Mia Moves' } },
      error: { code: 'ok', message: '', log_id: response.headers.get('x-tt-logid') },
    });
  });

  it('answers every field when every scope was granted, with avatars served by the emulator', async () => {
    const tokens = await connectUser(emulator, mia.openId);

    const response = await getUserInfo(emulator, tokens.access_token, ALL_FIELDS);
    const { user } = ((await response.json()) as DisplayBody<{ user: Record<string, unknown> }>).data;
    const avatar = await fetch(String(user.avatar_url_100));

    expect(Object.keys(user).sort()).toEqual(ALL_FIELDS.split(',').sort());
    expect(user).toMatchObject({
      union_id: mia.unionId,
      username: 'miamoves',
      is_verified: true,
      video_count: 45,
      follower_count: mia.followerCount,
    });
    expect(String(user.avatar_url)).toBe(`${emulator.origin}/avatars/${mia.openId}.svg`);
    expect(avatar.status).toBe(200);
    expect(avatar.headers.get('content-type')).toBe('image/svg+xml');
    expect(await avatar.text()).toContain('<svg');
  });

  it('refuses a call without fields or with an unknown field', async () => {
    const tokens = await connectUser(emulator, mia.openId);

    const missing = await getUserInfo(emulator, tokens.access_token, '');
    const unknown = await getUserInfo(emulator, tokens.access_token, 'open_id,email');

    expect(missing.status).toBe(400);
    expect(((await missing.json()) as DisplayBody).error.code).toBe('invalid_params');
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as DisplayBody).error.code).toBe('invalid_params');
  });

  it('fails the whole call with scope_permission_missed when one field needs an ungranted scope', async () => {
    const tokens = await connectUser(emulator, mia.openId, ['user.info.basic', 'video.list']);

    const response = await getUserInfo(emulator, tokens.access_token, 'open_id,username');
    const body = (await response.json()) as DisplayBody;

    expect(response.status).toBe(400);
    expect(body.data).toEqual({});
    expect(body.error.code).toBe('scope_permission_missed');
  });

  it('answers scope_not_authorized when the token lacks user.info.basic', async () => {
    const tokens = await connectUser(emulator, mia.openId, ['video.list']);

    const response = await getUserInfo(emulator, tokens.access_token, 'open_id');

    expect(response.status).toBe(401);
    expect(((await response.json()) as DisplayBody).error.code).toBe('scope_not_authorized');
  });

  it('answers access_token_invalid for a missing or unknown token', async () => {
    const unknown = await getUserInfo(emulator, 'act.nope', 'open_id');
    const missing = await fetch(`${emulator.apiBaseUrl}/v2/user/info/?fields=open_id`);

    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toEqual({
      data: {},
      error: { code: 'access_token_invalid', message: expect.any(String), log_id: expect.any(String) },
    });
    expect(missing.status).toBe(401);
    expect(emulator.calls.list('user_info').map((call) => call.errorCode)).toEqual([
      'access_token_invalid',
      'access_token_invalid',
    ]);
  });

  it('does not answer POST', async () => {
    const tokens = await connectUser(emulator, mia.openId);

    const response = await fetch(`${emulator.apiBaseUrl}/v2/user/info/?fields=open_id`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });

    expect(response.status).toBe(405);
  });
});
