import { joinScopes } from './scopes.js';

export type AuthorizeUrlInput = {
  authorizeEndpoint: string;
  clientKey: string;
  scopes: readonly string[];
  redirectUri: string;
  state: string;
  codeChallenge: string;
  /** Show the consent page even to a user who already approved (account switching, new scopes). */
  forceConsent: boolean;
};

/** TikTok's authorize URL: `client_key` (not client_id), comma-joined scopes, S256 only. */
export function buildAuthorizeUrl(input: AuthorizeUrlInput): string {
  const url = new URL(input.authorizeEndpoint);
  url.searchParams.set('client_key', input.clientKey);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', joinScopes(input.scopes));
  url.searchParams.set('redirect_uri', input.redirectUri);
  url.searchParams.set('state', input.state);
  url.searchParams.set('code_challenge', input.codeChallenge);
  url.searchParams.set('code_challenge_method', 'S256');
  if (input.forceConsent) url.searchParams.set('disable_auto_auth', '1');
  return url.toString();
}
