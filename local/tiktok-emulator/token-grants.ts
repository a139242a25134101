import type { EmulatorContext } from './emulator-context.js';
import { rejectMalformedForm, rejectUnknownClient } from './oauth-client-auth.js';
import { codeVerifierMatches } from './pkce.js';
import { jsonReply, oauthError, type Reply } from './replies.js';
import type { FormFields } from './request-body.js';
import type { Grant } from './token-store.js';

/** The body of POST /v2/oauth/token/, once it is known to be a form. */
export function exchangeToken(ctx: EmulatorContext, form: FormFields, logId: string): Reply {
  const malformed = rejectMalformedForm(form, ['grant_type'], logId);
  if (malformed !== undefined) return malformed;
  const grantType = form.get('grant_type');
  switch (grantType) {
    case 'authorization_code':
      return redeemAuthorizationCode(ctx, form, logId);
    case 'refresh_token':
      return refreshAccessToken(ctx, form, logId);
    case 'client_credentials':
      return issueClientToken(ctx, form, logId);
    default:
      return oauthError(400, 'unsupported_grant_type', `Grant type ${grantType} is not supported.`, logId);
  }
}

function redeemAuthorizationCode(ctx: EmulatorContext, form: FormFields, logId: string): Reply {
  const rejected =
    rejectMalformedForm(form, ['client_key', 'client_secret', 'code', 'redirect_uri'], logId) ??
    rejectUnknownClient(ctx.settings, form, logId);
  if (rejected !== undefined) return rejected;
  const redemption = ctx.tokens.redeemCode(form.get('code') ?? '');
  if (redemption.outcome !== 'redeemed') {
    const reason =
      redemption.outcome === 'expired'
        ? 'expired'
        : redemption.outcome === 'used'
          ? 'already used'
          : 'invalid';
    return oauthError(400, 'invalid_grant', `Authorization code is ${reason}.`, logId);
  }
  const { code } = redemption;
  if (form.get('redirect_uri') !== code.redirectUri) {
    return oauthError(
      400,
      'invalid_grant',
      'Redirect_uri is not matched with the uri when requesting code.',
      logId,
    );
  }
  ctx.tokens.remember(form.get('code_verifier'));
  if (!codeVerifierMatches(form.get('code_verifier'), code.codeChallenge, ctx.settings.pkceEncoding)) {
    // What a base64url challenge gets from real TikTok where PKCE is checked (tiktok-api.md §2.2).
    return oauthError(400, 'invalid_request', 'Code verifier or code challenge is invalid.', logId);
  }
  return tokenResponse(ctx.tokens.issueGrant(code.openId, code.scopes, ctx.settings));
}

function refreshAccessToken(ctx: EmulatorContext, form: FormFields, logId: string): Reply {
  const rejected =
    rejectMalformedForm(form, ['client_key', 'client_secret', 'refresh_token'], logId) ??
    rejectUnknownClient(ctx.settings, form, logId);
  if (rejected !== undefined) return rejected;
  const result = ctx.tokens.rotate(form.get('refresh_token') ?? '', ctx.settings);
  if (result.outcome === 'expired')
    return oauthError(400, 'invalid_grant', 'Refresh token is expired.', logId);
  if (result.outcome === 'invalid')
    return oauthError(400, 'invalid_grant', 'Refresh token is invalid.', logId);
  return tokenResponse(result.grant);
}

/** §6: a client token, useless for the Display API. */
function issueClientToken(ctx: EmulatorContext, form: FormFields, logId: string): Reply {
  const rejected =
    rejectMalformedForm(form, ['client_key', 'client_secret'], logId) ??
    rejectUnknownClient(ctx.settings, form, logId);
  if (rejected !== undefined) return rejected;
  return jsonReply(200, {
    access_token: ctx.tokens.issueClientToken(),
    expires_in: 7200,
    token_type: 'Bearer',
  });
}

function tokenResponse(grant: Grant): Reply {
  const now = Date.now();
  const body = {
    access_token: grant.accessToken,
    expires_in: Math.round((grant.accessExpiresAt - now) / 1000),
    open_id: grant.openId,
    refresh_token: grant.refreshToken,
    refresh_expires_in: Math.round((grant.refreshExpiresAt - now) / 1000),
    scope: grant.scopes.join(','),
    token_type: 'Bearer',
  };
  return { ...jsonReply(200, body), openId: grant.openId };
}
