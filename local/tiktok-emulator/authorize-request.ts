import type { EmulatorSettings } from './emulator-options.js';
import { isKnownScope, type Scope, splitCommaList } from './scopes.js';

export type AuthorizeRequest = {
  clientKey: string;
  redirectUri: string;
  scopes: Scope[];
  state: string | undefined;
  codeChallenge: string;
  codeChallengeMethod: 'S256';
  disableAutoAuth: boolean;
};

export type AuthorizeCheck =
  | { outcome: 'valid'; request: AuthorizeRequest }
  /** TikTok shows its "correct the following: …" page instead of redirecting. */
  | { outcome: 'error_page'; invalidParams: string[] }
  | {
      outcome: 'redirect_error';
      redirectUri: string;
      state: string | undefined;
      error: string;
      description: string;
    };

type ParamSource = { get(name: string): string | null | undefined };

/** Checks the query of GET /v2/auth/authorize/ (and the same values echoed by the consent form). */
export function checkAuthorizeRequest(settings: EmulatorSettings, params: ParamSource): AuthorizeCheck {
  const value = (name: string) => params.get(name) ?? undefined;
  const clientKey = value('client_key');
  const redirectUri = value('redirect_uri');
  const scopeParam = value('scope');
  const codeChallenge = value('code_challenge');
  const state = value('state');

  const invalid: string[] = [];
  // client_id is the generic-OAuth-library mistake; TikTok only knows client_key.
  if (clientKey !== settings.clientKey) invalid.push('client_key');
  if (redirectUri === undefined || !isAcceptedRedirectUri(settings, redirectUri))
    invalid.push('redirect_uri');
  if (value('response_type') !== 'code') invalid.push('response_type');
  if (!scopeParam?.trim()) invalid.push('scope');
  // Web integrations report this page since late 2024 when no challenge is sent (better-auth #3114).
  if (!codeChallenge) invalid.push('code_challenge');
  if (value('code_challenge_method') !== 'S256') invalid.push('code_challenge_method');
  if (
    invalid.length > 0 ||
    clientKey === undefined ||
    redirectUri === undefined ||
    scopeParam === undefined ||
    codeChallenge === undefined
  ) {
    return { outcome: 'error_page', invalidParams: invalid };
  }

  const requested = splitCommaList(scopeParam);
  const unknown = requested.filter((scope) => !isKnownScope(scope));
  if (unknown.length > 0) {
    // A space-joined list ("user.info.basic video.list") lands here as one unknown scope.
    const description = `The following scopes are not valid: ${unknown.join(',')}`;
    return { outcome: 'redirect_error', redirectUri, state, error: 'invalid_scope', description };
  }
  return {
    outcome: 'valid',
    request: {
      clientKey,
      redirectUri,
      scopes: requested.filter(isKnownScope),
      state,
      codeChallenge,
      codeChallengeMethod: 'S256',
      disableAutoAuth: value('disable_auto_auth') === '1',
    },
  };
}

/** Registered URIs match exactly; without a registry any absolute http(s) URI without a fragment passes. */
export function isAcceptedRedirectUri(settings: EmulatorSettings, redirectUri: string): boolean {
  if (settings.redirectUris !== undefined) return settings.redirectUris.includes(redirectUri);
  if (!URL.canParse(redirectUri)) return false;
  const url = new URL(redirectUri);
  return (
    (url.protocol === 'https:' || url.protocol === 'http:') && url.hash === '' && !redirectUri.includes('#')
  );
}

/** Callback parameters appended to the redirect URI, URL-encoded. */
export function callbackUrl(redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.append(name, value);
  }
  return url.toString();
}
