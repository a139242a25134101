import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EmulatedUser, TikTokEmulator } from '../../../local/tiktok-emulator/index.js';
import { connectUser, type DisplayBody, postVideos, startEmulator, userNamed } from './emulator-fixture.js';

type Video = { id: string; create_time: number; title?: string; cover_image_url?: string };
type VideoPage = DisplayBody<{ videos: Video[]; cursor: number; has_more: boolean }>;

let emulator: TikTokEmulator;
let mia: EmulatedUser;
let miaToken: string;

beforeEach(async () => {
  emulator = await startEmulator();
  mia = userNamed(emulator, 'Mia Moves');
  miaToken = (await connectUser(emulator, mia.openId)).access_token;
});
afterEach(async () => {
  vi.useRealTimers();
  await emulator.close();
});

async function listPage(body: unknown, token = miaToken, fields?: string) {
  const response = await postVideos(emulator, 'list', token, body, fields);
  return { response, body: (await response.json()) as VideoPage };
}

describe('POST /v2/video/list/', () => {
  it('pages through 45 videos newest first, 20 at a time', async () => {
    const pages: VideoPage['data'][] = [];
    let cursor: number | undefined;
    do {
      const { response, body } = await listPage(
        cursor === undefined ? { max_count: 20 } : { max_count: 20, cursor },
      );
      expect(response.status).toBe(200);
      expect(body.error.code).toBe('ok');
      pages.push(body.data);
      cursor = body.data.cursor;
    } while (pages.at(-1)?.has_more && pages.length < 5);

    const videos = pages.flatMap((page) => page.videos);
    expect(pages.map((page) => page.videos.length)).toEqual([20, 20, 5]);
    expect(pages.map((page) => page.has_more)).toEqual([true, true, false]);
    expect(new Set(videos.map((video) => video.id)).size).toBe(45);
    for (const page of pages) expect(page.cursor).toBe((page.videos.at(-1)?.create_time ?? 0) * 1000);
    const times = videos.map((video) => video.create_time);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    for (const video of videos) {
      expect(video.id).toMatch(/^\d{19}$/);
      expect(Number.isSafeInteger(Number(video.id))).toBe(false);
      expect(Object.keys(video).sort()).toEqual(['create_time', 'id', 'title']);
    }
  });

  it('answers 10 videos by default and takes any timestamp as a cursor', async () => {
    const first = await listPage({});
    const fifth = mia.videos[4];
    const older = await listPage({ cursor: (fifth?.createTime ?? 0) * 1000 });

    expect(first.body.data.videos).toHaveLength(10);
    expect(older.body.data.videos[0]?.id).toBe(mia.videos[5]?.id);
  });

  it('answers an empty page for a user without videos', async () => {
    const ava = await connectUser(emulator, userNamed(emulator, 'Ava Draws').openId);

    const { response, body } = await listPage({ max_count: 20 }, ava.access_token);

    expect(response.status).toBe(200);
    expect(body.data.videos).toEqual([]);
    expect(body.data.has_more).toBe(false);
  });

  it.each([{ max_count: 0 }, { max_count: 21 }, { max_count: '5' }, { cursor: 'yesterday' }])(
    'refuses %j with invalid_params',
    async (bad) => {
      const { response, body } = await listPage(bad);

      expect(response.status).toBe(400);
      expect(body.error.code).toBe('invalid_params');
    },
  );

  it('refuses v1-style fields in the body and a missing fields parameter', async () => {
    const v1 = await listPage({ max_count: 5, fields: ['id', 'title'] });
    const noFields = await listPage({ max_count: 5 }, miaToken, '');

    expect(v1.body.error.code).toBe('invalid_params');
    expect(noFields.body.error.code).toBe('invalid_params');
  });

  it('answers scope_not_authorized without video.list', async () => {
    const basicOnly = await connectUser(emulator, mia.openId, ['user.info.basic']);

    const { response, body } = await listPage({}, basicOnly.access_token);

    expect(response.status).toBe(401);
    expect(body.error.code).toBe('scope_not_authorized');
  });

  it('serves covers that expire like TikTok CDN links', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { body } = await listPage({ max_count: 1 }, miaToken, 'id,cover_image_url');
    const coverUrl = body.data.videos[0]?.cover_image_url ?? '';

    const fresh = await fetch(coverUrl);
    vi.setSystemTime(Date.now() + 6 * 3600_000 + 1000);
    const stale = await fetch(coverUrl);

    expect(new URL(coverUrl).pathname).toBe(`/covers/${body.data.videos[0]?.id}.svg`);
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('content-type')).toBe('image/svg+xml');
    expect(stale.status).toBe(403);
  });
});

describe('POST /v2/video/query/', () => {
  it("answers only the caller's own videos among the ids, in the order asked", async () => {
    const leo = userNamed(emulator, 'Leo Bakes');
    const wanted = [mia.videos[7]?.id, leo.videos[0]?.id, mia.videos[2]?.id, '7000000000000000000'];

    const response = await postVideos(
      emulator,
      'query',
      miaToken,
      { filters: { video_ids: wanted } },
      'id,title',
    );
    const body = (await response.json()) as VideoPage;

    expect(response.status).toBe(200);
    expect(body.error.code).toBe('ok');
    expect(body.data.videos.map((video) => video.id)).toEqual([mia.videos[7]?.id, mia.videos[2]?.id]);
  });

  it.each([
    { filters: { video_ids: [] } },
    {
      filters: {
        video_ids: Array.from({ length: 21 }, (_, i) => String(7_000_000_000_000_000_000n + BigInt(i))),
      },
    },
    // A 19-digit id sent as a JSON number has already lost its last digits.
    { filters: { video_ids: [Number('7077642457847991554')] } },
    { video_ids: ['7077642457847991554'] },
  ])('refuses %j with invalid_params', async (bad) => {
    const response = await postVideos(emulator, 'query', miaToken, bad);

    expect(response.status).toBe(400);
    expect(((await response.json()) as DisplayBody).error.code).toBe('invalid_params');
  });
});
