import type { ServerResponse } from 'node:http';

/** A response decided by a route, sent in one place so every answer gets TikTok's x-tt-logid header. */
export type Reply = {
  status: number;
  contentType: string;
  body: string;
  headers?: Record<string, string>;
  /** For the call log. */
  errorCode?: string;
  openId?: string;
};

const JSON_TYPE = 'application/json; charset=utf-8';

export function jsonReply(status: number, body: unknown): Reply {
  return { status, contentType: JSON_TYPE, body: JSON.stringify(body) };
}

/** OAuth endpoints (token, refresh, revoke): tiktok-api.md §7. */
export function oauthError(status: number, error: string, description: string, logId: string): Reply {
  return { ...jsonReply(status, { error, error_description: description, log_id: logId }), errorCode: error };
}

/** Display API: success still carries an `error` object with code "ok" (§8). */
export function displaySuccess(data: unknown, logId: string, openId: string): Reply {
  return { ...jsonReply(200, { data, error: { code: 'ok', message: '', log_id: logId } }), openId };
}

export function displayError(status: number, code: string, message: string, logId: string): Reply {
  return { ...jsonReply(status, { data: {}, error: { code, message, log_id: logId } }), errorCode: code };
}

export function htmlReply(status: number, html: string): Reply {
  return { status, contentType: 'text/html; charset=utf-8', body: html };
}

export function textReply(status: number, text: string): Reply {
  return { status, contentType: 'text/plain; charset=utf-8', body: text };
}

export function redirectReply(location: string): Reply {
  return { ...textReply(302, `Redirecting to ${location}`), headers: { location } };
}

export function sendReply(res: ServerResponse, reply: Reply, logId: string): void {
  res.writeHead(reply.status, {
    ...reply.headers,
    'content-type': reply.contentType,
    'content-length': Buffer.byteLength(reply.body),
    'cache-control': 'no-store',
    'x-tt-logid': logId,
  });
  res.end(reply.body);
}
