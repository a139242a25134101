import type { EmulatedUser, EmulatedVideo } from './built-in-users.js';
import { escapeMarkup } from './markup-escape.js';

const PALETTE = ['#fe2c55', '#25f4ee', '#7b61ff', '#ff9f1c', '#2ec4b6', '#e71d36'];

export function renderAvatar(user: EmulatedUser, size: number): string {
  const initials = user.displayName
    .split(/\s+/)
    .map((word) => word.charAt(0))
    .join('')
    .slice(0, 2)
    .toUpperCase();
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 100 100">`,
    `<circle cx="50" cy="50" r="50" fill="${colourFor(user.openId)}"/>`,
    '<text x="50" y="50" dy=".35em" text-anchor="middle" font-family="sans-serif" font-size="40" fill="#fff">',
    `${escapeMarkup(initials)}</text></svg>`,
  ].join('');
}

export function renderCover(video: EmulatedVideo): string {
  const { width, height } =
    video.width > video.height ? { width: 480, height: 270 } : { width: 270, height: 480 };
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="${colourFor(video.id)}"/>`,
    `<text x="${width / 2}" y="${height / 2}" text-anchor="middle" font-family="sans-serif" font-size="18" fill="#fff">`,
    `${escapeMarkup(video.title)}</text></svg>`,
  ].join('');
}

function colourFor(key: string): string {
  let hash = 0;
  for (const char of key) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) >>> 0;
  return PALETTE[hash % PALETTE.length] ?? '#000';
}
