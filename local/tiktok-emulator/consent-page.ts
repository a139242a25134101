import type { AuthorizeRequest } from './authorize-request.js';
import type { EmulatedUser } from './built-in-users.js';
import { escapeMarkup } from './markup-escape.js';
import { DEFAULT_SCOPE, type Scope } from './scopes.js';
import { avatarUrl } from './user-fields.js';

export const DECISION_PATH = '/v2/auth/authorize/decision';

/** The consent form echoes the original `scope` under this name: `scope` itself carries the ticked boxes. */
export const REQUESTED_SCOPE_FIELD = 'requested_scope';

const SCOPE_DESCRIPTIONS: Record<Scope, string> = {
  'user.info.basic': 'Read your profile info (avatar, display name)',
  'user.info.profile': 'Read your profile details (username, bio, verified status, profile link)',
  'user.info.stats': 'Read your profile stats (followers, following, likes, video count)',
  'video.list': 'Read your public videos',
  'video.publish': 'Post content to your TikTok account',
  'video.upload': 'Upload content to your TikTok inbox as drafts',
};

const STYLE =
  'body{font-family:sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}' +
  'label{display:flex;gap:.5rem;align-items:center;margin:.4rem 0}img{border-radius:50%}' +
  'button{padding:.6rem 1.2rem;margin-right:.5rem}#tiktok-authorize{background:#fe2c55;color:#fff;border:0}';

function page(title: string, body: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeMarkup(title)}</title>` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>` +
    `<body>${body}</body></html>`
  );
}

function hidden(name: string, value: string | undefined): string {
  return value === undefined ? '' : `<input type="hidden" name="${name}" value="${escapeMarkup(value)}">`;
}

export function renderConsentPage(request: AuthorizeRequest, users: EmulatedUser[], origin: string): string {
  const accounts = users
    .map(
      (user, index) =>
        `<label><input type="radio" name="user" value="${escapeMarkup(user.openId)}"${index === 0 ? ' checked' : ''}>` +
        `<img src="${escapeMarkup(avatarUrl(origin, user, 100))}" width="32" height="32" alt="">` +
        `<span>${escapeMarkup(user.displayName)} <small>@${escapeMarkup(user.username)}</small></span></label>`,
    )
    .join('');
  const scopes = request.scopes
    .map((scope) => {
      // user.info.basic cannot be declined; a disabled box is not submitted, so the server adds it back.
      const locked = scope === DEFAULT_SCOPE ? ' disabled' : '';
      return (
        `<label><input type="checkbox" name="scope" value="${scope}" checked${locked}>` +
        `<span>${escapeMarkup(SCOPE_DESCRIPTIONS[scope])} <code>${scope}</code></span></label>`
      );
    })
    .join('');
  const body =
    `<h1>Log in to <span id="tiktok-client-key">${escapeMarkup(request.clientKey)}</span></h1>` +
    '<p>TikTok emulator: nothing here talks to the real TikTok.</p>' +
    `<form method="post" action="${DECISION_PATH}" id="tiktok-consent">` +
    hidden('client_key', request.clientKey) +
    hidden('response_type', 'code') +
    hidden(REQUESTED_SCOPE_FIELD, request.scopes.join(',')) +
    hidden('redirect_uri', request.redirectUri) +
    hidden('state', request.state) +
    hidden('code_challenge', request.codeChallenge) +
    hidden('code_challenge_method', request.codeChallengeMethod) +
    hidden('disable_auto_auth', request.disableAutoAuth ? '1' : '0') +
    `<fieldset id="tiktok-accounts"><legend>Continue as</legend>${accounts}</fieldset>` +
    `<fieldset id="tiktok-scopes"><legend>This app would like to</legend>${scopes}</fieldset>` +
    `<p>You will be redirected to <code id="tiktok-redirect-uri">${escapeMarkup(request.redirectUri)}</code></p>` +
    '<button type="submit" name="decision" value="authorize" id="tiktok-authorize">Authorize</button>' +
    '<button type="submit" name="decision" value="cancel" id="tiktok-cancel" formnovalidate>Cancel</button>' +
    '</form>';
  return page('TikTok (emulator) – Authorize', body);
}

/** Mirrors TikTok's developer-facing error page (it does not redirect back to the app). */
export function renderErrorPage(invalidParams: string[]): string {
  const body =
    '<h1>Something went wrong</h1>' +
    "<p>We couldn't log in with TikTok. This may be due to specific app settings.</p>" +
    '<p id="tiktok-error">If you\'re a developer, correct the following and try again: ' +
    `${escapeMarkup(invalidParams.join(', '))}</p>`;
  return page('TikTok (emulator) – Something went wrong', body);
}
