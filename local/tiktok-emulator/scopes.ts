export const KNOWN_SCOPES = [
  'user.info.basic',
  'user.info.profile',
  'user.info.stats',
  'video.list',
  // Content Posting API: direct post, and upload to the creator's inbox as a draft.
  'video.publish',
  'video.upload',
] as const;

export type Scope = (typeof KNOWN_SCOPES)[number];

/** Login Kit grants it to every app and the consent page does not let the user untick it. */
export const DEFAULT_SCOPE: Scope = 'user.info.basic';

export function isKnownScope(value: string): value is Scope {
  return (KNOWN_SCOPES as readonly string[]).includes(value);
}

/** TikTok joins scopes (and fields) with commas, not spaces. */
export function splitCommaList(value: string): string[] {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  return [...new Set(items)];
}
