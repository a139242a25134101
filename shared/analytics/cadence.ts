import type { AnalyticsSettings } from '../config.js';

/**
 * Snapshot cadence tiers, youngest first. When the budget cannot cover every tier, the pass defers the oldest
 * tiers first (the reverse of this order): a week-old video can wait, a video in its first hours cannot.
 */
export const CADENCE_TIERS = ['account_young', 'video_new', 'account', 'video_recent', 'video_old'] as const;
export type CadenceTier = (typeof CADENCE_TIERS)[number];

/** The account tier at `at` for a connection made at `connectedAt`. */
export function accountTier(settings: AnalyticsSettings, connectedAt: number, at: number): CadenceTier {
  return at - connectedAt < settings.accountYoungForMs ? 'account_young' : 'account';
}

/** The video tier at `at` for a video posted at `createdAt` (ms). */
export function videoTier(settings: AnalyticsSettings, createdAt: number, at: number): CadenceTier {
  const age = at - createdAt;
  if (age < settings.videoNewForMs) return 'video_new';
  if (age < settings.videoRecentForMs) return 'video_recent';
  return 'video_old';
}

export function tierInterval(settings: AnalyticsSettings, tier: CadenceTier): number {
  switch (tier) {
    case 'account_young':
      return settings.accountYoungMs;
    case 'account':
      return settings.accountMs;
    case 'video_new':
      return settings.videoNewMs;
    case 'video_recent':
      return settings.videoRecentMs;
    case 'video_old':
      return settings.videoOldMs;
  }
}

/**
 * When the next snapshot is due after one taken at `takenAt`. A snapshot inside the pass interval before a tier
 * boundary is not pushed past it: the boundary itself is when the slower tier starts.
 */
export function nextAccountDue(settings: AnalyticsSettings, connectedAt: number, takenAt: number): number {
  return takenAt + tierInterval(settings, accountTier(settings, connectedAt, takenAt));
}

export function nextVideoDue(settings: AnalyticsSettings, createdAt: number, takenAt: number): number {
  return takenAt + tierInterval(settings, videoTier(settings, createdAt, takenAt));
}

/** Snapshots a tier asks for per hour and per item (capacity planning, the bench's capacity table). */
export function snapshotsPerHour(settings: AnalyticsSettings, tier: CadenceTier): number {
  return 3_600_000 / tierInterval(settings, tier);
}
