import type { EmulatorContext } from './emulator-context.js';
import { findUser } from './emulator-context.js';
import type { Reply } from './replies.js';
import { textReply } from './replies.js';
import { renderAvatar, renderCover } from './svg-artwork.js';

const SVG_TYPE = 'image/svg+xml';
const DEFAULT_AVATAR_SIZE = 168;

/** GET /avatars/<openId>.svg[?size=100] */
export function answerAvatar(ctx: EmulatorContext, openId: string, query: URLSearchParams): Reply {
  const user = findUser(ctx, openId);
  if (user === undefined) return textReply(404, 'No such avatar.');
  const size = Number(query.get('size') ?? DEFAULT_AVATAR_SIZE);
  const clamped = Number.isInteger(size) ? Math.min(Math.max(size, 16), 2048) : DEFAULT_AVATAR_SIZE;
  return { status: 200, contentType: SVG_TYPE, body: renderAvatar(user, clamped) };
}

/** GET /covers/<videoId>.svg?x-expires=<unix s>: like TikTok's signed CDN links, expired ones are refused. */
export function answerCover(ctx: EmulatorContext, videoId: string, query: URLSearchParams): Reply {
  const expires = query.get('x-expires');
  if (expires !== null && Number(expires) * 1000 <= Date.now())
    return textReply(403, 'Access Denied: URL expired.');
  const video = ctx.users.flatMap((user) => user.videos).find((candidate) => candidate.id === videoId);
  if (video === undefined) return textReply(404, 'No such cover.');
  return { status: 200, contentType: SVG_TYPE, body: renderCover(video) };
}
