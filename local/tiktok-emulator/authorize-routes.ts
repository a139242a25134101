import {
  type AuthorizeRequest,
  callbackUrl,
  checkAuthorizeRequest,
  isAcceptedRedirectUri,
} from './authorize-request.js';
import { REQUESTED_SCOPE_FIELD, renderConsentPage, renderErrorPage } from './consent-page.js';
import { type EmulatorContext, findUser } from './emulator-context.js';
import { htmlReply, type Reply, redirectReply, textReply } from './replies.js';
import { DEFAULT_SCOPE, isKnownScope, type Scope } from './scopes.js';

export type CodeRequest = {
  userId: string;
  scopes: string[];
  redirectUri: string;
  codeChallenge: string;
  codeChallengeMethod: 'S256';
};

/** What the consent page does on "Authorize"; also the emulator's issueCode test helper. */
export function issueAuthorizationCode(ctx: EmulatorContext, input: CodeRequest): string {
  if (findUser(ctx, input.userId) === undefined)
    throw new TypeError(`no emulated TikTok user ${input.userId}`);
  const unknown = input.scopes.filter((scope) => !isKnownScope(scope));
  if (unknown.length > 0) throw new TypeError(`unknown TikTok scopes: ${unknown.join(', ')}`);
  if (!isAcceptedRedirectUri(ctx.settings, input.redirectUri)) {
    throw new TypeError(`redirect URI not accepted by the emulator: ${input.redirectUri}`);
  }
  if (input.codeChallengeMethod !== 'S256' || !input.codeChallenge)
    throw new TypeError('S256 code challenge required');
  return ctx.tokens.issueCode({
    openId: input.userId,
    scopes: input.scopes.filter(isKnownScope),
    redirectUri: input.redirectUri,
    codeChallenge: input.codeChallenge,
    codeChallengeMethod: 'S256',
  });
}

/** GET /v2/auth/authorize/ */
export function answerAuthorize(ctx: EmulatorContext, query: URLSearchParams): Reply {
  const check = checkAuthorizeRequest(ctx.settings, query);
  if (check.outcome === 'error_page') {
    return { ...htmlReply(400, renderErrorPage(check.invalidParams)), errorCode: 'invalid_request' };
  }
  if (check.outcome === 'redirect_error') {
    const { redirectUri, state, error, description } = check;
    return {
      ...redirectReply(callbackUrl(redirectUri, { error, error_description: description, state })),
      errorCode: error,
    };
  }
  const autoConsent = ctx.settings.autoConsent;
  if (autoConsent !== undefined) return approve(ctx, check.request, autoConsent.userId, check.request.scopes);
  return htmlReply(200, renderConsentPage(check.request, ctx.users, ctx.origin));
}

/** POST /v2/auth/authorize/decision: the consent form, whose hidden fields are checked again like a new request. */
export function answerAuthorizeDecision(ctx: EmulatorContext, form: URLSearchParams): Reply {
  const echoed = { get: (name: string) => form.get(name === 'scope' ? REQUESTED_SCOPE_FIELD : name) };
  const check = checkAuthorizeRequest(ctx.settings, echoed);
  if (check.outcome === 'error_page') {
    return { ...htmlReply(400, renderErrorPage(check.invalidParams)), errorCode: 'invalid_request' };
  }
  if (check.outcome === 'redirect_error') return textReply(400, 'The consent form was tampered with.');
  const { request } = check;
  if (form.get('decision') === 'cancel') {
    const location = callbackUrl(request.redirectUri, {
      error: 'access_denied',
      error_description: 'The user denied the authorization request.',
      state: request.state,
    });
    return { ...redirectReply(location), errorCode: 'access_denied' };
  }
  const userId = form.get('user') ?? '';
  if (findUser(ctx, userId) === undefined) return textReply(400, 'Choose an account to continue.');
  const ticked = new Set(form.getAll('scope'));
  const granted = request.scopes.filter((scope) => scope === DEFAULT_SCOPE || ticked.has(scope));
  return approve(ctx, request, userId, granted);
}

function approve(ctx: EmulatorContext, request: AuthorizeRequest, userId: string, granted: Scope[]): Reply {
  const code = issueAuthorizationCode(ctx, {
    userId,
    scopes: granted,
    redirectUri: request.redirectUri,
    codeChallenge: request.codeChallenge,
    codeChallengeMethod: request.codeChallengeMethod,
  });
  // The callback names the granted list `scopes` (plural); the token response calls it `scope`.
  const location = callbackUrl(request.redirectUri, {
    code,
    scopes: granted.join(','),
    state: request.state,
  });
  return { ...redirectReply(location), openId: userId };
}
