import type { AccountPoint, TrackedVideo, VideoPoint } from '../store/analytics-store.js';

const HEADER = [
  'series',
  'video_id',
  'at',
  'follower_count',
  'following_count',
  'likes_count',
  'video_count',
  'view_count',
  'like_count',
  'comment_count',
  'share_count',
];

/** The series as CSV (RFC 4180): one row per point, the account's first, then each video's. */
export function seriesCsv(
  account: readonly AccountPoint[],
  videos: readonly { video: TrackedVideo; points: readonly VideoPoint[] }[],
): string {
  const rows = [HEADER];
  const n = (value: number | undefined) => (value === undefined ? '' : String(value));
  for (const p of account) {
    rows.push([
      'account',
      '',
      iso(p.at),
      n(p.followerCount),
      n(p.followingCount),
      n(p.likesCount),
      n(p.videoCount),
      '',
      '',
      '',
      '',
    ]);
  }
  for (const { video, points } of videos) {
    for (const p of points) {
      rows.push([
        'video',
        video.id,
        iso(p.at),
        '',
        '',
        '',
        '',
        n(p.viewCount),
        n(p.likeCount),
        n(p.commentCount),
        n(p.shareCount),
      ]);
    }
  }
  return `${rows.map((row) => row.map(cell).join(',')).join('\r\n')}\r\n`;
}

const iso = (at: number) => new Date(at).toISOString();

/** Quotes what needs it; a cell starting like a formula is prefixed so a spreadsheet shows it as text. */
function cell(value: string): string {
  const safe = /^[=+\-@]/.test(value) && !/^-?\d/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
