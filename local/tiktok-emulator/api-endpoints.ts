/** The TikTok API calls the emulator can slow down, break and count (the consent pages are not among them). */
export const API_ENDPOINTS = [
  'token',
  'refresh',
  'revoke',
  'user_info',
  'video_list',
  'video_query',
  'creator_info',
  'video_init',
  'inbox_video_init',
  'publish_status',
  'upload_chunk',
] as const;

/** `token` is the authorization_code grant, `refresh` the refresh_token grant of the same URL. */
export type ApiEndpoint = (typeof API_ENDPOINTS)[number];

export function isOAuthEndpoint(endpoint: ApiEndpoint): boolean {
  return endpoint === 'token' || endpoint === 'refresh' || endpoint === 'revoke';
}
