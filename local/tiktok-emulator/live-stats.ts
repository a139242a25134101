import { seededRandom } from '../seeded-random.js';
import type { EmulatedUser, EmulatedVideo } from './built-in-users.js';

const DAY = 86_400;

/**
 * Local only: stats that evolve over time, so the analytics dashboard shows real curves. Everything is a pure
 * function of (seed, video, instant): the same clock gives the same numbers on every run. Off by default (the
 * static catalogue tests rely on); the local stack turns it on.
 */
export type LiveStatsOptions = {
  /** When the emulated creators' recent activity is centred (unix seconds); default: the start of today (UTC). */
  anchorSeconds?: number;
};

/** What a live video is heading for: final views and how fast it gets there. */
export type VideoGrowth = {
  finalViews: number;
  tauHours: number;
  likeRate: number;
  commentRate: number;
  shareRate: number;
};
export type UserGrowth = { baseFollowers: number; anchorSeconds: number };

/** The emulator's clock: real time, shifted by the local simulation (`npm run analytics:simulate`). */
export class EmulatorClock {
  offsetSeconds = 0;
  nowSeconds(): number {
    return Math.floor(Date.now() / 1000) + this.offsetSeconds;
  }
}

/** Adds seeded recent and upcoming videos (one every 1–2.5 days, 45 days before the anchor to 120 after). */
export function addLiveActivity(users: EmulatedUser[], options: LiveStatsOptions): void {
  const anchor = options.anchorSeconds ?? Math.floor(Date.now() / 1000 / DAY) * DAY;
  users.forEach((user, userIndex) => {
    if (user.videos.length === 0) return;
    user.growth = { baseFollowers: user.followerCount, anchorSeconds: anchor };
    const random = seededRandom(7919 * (userIndex + 1));
    const themes = [...new Set(user.videos.map((v) => v.title.replace(/ #\d+$/, '')))];
    const tags = ['fyp', 'tutorial', 'behindthescenes', 'challenge', 'howto', 'daily'];
    const typical = Math.max(2_000, user.followerCount * 0.08);
    for (let at = anchor - 45 * DAY, n = 0; at < anchor + 120 * DAY; n++) {
      // Creators post at their favourite hours (evenings, UTC), not uniformly.
      const hour = [17, 18, 19, 20, 12, 21][Math.floor(random() * 6)] ?? 18;
      const createTime = Math.floor(at / DAY) * DAY + hour * 3600 + Math.floor(random() * 3600);
      const theme = themes[n % themes.length] ?? 'Video';
      const tag = tags[Math.floor(random() * tags.length)] ?? 'fyp';
      // Most videos do about as well as usual; one in eight breaks out.
      const breakout = random() < 0.125;
      const finalViews = Math.floor(typical * (0.4 + random() * 1.2) * (breakout ? 6 + random() * 6 : 1));
      const video: EmulatedVideo = {
        id: ((BigInt(createTime) << 32n) | BigInt(Math.floor(random() * 2 ** 32))).toString(),
        createTime,
        title: `${theme} (live ${n + 1})`,
        description: `${theme} – new one 🎬 #${tag} #fyp #${theme.split(' ')[0]?.toLowerCase() ?? 'video'}`,
        durationSeconds: 8 + Math.floor(random() * 120),
        width: 1080,
        height: 1920,
        likeCount: 0,
        commentCount: 0,
        shareCount: 0,
        viewCount: 0,
        growth: {
          finalViews,
          tauHours: breakout ? 10 + random() * 14 : 18 + random() * 60,
          likeRate: 0.04 + random() * 0.08,
          commentRate: 0.002 + random() * 0.004,
          shareRate: 0.001 + random() * 0.003,
        },
      };
      user.videos.push(video);
      at = createTime + Math.floor((1 + random() * 1.5) * DAY);
    }
    user.videos.sort((a, b) => b.createTime - a.createTime);
  });
}

/** A video's counters at `nowSeconds` (the stored ones for a video without growth). */
export function videoStatsAt(video: EmulatedVideo, nowSeconds: number) {
  const growth = video.growth;
  if (!growth) {
    return {
      viewCount: video.viewCount,
      likeCount: video.likeCount,
      commentCount: video.commentCount,
      shareCount: video.shareCount,
    };
  }
  const ageHours = Math.max(0, (nowSeconds - video.createTime) / 3600);
  // Saturating growth with a long tail: most views in the first days, a trickle after.
  const share = 1 - Math.exp(-ageHours / growth.tauHours);
  const tail = 1 + 0.03 * Math.log1p(ageHours / (24 * 30));
  const viewCount = Math.floor(growth.finalViews * share * tail);
  return {
    viewCount,
    likeCount: Math.floor(viewCount * growth.likeRate),
    commentCount: Math.floor(viewCount * growth.commentRate),
    shareCount: Math.floor(viewCount * growth.shareRate),
  };
}

/** Whether TikTok would show the video at `nowSeconds` (it is posted by then). */
export function isPosted(video: EmulatedVideo, nowSeconds: number): boolean {
  return video.createTime <= nowSeconds;
}

/** Followers grow slowly, and with every view of a new video (a breakout brings a jump). */
export function followerCountAt(user: EmulatedUser, nowSeconds: number): number {
  const growth = user.growth;
  if (!growth) return user.followerCount;
  const days = (nowSeconds - growth.anchorSeconds) / DAY;
  const drift = growth.baseFollowers * 0.0004 * days;
  const fromVideos = user.videos
    .filter((video) => video.growth && isPosted(video, nowSeconds))
    .reduce((sum, video) => sum + videoStatsAt(video, nowSeconds).viewCount * 0.006, 0);
  return Math.max(0, Math.floor(growth.baseFollowers + drift + fromVideos));
}

export function likesCountAt(user: EmulatedUser, nowSeconds: number): number {
  if (!user.growth) return user.likesCount;
  return user.videos
    .filter((video) => isPosted(video, nowSeconds))
    .reduce((sum, video) => sum + videoStatsAt(video, nowSeconds).likeCount, 0);
}
