import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerApiCall } from './api-call.js';
import type { EmulatorContext } from './emulator-context.js';
import {
  FORM_MEDIA_TYPE,
  rejectMalformedForm,
  rejectUnknownClient,
  wrongContentType,
} from './oauth-client-auth.js';
import { jsonReply, type Reply } from './replies.js';
import { type FormFields, mediaType, parseForm, parseJson, readBody } from './request-body.js';
import { exchangeToken } from './token-grants.js';

/** POST /v2/oauth/token/: form-encoded only (tiktok-api.md §14.5); JSON bodies are refused. */
export async function handleTokenRequest(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  logId: string,
): Promise<void> {
  const body = await readBody(req);
  const form = mediaType(req) === FORM_MEDIA_TYPE ? parseForm(body) : undefined;
  const grantType = form !== undefined ? form.get('grant_type') : grantTypeOfJson(body);
  const endpoint = grantType === 'refresh_token' ? 'refresh' : 'token';
  await answerApiCall(ctx, res, { endpoint, logId, grantType }, () =>
    form === undefined ? wrongContentType(logId) : exchangeToken(ctx, form, logId),
  );
}

/** POST /v2/oauth/revoke/ */
export async function handleRevokeRequest(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  logId: string,
): Promise<void> {
  const body = await readBody(req);
  const form = mediaType(req) === FORM_MEDIA_TYPE ? parseForm(body) : undefined;
  await answerApiCall(ctx, res, { endpoint: 'revoke', logId }, () =>
    form === undefined ? wrongContentType(logId) : revoke(ctx, form, logId),
  );
}

function revoke(ctx: EmulatorContext, form: FormFields, logId: string): Reply {
  const rejected =
    rejectMalformedForm(form, ['client_key', 'client_secret', 'token'], logId) ??
    rejectUnknownClient(ctx.settings, form, logId);
  if (rejected !== undefined) return rejected;
  const openId = ctx.tokens.findByAccessToken(form.get('token') ?? '')?.openId;
  // An unknown token is not an error (RFC 7009 §2.2), so disconnecting twice is harmless. An expired access
  // token is treated as unknown: TikTok does not document revoking with one, so the emulator takes the case a
  // client can least rely on (nothing revoked, the refresh token still live) — clients must refresh first.
  if (openId === undefined) return jsonReply(200, {});
  ctx.tokens.revokeUser(openId);
  return { ...jsonReply(200, {}), openId };
}

/** Only to file a JSON refresh attempt under 'refresh' in the call log; it is refused either way. */
function grantTypeOfJson(body: string): string | undefined {
  const json = parseJson(body);
  if (typeof json !== 'object' || json === null || !('grant_type' in json)) return undefined;
  return typeof json.grant_type === 'string' ? json.grant_type : undefined;
}
