import { type ApiEndpoint, isOAuthEndpoint } from './api-endpoints.js';
import type { FaultHit } from './fault-queue.js';
import { displayError, htmlReply, oauthError, type Reply } from './replies.js';

/** A gateway's error page: clients must cope with a non-JSON body on 5xx. */
function gatewayPage(status: number, reason: string): Reply {
  return htmlReply(
    status,
    `<html><head><title>${status} ${reason}</title></head><body><center><h1>${status} ${reason}</h1></center></body></html>`,
  );
}

/** The answer of a fault that replaces the normal response ('slow', 'hang', 'close', 'rotate_then_fail' excluded). */
export function faultReply(fault: FaultHit, endpoint: ApiEndpoint, logId: string): Reply {
  const reply = cannedReply(fault, endpoint, logId);
  if (fault.retryAfterSeconds === undefined) return reply;
  return { ...reply, headers: { ...reply.headers, 'retry-after': String(fault.retryAfterSeconds) } };
}

function cannedReply(fault: FaultHit, endpoint: ApiEndpoint, logId: string): Reply {
  const oauth = isOAuthEndpoint(endpoint);
  switch (fault.kind) {
    case 'http_500':
      return oauth
        ? gatewayPage(500, 'Internal Server Error')
        : displayError(500, 'internal_error', 'Something went wrong. Please try again later.', logId);
    case 'http_503':
      return gatewayPage(503, 'Service Unavailable');
    case 'rate_limit':
      return oauth
        ? oauthError(429, 'temporarily_unavailable', 'Rate limit exceeded. Please try again later.', logId)
        : displayError(429, 'rate_limit_exceeded', 'API rate limit was exceeded, try again later.', logId);
    case 'error_200':
      // ResearchTikPy PR #28: TikTok answered an OAuth error with HTTP 200.
      return oauth
        ? oauthError(200, fault.errorCode ?? 'invalid_client', 'Client key or secret is incorrect.', logId)
        : displayError(200, fault.errorCode ?? 'internal_error', 'Something went wrong.', logId);
    case 'invalid_grant':
      return oauthError(400, 'invalid_grant', 'Refresh token is invalid or expired.', logId);
    case 'invalid_client':
      return oauthError(401, 'invalid_client', 'Client key or secret is incorrect.', logId);
    case 'server_error':
      return oauthError(500, 'server_error', 'Internal server error.', logId);
    case 'temporarily_unavailable':
      return oauthError(503, 'temporarily_unavailable', 'The service is temporarily unavailable.', logId);
    case 'access_token_invalid':
      return displayError(
        401,
        'access_token_invalid',
        'The access token is invalid or not found in the request.',
        logId,
      );
    default:
      throw new Error(`fault ${fault.kind} has no canned reply`);
  }
}
