import middy from '@middy/core';
import * as v from 'valibot';
import type { ServiceDeps } from '../deps.js';
import { RequestError } from '../errors.js';
import { handleTikTokWebhook } from '../lifecycle/deauthorization-webhook.js';
import { disconnectConnection } from '../lifecycle/disconnect.js';
import { type HttpEvent, readHeader, requireAppUser } from './api-event.js';
import { errorResponses } from './error-responses.js';
import { type HttpResult, json } from './responses.js';

const MAX_WEBHOOK_BYTES = 64 * 1024;

/** TikTok open_ids are opaque strings (UUID-like); anything outside this shape cannot be one. */
export const OpenIdSchema = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9._:-]{1,128}$/, 'openId is not a TikTok open_id'),
);

export function readOpenId(event: HttpEvent): string {
  const result = v.safeParse(OpenIdSchema, event.pathParameters?.openId);
  if (!result.success) throw new RequestError('invalid_request', result.issues[0]?.message ?? 'bad openId');
  return result.output;
}

/** DELETE /tiktok/connections/{openId} — behind the JWT authorizer; only the caller's own connection. */
export function buildDisconnectHandler(deps: ServiceDeps) {
  return middy<HttpEvent, HttpResult>()
    .use(errorResponses(deps.logger))
    .handler(async (event) => {
      const appUser = requireAppUser(event);
      const result = await disconnectConnection(deps, { appUser, openId: readOpenId(event) });
      return json(200, result);
    });
}

/** POST /webhooks/tiktok — no authorizer: TikTok signs the body instead. */
export function buildWebhookHandler(deps: ServiceDeps) {
  return middy<HttpEvent, HttpResult>()
    .use(errorResponses(deps.logger))
    .handler(async (event) => {
      const raw = event.isBase64Encoded
        ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
        : (event.body ?? '');
      if (Buffer.byteLength(raw) > MAX_WEBHOOK_BYTES)
        throw new RequestError('payload_too_large', 'Body too large', 413);
      const result = await handleTikTokWebhook(deps, {
        rawBody: raw,
        signatureHeader: readHeader(event, 'tiktok-signature'),
      });
      return json(result.status, result.body);
    });
}
