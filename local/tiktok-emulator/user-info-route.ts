import type { IncomingMessage } from 'node:http';
import { authenticateCaller, isReply, requestedFields } from './display-auth.js';
import type { EmulatorContext } from './emulator-context.js';
import { displayError, displaySuccess, type Reply } from './replies.js';
import { DEFAULT_SCOPE } from './scopes.js';
import { isUserField, USER_FIELD_SCOPES, userFieldValue } from './user-fields.js';

/** GET /v2/user/info/?fields=…: answers only the requested fields, nested under data.user. */
export function answerUserInfo(
  ctx: EmulatorContext,
  req: IncomingMessage,
  query: URLSearchParams,
  logId: string,
): Reply {
  const caller = authenticateCaller(ctx, req, logId);
  if (isReply(caller)) return caller;
  const fields = requestedFields(query, isUserField, logId);
  if (isReply(fields)) return fields;
  const granted = new Set(caller.grant.scopes);
  if (!granted.has(DEFAULT_SCOPE)) {
    return displayError(
      401,
      'scope_not_authorized',
      `The user did not authorize the scope ${DEFAULT_SCOPE}.`,
      logId,
    );
  }
  const missing = [
    ...new Set(fields.map((field) => USER_FIELD_SCOPES[field]).filter((s) => !granted.has(s))),
  ];
  if (missing.length > 0) {
    // One field outside the granted scopes fails the whole call (tiktok-api.md §14.10).
    const message = `The fields requested need scopes the user did not grant: ${missing.join(',')}`;
    return displayError(400, 'scope_permission_missed', message, logId);
  }
  const user = Object.fromEntries(
    fields.map((field) => [field, userFieldValue(caller.user, field, ctx.origin, ctx.clock.nowSeconds())]),
  );
  return displaySuccess({ user }, logId, caller.user.openId);
}
