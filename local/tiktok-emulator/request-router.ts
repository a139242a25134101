import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { answerApiCall } from './api-call.js';
import { answerAvatar, answerCover } from './asset-routes.js';
import { answerAuthorize, answerAuthorizeDecision } from './authorize-routes.js';
import type { CallEndpoint } from './call-log.js';
import { DECISION_PATH } from './consent-page.js';
import type { EmulatorContext } from './emulator-context.js';
import { answerFaultControl, FAULT_CONTROL_PATH } from './fault-control-route.js';
import { createLogId } from './log-id.js';
import { FORM_MEDIA_TYPE } from './oauth-client-auth.js';
import { handleRevokeRequest, handleTokenRequest } from './oauth-routes.js';
import {
  answerChunk,
  answerCreatorInfo,
  answerStatusFetch,
  answerVideoInit,
  drain,
} from './posting-routes.js';
import { type Reply, sendReply, textReply } from './replies.js';
import { BodyTooLargeError, mediaType, readBody } from './request-body.js';
import { answerUserInfo } from './user-info-route.js';
import { answerVideoList, answerVideoQuery } from './video-routes.js';

type Exchange = { ctx: EmulatorContext; req: IncomingMessage; res: ServerResponse; url: URL; logId: string };
type Route = (exchange: Exchange) => Promise<void> | void;

/** Paths keep TikTok's trailing slash: without it the real API does not answer (arctic commit d64c385). */
const ROUTES: Record<string, Record<string, Route>> = {
  '/v2/auth/authorize/': {
    GET: ({ ctx, res, url, logId }) =>
      sendPageReply(ctx, res, 'authorize', answerAuthorize(ctx, url.searchParams), logId),
  },
  [DECISION_PATH]: {
    POST: async ({ ctx, req, res, logId }) => {
      const body = await readBody(req);
      const reply =
        mediaType(req) === FORM_MEDIA_TYPE
          ? answerAuthorizeDecision(ctx, new URLSearchParams(body))
          : textReply(400, 'The consent form must be form-encoded.');
      sendPageReply(ctx, res, 'authorize_decision', reply, logId);
    },
  },
  '/v2/oauth/token/': { POST: ({ ctx, req, res, logId }) => handleTokenRequest(ctx, req, res, logId) },
  '/v2/oauth/revoke/': { POST: ({ ctx, req, res, logId }) => handleRevokeRequest(ctx, req, res, logId) },
  '/v2/user/info/': {
    GET: ({ ctx, req, res, url, logId }) =>
      answerApiCall(ctx, res, { endpoint: 'user_info', logId }, () =>
        answerUserInfo(ctx, req, url.searchParams, logId),
      ),
  },
  '/v2/video/list/': {
    POST: async ({ ctx, req, res, url, logId }) => {
      const body = await readBody(req);
      await answerApiCall(ctx, res, { endpoint: 'video_list', logId }, () =>
        answerVideoList(ctx, req, url.searchParams, body, logId),
      );
    },
  },
  '/v2/video/query/': {
    POST: async ({ ctx, req, res, url, logId }) => {
      const body = await readBody(req);
      await answerApiCall(ctx, res, { endpoint: 'video_query', logId }, () =>
        answerVideoQuery(ctx, req, url.searchParams, body, logId),
      );
    },
  },
  '/v2/post/publish/creator_info/query/': {
    POST: async ({ ctx, req, res, logId }) => {
      await readBody(req);
      await answerApiCall(ctx, res, { endpoint: 'creator_info', logId }, () =>
        answerCreatorInfo(ctx, req, logId),
      );
    },
  },
  '/v2/post/publish/video/init/': {
    POST: async ({ ctx, req, res, logId }) => {
      const body = await readBody(req);
      await answerApiCall(ctx, res, { endpoint: 'video_init', logId }, () =>
        answerVideoInit(ctx, req, body, 'direct', logId),
      );
    },
  },
  '/v2/post/publish/inbox/video/init/': {
    POST: async ({ ctx, req, res, logId }) => {
      const body = await readBody(req);
      await answerApiCall(ctx, res, { endpoint: 'inbox_video_init', logId }, () =>
        answerVideoInit(ctx, req, body, 'inbox', logId),
      );
    },
  },
  '/v2/post/publish/status/fetch/': {
    POST: async ({ ctx, req, res, logId }) => {
      const body = await readBody(req);
      await answerApiCall(ctx, res, { endpoint: 'publish_status', logId }, () =>
        answerStatusFetch(ctx, req, body, logId),
      );
    },
  },
  '/upload/': {
    PUT: ({ ctx, req, res, url, logId }) =>
      answerApiCall(
        ctx,
        res,
        { endpoint: 'upload_chunk', logId },
        () => answerChunk(ctx, req, url, logId),
        () => drain(req),
      ),
  },
  [FAULT_CONTROL_PATH]: Object.fromEntries(
    ['GET', 'POST', 'DELETE'].map((method): [string, Route] => [
      method,
      async ({ ctx, req, res, logId }) =>
        sendReply(res, answerFaultControl(ctx, method, await readBody(req)), logId),
    ]),
  ),
};

const ASSET = /^\/(avatars|covers)\/([^/]+)\.svg$/;

export function createRequestListener(ctx: EmulatorContext): RequestListener {
  return (req, res) => {
    const logId = createLogId();
    const url = new URL(req.url ?? '/', ctx.origin);
    Promise.resolve(route({ ctx, req, res, url, logId })).catch((error: unknown) => fail(res, error, logId));
  };
}

function route(exchange: Exchange): Promise<void> | void {
  const { ctx, req, res, url, logId } = exchange;
  const methods = ROUTES[url.pathname];
  const asset = ASSET.exec(url.pathname);
  if (methods === undefined && asset !== null && req.method === 'GET') {
    const id = decodeURIComponent(asset[2] ?? '');
    const reply =
      asset[1] === 'avatars'
        ? answerAvatar(ctx, id, url.searchParams)
        : answerCover(ctx, id, url.searchParams);
    return sendReply(res, reply, logId);
  }
  if (methods === undefined) return sendReply(res, textReply(404, '404 page not found'), logId);
  const handler = methods[req.method ?? ''];
  if (handler === undefined) {
    const reply = {
      ...textReply(405, 'Method Not Allowed'),
      headers: { allow: Object.keys(methods).join(', ') },
    };
    return sendReply(res, reply, logId);
  }
  return handler(exchange);
}

function sendPageReply(
  ctx: EmulatorContext,
  res: ServerResponse,
  endpoint: CallEndpoint,
  reply: Reply,
  logId: string,
) {
  sendReply(res, reply, logId);
  ctx.calls.record({
    endpoint,
    at: Date.now(),
    status: reply.status,
    ...(reply.errorCode !== undefined && { errorCode: reply.errorCode }),
    ...(reply.openId !== undefined && { openId: reply.openId }),
  });
}

function fail(res: ServerResponse, error: unknown, logId: string): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  if (error instanceof Error && error.name === 'AbortError') {
    // close() ended a latency or fault delay: drop the connection like a server going away.
    res.destroy();
    return;
  }
  if (error instanceof BodyTooLargeError) {
    sendReply(res, textReply(413, error.message), logId);
    return;
  }
  console.error('[tiktok-emulator]', error);
  sendReply(res, textReply(500, 'Emulator error'), logId);
}
