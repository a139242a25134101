/**
 * The HTTP API's routes, described once: the CDK stack creates one Lambda per entry and the local server calls
 * the same entry modules, with the same authorization.
 */
export type RouteAuth = 'jwt' | 'none';

export type RouteSpec = {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  /** The Lambda entry module, relative to the repository root; it exports `handler`. */
  entry: string;
  /** Construct id of the function in the stack. */
  functionName: string;
  auth: RouteAuth;
};

export const ROUTES: readonly RouteSpec[] = [
  {
    method: 'GET',
    path: '/auth/tiktok/start',
    entry: 'functions/auth-start.ts',
    functionName: 'StartConnectFunction',
    auth: 'jwt',
  },
  {
    method: 'GET',
    path: '/auth/tiktok/launch',
    entry: 'functions/auth-launch.ts',
    functionName: 'LaunchConnectFunction',
    auth: 'none',
  },
  {
    method: 'GET',
    path: '/auth/tiktok/callback',
    entry: 'functions/auth-callback.ts',
    functionName: 'CallbackFunction',
    auth: 'none',
  },
  {
    method: 'GET',
    path: '/tiktok/connections',
    entry: 'functions/connections-list.ts',
    functionName: 'ListConnectionsFunction',
    auth: 'jwt',
  },
  {
    method: 'GET',
    path: '/tiktok/connections/{openId}/profile',
    entry: 'functions/connection-profile.ts',
    functionName: 'ProfileFunction',
    auth: 'jwt',
  },
  {
    method: 'GET',
    path: '/tiktok/connections/{openId}/videos',
    entry: 'functions/connection-videos.ts',
    functionName: 'VideosFunction',
    auth: 'jwt',
  },
  {
    method: 'POST',
    path: '/tiktok/connections/{openId}/videos/query',
    entry: 'functions/connection-video-query.ts',
    functionName: 'VideoQueryFunction',
    auth: 'jwt',
  },
  {
    method: 'DELETE',
    path: '/tiktok/connections/{openId}',
    entry: 'functions/connection-delete.ts',
    functionName: 'DisconnectFunction',
    auth: 'jwt',
  },
  {
    method: 'POST',
    path: '/webhooks/tiktok',
    entry: 'functions/tiktok-webhook.ts',
    functionName: 'TikTokWebhookFunction',
    auth: 'none',
  },
  {
    method: 'GET',
    path: '/tiktok/connections/{openId}/creator-info',
    entry: 'functions/creator-info.ts',
    functionName: 'CreatorInfoFunction',
    auth: 'jwt',
  },
  {
    method: 'POST',
    path: '/tiktok/connections/{openId}/uploads',
    entry: 'functions/upload-create.ts',
    functionName: 'CreateUploadFunction',
    auth: 'jwt',
  },
  {
    method: 'POST',
    path: '/tiktok/connections/{openId}/posts',
    entry: 'functions/post-create.ts',
    functionName: 'CreatePostFunction',
    auth: 'jwt',
  },
  {
    method: 'GET',
    path: '/tiktok/connections/{openId}/posts',
    entry: 'functions/posts-list.ts',
    functionName: 'ListPostsFunction',
    auth: 'jwt',
  },
  {
    method: 'GET',
    path: '/tiktok/connections/{openId}/posts/{postId}',
    entry: 'functions/post-get.ts',
    functionName: 'GetPostFunction',
    auth: 'jwt',
  },
  {
    method: 'DELETE',
    path: '/tiktok/connections/{openId}/posts/{postId}',
    entry: 'functions/post-cancel.ts',
    functionName: 'CancelPostFunction',
    auth: 'jwt',
  },
  {
    method: 'GET',
    path: '/tiktok/connections/{openId}/analytics',
    entry: 'functions/analytics-series.ts',
    functionName: 'AnalyticsSeriesFunction',
    auth: 'jwt',
  },
  {
    method: 'GET',
    path: '/tiktok/connections/{openId}/analytics/hashtags',
    entry: 'functions/analytics-hashtags.ts',
    functionName: 'AnalyticsHashtagsFunction',
    auth: 'jwt',
  },
  {
    method: 'GET',
    path: '/tiktok/connections/{openId}/analytics/followers',
    entry: 'functions/analytics-followers.ts',
    functionName: 'AnalyticsFollowersFunction',
    auth: 'jwt',
  },
  {
    method: 'GET',
    path: '/tiktok/connections/{openId}/analytics/videos',
    entry: 'functions/analytics-videos.ts',
    functionName: 'AnalyticsVideosFunction',
    auth: 'jwt',
  },
  {
    method: 'GET',
    path: '/tiktok/connections/{openId}/analytics/breakouts',
    entry: 'functions/analytics-breakouts.ts',
    functionName: 'AnalyticsBreakoutsFunction',
    auth: 'jwt',
  },
  {
    method: 'GET',
    path: '/tiktok/connections/{openId}/analytics/heatmap',
    entry: 'functions/analytics-heatmap.ts',
    functionName: 'AnalyticsHeatmapFunction',
    auth: 'jwt',
  },
  {
    method: 'POST',
    path: '/auth/tiktok/confirm',
    entry: 'functions/auth-confirm.ts',
    functionName: 'ConfirmConnectFunction',
    auth: 'jwt',
  },
];

/** Matches a request path against a route path with `{param}` segments. */
export function matchRoute(
  routes: readonly RouteSpec[],
  method: string,
  path: string,
): { route: RouteSpec; pathParameters: Record<string, string> } | undefined {
  const parts = path.split('/');
  for (const route of routes) {
    if (route.method !== method) continue;
    const pattern = route.path.split('/');
    if (pattern.length !== parts.length) continue;
    const pathParameters: Record<string, string> = {};
    const matches = pattern.every((segment, i) => {
      const actual = parts[i] ?? '';
      const param = /^\{(\w+)\}$/.exec(segment)?.[1];
      if (param) {
        if (actual === '') return false;
        try {
          pathParameters[param] = decodeURIComponent(actual);
        } catch {
          return false; // a malformed escape cannot name anything: no route, a 404
        }
        return true;
      }
      return segment === actual;
    });
    if (matches) return { route, pathParameters };
  }
  return undefined;
}
