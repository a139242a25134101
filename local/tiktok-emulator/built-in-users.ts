import { seededRandom } from '../seeded-random.js';
export type EmulatedVideo = {
  /** 19-digit string: TikTok ids carry the create time in their top 32 bits and exceed Number.MAX_SAFE_INTEGER. */
  id: string;
  /** Unix seconds (the list cursor is milliseconds). */
  createTime: number;
  title: string;
  description: string;
  durationSeconds: number;
  width: number;
  height: number;
  likeCount: number;
  commentCount: number;
  shareCount: number;
  viewCount: number;
  /** Live stats only (local): where the counters are heading; absent = the counters above, fixed. */
  growth?: import('./live-stats.js').VideoGrowth;
};

export type EmulatedUser = {
  openId: string;
  unionId: string;
  displayName: string;
  username: string;
  bio: string;
  isVerified: boolean;
  profileDeepLink: string;
  followerCount: number;
  followingCount: number;
  likesCount: number;
  /** Newest first, distinct create times. */
  videos: EmulatedVideo[];
  /** Live stats only (local): followers evolve from this base. */
  growth?: import('./live-stats.js').UserGrowth;
};

type Persona = Omit<EmulatedUser, 'videos' | 'likesCount'> & {
  videoCount: number;
  newestVideoAt: number;
  themes: string[];
};

const PERSONAS: Persona[] = [
  {
    openId: '723f24d7-e717-40f8-a2b6-cb8464cd23b4',
    unionId: 'c9bc4e5a-4b2e-5b0e-9d0c-1f3f8e27a001',
    displayName: 'Mia Moves',
    username: 'miamoves',
    bio: 'Dance every day 💃 Choreo, tutorials & "bad" takes.',
    isVerified: true,
    profileDeepLink: 'https://vm.tiktok.com/ZMmiaMoves/',
    followerCount: 1_284_301,
    followingCount: 312,
    videoCount: 45,
    newestVideoAt: 1_748_736_000, // 2025-06-01T00:00:00Z
    themes: ['Shuffle tutorial', 'Morning routine', 'Duet challenge', 'Behind the choreo', 'Slow-mo spin'],
  },
  {
    openId: '0b8e6c1a-3f52-4d8e-9a71-5c2d9e4f6a02',
    unionId: 'c9bc4e5a-4b2e-5b0e-9d0c-1f3f8e27a002',
    displayName: 'Leo Bakes',
    username: 'leo.bakes',
    bio: 'Sourdough & <small> cakes. Recipes in the comments.',
    isVerified: false,
    profileDeepLink: 'https://vm.tiktok.com/ZMleoBakes/',
    followerCount: 48_211,
    followingCount: 1_022,
    videoCount: 3,
    newestVideoAt: 1_746_057_600, // 2025-05-01T00:00:00Z
    themes: ['Sourdough starter day', 'Croissant lamination', 'Lemon tart'],
  },
  {
    openId: 'f1e2d3c4-b5a6-4978-8a6b-5c4d3e2f1a03',
    unionId: 'c9bc4e5a-4b2e-5b0e-9d0c-1f3f8e27a003',
    displayName: 'Ava Draws',
    username: 'avadraws',
    bio: '',
    isVerified: false,
    profileDeepLink: 'https://vm.tiktok.com/ZMavaDraws/',
    followerCount: 0,
    followingCount: 5,
    videoCount: 0,
    newestVideoAt: 1_743_465_600,
    themes: [],
  },
];

/** Fresh copies, so tests may edit one emulator's accounts without touching another's. */
export function createBuiltInUsers(): EmulatedUser[] {
  return PERSONAS.map(({ videoCount, newestVideoAt, themes, ...profile }, userIndex) => {
    const videos = Array.from({ length: videoCount }, (_, i) =>
      createVideo(userIndex, i, newestVideoAt, themes[i % themes.length] ?? 'Video'),
    );
    return { ...profile, likesCount: videos.reduce((sum, v) => sum + v.likeCount, 0), videos };
  });
}

function createVideo(userIndex: number, index: number, newestAt: number, theme: string): EmulatedVideo {
  const random = seededRandom(userIndex * 1000 + index + 1);
  // Irregular gaps, still strictly decreasing so a millisecond cursor never splits two videos.
  const createTime = newestAt - index * 86_400 - Math.floor(random() * 40_000);
  const lowBits = BigInt(Math.floor(random() * 2 ** 32));
  const id = ((BigInt(createTime) << 32n) | lowBits).toString();
  const viewCount = 1_000 + Math.floor(random() * 2_000_000);
  const portrait = index % 7 !== 3;
  return {
    id,
    createTime,
    title: `${theme} #${index + 1}`,
    description: `${theme} #${index + 1} – part of the series 🎬 #fyp #emulator`,
    durationSeconds: 5 + Math.floor(random() * 175),
    width: portrait ? 1080 : 1920,
    height: portrait ? 1920 : 1080,
    likeCount: Math.floor(viewCount * (0.02 + random() * 0.1)),
    commentCount: Math.floor(viewCount * random() * 0.005),
    shareCount: Math.floor(viewCount * random() * 0.002),
    viewCount,
  };
}
