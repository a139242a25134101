import type { IncomingMessage } from 'node:http';
import type { EmulatedUser } from './built-in-users.js';
import { type EmulatorContext, findUser } from './emulator-context.js';
import { displayError, type Reply } from './replies.js';
import { splitCommaList } from './scopes.js';
import type { Grant } from './token-store.js';

export type DisplayCaller = { grant: Grant; user: EmulatedUser };

/** `Authorization: Bearer <access_token>`; missing, unknown, expired or revoked → 401 access_token_invalid. */
export function authenticateCaller(
  ctx: EmulatorContext,
  req: IncomingMessage,
  logId: string,
): DisplayCaller | Reply {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  const grant = match?.[1] === undefined ? undefined : ctx.tokens.findByAccessToken(match[1]);
  const user = grant === undefined ? undefined : findUser(ctx, grant.openId);
  if (grant === undefined || user === undefined) {
    return displayError(
      401,
      'access_token_invalid',
      'The access token is invalid or not found in the request.',
      logId,
    );
  }
  return { grant, user };
}

export function isReply<T>(value: T | Reply): value is Reply {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    'status' in value &&
    'body' in value
  );
}

/** `fields` is a query parameter on every Display endpoint (tiktok-api.md §0): required, names must be known. */
export function requestedFields<F extends string>(
  query: URLSearchParams,
  isField: (name: string) => name is F,
  logId: string,
): F[] | Reply {
  const fields = splitCommaList(query.get('fields') ?? '');
  if (fields.length === 0)
    return displayError(400, 'invalid_params', 'The fields parameter is required.', logId);
  const unknown = fields.filter((field) => !isField(field));
  if (unknown.length > 0) {
    return displayError(400, 'invalid_params', `Invalid fields: ${unknown.join(',')}`, logId);
  }
  return fields.filter(isField);
}
