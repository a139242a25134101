// The demo platform frontend, on the typed client in client/ (the local server bundles this file with esbuild):
// sign in (local issuer), start connecting, come back from TikTok and confirm by itself, then show each connected
// account with its profile, stats and latest videos, and let the user disconnect, remove or reconnect.
import {
  ConnectionNotFoundError,
  ConnectUserMismatchError,
  createTikTokConnectClient,
  NotSignedInError,
  PermissionMissingError,
  RateLimitedError,
  ReconnectRequiredError,
  readConnectReturn,
  withoutConnectReturn,
} from '../../client/index.ts';

const TOKEN_KEY = 'tiktok-connect-demo-token';
const USER_KEY = 'tiktok-connect-demo-user';
/** The account a Reconnect button was pressed for, to tell on return whether TikTok gave that one back. */
const RECONNECT_KEY = 'tiktok-connect-demo-reconnecting';
const VIDEOS_PER_PAGE = 6;

/** The permissions this platform asks for, in the words the user saw on TikTok's consent page. */
const PERMISSIONS = {
  'user.info.profile': 'your profile details (username, bio, verified badge)',
  'user.info.stats': 'your follower, following, like and video counts',
  'video.list': 'your public videos',
};

/** What each reason code means for the person in front of the page. */
const REASONS = {
  access_denied: 'You cancelled on TikTok, so nothing was connected.',
  authorization_failed: 'TikTok did not authorize the connection. Please try again.',
  state_expired: 'The connect attempt took too long and expired. Please try again.',
  state_invalid: 'That connect link was already used or is unknown. Please start again.',
  state_browser_mismatch: 'The connect attempt was started in another browser. Please start again here.',
  launch_invalid: 'That connect link was already used or has expired. Please start again.',
  launch_origin_refused: 'That connect link was not opened from this site. Start again from here.',
  scope_missing: 'TikTok did not share your basic profile, which is needed to connect.',
  code_missing: 'TikTok did not send an authorization code. Please try again.',
  tiktok_unavailable: 'TikTok is not reachable right now. Please try again in a minute.',
  tiktok_timeout: 'TikTok took too long to answer. Please try again in a minute.',
  tiktok_rate_limited: 'TikTok is busy right now. Please try again in a minute.',
  tiktok_bad_response: 'TikTok answered something unexpected. Please try again.',
  tiktok_invalid_grant: 'TikTok refused the authorization (it may have expired). Please try again.',
  tiktok_invalid_client: 'This app is misconfigured at TikTok (client key or secret). Tell the operator.',
  tiktok_invalid_request: 'TikTok refused the request (redirect URI or PKCE settings). Tell the operator.',
  tiktok_invalid_scope: 'A permission this app asks for is not enabled at TikTok. Tell the operator.',
  confirmation_invalid: 'That connection was already confirmed or is unknown.',
  confirmation_expired: 'The connection was not confirmed in time. Please connect again.',
};

const STATUS_WORDS = {
  active: 'Connected',
  partial: 'Connected, permissions missing',
  refresh_failing: 'Connected (TikTok is not answering, retrying)',
  reauth_required: 'Reconnect needed',
  revoked: 'Removed on TikTok',
  disconnected: 'Disconnected',
};

/**
 * Pages about one connection (analytics, publishing…) add themselves here: each becomes a link on every usable
 * account card, `href(connection)` giving its address, `className` its class.
 */
export const CONNECTION_LINKS = [
  {
    label: 'Post a video',
    className: 'button publish',
    href: (connection) => `/platforms/publish?openId=${encodeURIComponent(connection.openId)}`,
  },
];

const $ = (id) => document.getElementById(id);
const numberFormat = new Intl.NumberFormat('en', { notation: 'compact' });

function session() {
  return { token: sessionStorage.getItem(TOKEN_KEY), user: sessionStorage.getItem(USER_KEY) };
}

/** Bumped at every sign-in and sign-out: what a signed-out session still had in flight must not touch the page. */
let generation = 0;

/**
 * The client, with one rule for every call: an answer that arrives after the session changed, or a call made with no
 * session at all (a retry or a load the signed-out session started), is dropped — its promise never settles, so no
 * notice, card or "session expired" from an old session reaches the new one.
 */
const tiktok = sessionBound(
  createTikTokConnectClient({
    baseUrl: location.origin,
    getAccessToken: () => session().token,
  }),
);

function sessionBound(client) {
  const never = () => new Promise(() => {});
  return new Proxy(client, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return (...args) => {
        if (!session().token) return never();
        const started = generation;
        return value.apply(target, args).then(
          (result) => (started === generation ? result : never()),
          (error) => (started === generation ? Promise.reject(error) : never()),
        );
      };
    },
  });
}

async function signIn(user) {
  const response = await fetch(`/dev/token?sub=${encodeURIComponent(user)}`);
  const body = await response.json();
  if (!response.ok) throw new Error(body.message ?? 'sign-in failed');
  // Another user's notices (connected, disconnected, errors) are not this user's.
  generation += 1;
  clearOutcome();
  sessionStorage.removeItem(RECONNECT_KEY);
  sessionStorage.setItem(TOKEN_KEY, body.token);
  sessionStorage.setItem(USER_KEY, user);
}

function signOut(message) {
  generation += 1;
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
  sessionStorage.removeItem(RECONNECT_KEY);
  clearOutcome();
  if (message) showOutcome('error', message);
  render();
}

/** Plain words for an error a person can act on; never TikTok's own internal text. */
function sayError(error) {
  if (error instanceof NotSignedInError) return 'Your session expired; sign in again.';
  if (error instanceof ReconnectRequiredError)
    return 'TikTok needs you to approve this app again. Press Reconnect.';
  if (error instanceof PermissionMissingError) return `This needs ${permissionWords(error.missingScopes)}.`;
  if (error instanceof RateLimitedError)
    return `TikTok is busy right now; try again in ${error.retryAfterSeconds} seconds.`;
  if (error instanceof ConnectionNotFoundError) return 'This account is no longer connected.';
  if (error instanceof ConnectUserMismatchError)
    return 'This connection was started by someone else, so nothing was connected. Connect your own account below.';
  if (error?.code && REASONS[error.code]) return REASONS[error.code];
  if (error instanceof TypeError) return 'The service is not reachable. Check your connection and try again.';
  return 'TikTok could not be reached just now. Please try again.';
}

function permissionWords(scopes) {
  const words = scopes.map((scope) => PERMISSIONS[scope] ?? scope);
  return words.length
    ? `permission to see ${words.join(' and ')}`
    : 'a permission you did not grant on TikTok';
}

async function connect(options = {}) {
  const force = Boolean(options.force) || $('force-consent').checked;
  if (options.reconnecting) sessionStorage.setItem(RECONNECT_KEY, JSON.stringify(options.reconnecting));
  else sessionStorage.removeItem(RECONNECT_KEY);
  try {
    const { authorizeUrl } = await tiktok.startConnect({
      returnTo: `${location.origin}/platforms/connect`,
      force,
    });
    location.assign(authorizeUrl);
  } catch (error) {
    if (error instanceof NotSignedInError) return signOut(sayError(error));
    showOutcome('error', `Could not start: ${sayError(error)}`);
  }
}

function clearOutcome() {
  const box = $('outcome');
  box.hidden = true;
  box.textContent = '';
  box.className = '';
}

function showOutcome(kind, text) {
  const box = $('outcome');
  box.hidden = false;
  box.className = kind;
  box.textContent = text;
}

/** Back from TikTok: confirm by itself (one click for the user), then say what happened, in plain words. */
async function finishReturn() {
  const returnedTo = location.href;
  const outcome = readConnectReturn(returnedTo);
  if (outcome.kind === 'none') return;
  history.replaceState(null, '', withoutConnectReturn(location.href));
  const reconnecting = JSON.parse(sessionStorage.getItem(RECONNECT_KEY) ?? 'null');
  sessionStorage.removeItem(RECONNECT_KEY);
  if (outcome.kind === 'error') {
    showOutcome(
      'error',
      REASONS[outcome.reason] ?? `Connecting failed (${outcome.reason}). Please try again.`,
    );
    return;
  }
  if (!session().token) {
    showOutcome('error', 'Sign in again to finish connecting.');
    return;
  }
  let openId;
  try {
    showOutcome('busy', 'Finishing the connection…');
    openId = (await tiktok.finishConnect(returnedTo)).openId;
  } catch (error) {
    if (error instanceof NotSignedInError) return signOut(sayError(error));
    showOutcome('error', sayError(error));
    return;
  }
  let connections = [];
  try {
    connections = await tiktok.listConnections();
  } catch {
    // The list below says what is wrong.
  }
  const connected = openId ? connections.find((c) => c.openId === openId) : undefined;
  if (reconnecting && reconnecting.openId !== openId) {
    // TikTok signs the browser into whichever account it last used: a reconnect may bring back another one.
    const still = connections.find((c) => c.openId === reconnecting.openId);
    if (still && still.status !== 'active') {
      showOutcome(
        'error',
        `TikTok connected ${nameOf(connected) ?? 'another account'}, not ${reconnecting.name}, which still needs reconnecting. ` +
          `On TikTok, switch to ${reconnecting.name} (or sign out of TikTok there), then press Reconnect on its card again.`,
      );
      return;
    }
  }
  showOutcome('ok', `${nameOf(connected) ?? 'Your TikTok account'} is connected.`);
}

function nameOf(connection) {
  if (!connection) return undefined;
  return connection.username ? `@${connection.username}` : (connection.displayName ?? connection.openId);
}

function element(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

function button(text, className, onclick) {
  return element('button', { type: 'button', className, textContent: text, onclick });
}

function stat(label, value) {
  return element('div', { className: 'stat' }, [
    element('strong', { textContent: value === undefined ? '–' : numberFormat.format(value) }),
    element('span', { textContent: label }),
  ]);
}

function missingPermissions(connection) {
  return Object.keys(PERMISSIONS).filter((scope) => !connection.scopes.includes(scope));
}

function accountCard(connection) {
  const missing = connection.status === 'active' ? missingPermissions(connection) : [];
  const shownStatus = missing.length ? 'partial' : connection.status;
  const card = element('li', { className: `account ${shownStatus}` });
  card.dataset.openId = connection.openId;
  const avatar = element('img', { className: 'avatar', alt: '' });
  if (connection.avatarUrl) avatar.src = connection.avatarUrl;
  const name = element('div', {
    className: 'name',
    textContent: connection.displayName ?? connection.openId,
  });
  if (connection.username)
    name.append(element('span', { className: 'handle', textContent: ` @${connection.username}` }));
  const status = element('span', {
    className: `status ${shownStatus}`,
    textContent: STATUS_WORDS[shownStatus] ?? connection.status,
  });
  const meta = element('div', { className: 'meta' }, [
    status,
    ` · since ${new Date(connection.connectedAt).toLocaleDateString()}`,
  ]);
  const actions = element('div', { className: 'actions' });
  const header = element('div', { className: 'account-header' }, [
    avatar,
    element('div', { className: 'who' }, [name, meta]),
    actions,
  ]);
  const notice = element('p', { className: 'notice', hidden: true });
  const links = element('nav', { className: 'links', hidden: true });
  const loading = element('p', { className: 'loading', hidden: true, textContent: 'Loading from TikTok…' });
  const stats = element('div', { className: 'stats', hidden: true });
  const videos = element('ul', { className: 'videos' });
  const more = element('button', {
    type: 'button',
    className: 'more',
    textContent: 'Load more videos',
    hidden: true,
  });
  card.append(header, notice, links, loading, stats, videos, more);
  const parts = { card, actions, notice, loading, stats, videos, more };
  const reconnect = () =>
    connect({ force: true, reconnecting: { openId: connection.openId, name: nameOf(connection) } });

  const usable = connection.status === 'active' || connection.status === 'refresh_failing';
  if (connection.status === 'reauth_required' || connection.status === 'revoked' || missing.length) {
    actions.append(button('Reconnect', 'primary reconnect', reconnect));
    notice.hidden = false;
    if (connection.status === 'revoked') {
      notice.textContent =
        'This account removed the app on TikTok. Reconnect to use it again, or remove it here.';
    } else if (connection.status === 'reauth_required') {
      notice.textContent = 'TikTok needs you to approve this app again. Press Reconnect.';
    } else {
      notice.textContent = `You did not allow ${missing.map((s) => PERMISSIONS[s]).join(' and ')} on TikTok, so this page cannot show them. Press Reconnect and leave ${missing.length > 1 ? 'those boxes' : 'that box'} ticked.`;
    }
  }
  actions.append(
    button(connection.status === 'revoked' ? 'Remove' : 'Disconnect', 'disconnect', () =>
      askToDisconnect(connection, parts),
    ),
  );
  if (usable) {
    for (const link of CONNECTION_LINKS) {
      links.hidden = false;
      links.append(
        element('a', { className: link.className, href: link.href(connection), textContent: link.label }),
      );
    }
    loadDetails(connection, parts, reconnect);
  }
  return card;
}

/** One more click before a disconnect: it revokes at TikTok, and connecting again needs TikTok's consent. */
function askToDisconnect(connection, parts) {
  const revoked = connection.status === 'revoked';
  const kept = [...parts.actions.childNodes];
  const question = element('span', {
    className: 'question',
    textContent: revoked
      ? `Remove ${nameOf(connection)} from this page?`
      : `Disconnect ${nameOf(connection)}?`,
  });
  parts.actions.replaceChildren(
    question,
    button(revoked ? 'Remove' : 'Disconnect', 'danger confirm-disconnect', () =>
      disconnect(connection, parts.card),
    ),
    button('Keep', 'keep', () => parts.actions.replaceChildren(...kept)),
  );
}

async function loadDetails(connection, parts, reconnect) {
  parts.loading.hidden = false;
  parts.card.setAttribute('aria-busy', 'true');
  try {
    const { profile } = await tiktok.profile(connection.openId);
    parts.stats.hidden = false;
    parts.stats.replaceChildren(
      stat('followers', profile.followerCount),
      stat('following', profile.followingCount),
      stat('likes', profile.likesCount),
      stat('videos', profile.videoCount),
    );
  } catch (error) {
    explain(error, parts, () => loadDetails(connection, parts, reconnect), reconnect);
    return;
  }
  let cursor;
  const loadPage = async () => {
    parts.loading.hidden = false;
    parts.more.disabled = true;
    try {
      const page = await tiktok.videos(connection.openId, { limit: VIDEOS_PER_PAGE, cursor });
      parts.videos.append(...page.videos.map(videoItem));
      cursor = page.cursor;
      parts.more.hidden = !page.hasMore;
      if (parts.videos.children.length === 0)
        parts.videos.append(element('li', { className: 'empty', textContent: 'No public videos yet.' }));
      parts.loading.hidden = true;
      parts.card.removeAttribute('aria-busy');
    } catch (error) {
      explain(error, parts, loadPage, reconnect);
    } finally {
      parts.more.disabled = false;
    }
  };
  parts.more.onclick = loadPage;
  await loadPage();
}

function videoItem(video) {
  const cover = element('img', { alt: video.title ?? 'video cover', loading: 'lazy' });
  if (video.coverImageUrl) cover.src = video.coverImageUrl;
  const link = element('a', { href: video.shareUrl ?? '#', target: '_blank', rel: 'noopener' }, [cover]);
  const caption = element('div', { className: 'caption', textContent: video.title ?? '' });
  const views = element('div', {
    className: 'views',
    textContent: `${numberFormat.format(video.viewCount ?? 0)} views`,
  });
  const item = element('li', { className: 'video' }, [link, caption, views]);
  item.dataset.videoId = video.id;
  return item;
}

function explain(error, parts, retry, reconnect) {
  parts.loading.hidden = true;
  parts.card.removeAttribute('aria-busy');
  if (error instanceof NotSignedInError) return signOut(sayError(error));
  parts.notice.hidden = false;
  parts.notice.textContent = sayError(error);
  const status = parts.card.querySelector('.status');
  if (error instanceof ReconnectRequiredError || error instanceof PermissionMissingError) {
    status.className = `status ${error instanceof ReconnectRequiredError ? 'reauth_required' : 'partial'}`;
    status.textContent =
      STATUS_WORDS[error instanceof ReconnectRequiredError ? 'reauth_required' : 'partial'];
    if (!parts.actions.querySelector('.reconnect'))
      parts.actions.prepend(button('Reconnect', 'primary reconnect', reconnect));
    return;
  }
  // Anything passing (TikTok slow or down, rate limited): try again without reloading the page.
  parts.notice.append(
    ' ',
    button('Retry', 'retry', () => {
      parts.notice.hidden = true;
      retry();
    }),
  );
}

async function disconnect(connection, card) {
  try {
    await tiktok.disconnect(connection.openId);
    showOutcome(
      'ok',
      `${nameOf(connection) ?? 'The account'} is ${connection.status === 'revoked' ? 'removed' : 'disconnected'}.`,
    );
    card.remove();
    $('accounts-empty').hidden = $('account-list').children.length > 0;
  } catch (error) {
    if (error instanceof NotSignedInError) return signOut(sayError(error));
    if (error instanceof ConnectionNotFoundError) {
      card.remove();
      return;
    }
    showOutcome('error', `Could not disconnect: ${sayError(error)}`);
  }
}

async function loadAccounts() {
  const list = $('account-list');
  list.replaceChildren();
  if (!session().token) {
    $('accounts-empty').hidden = false;
    $('accounts-loading').hidden = true;
    return;
  }
  $('accounts-loading').hidden = false;
  $('accounts-empty').hidden = true;
  try {
    const connections = await tiktok.listConnections();
    const shown = connections.filter((c) => c.status !== 'disconnected');
    $('accounts-empty').hidden = shown.length > 0;
    list.append(...shown.map(accountCard));
  } catch (error) {
    if (error instanceof NotSignedInError) return signOut(sayError(error));
    showOutcome('error', sayError(error));
  } finally {
    $('accounts-loading').hidden = true;
  }
}

function render() {
  const { token, user } = session();
  $('signin-form').hidden = Boolean(token);
  $('signed-in').hidden = !token;
  $('signed-in-user').textContent = user ?? '';
  $('connect-button').disabled = !token;
  return loadAccounts();
}

function showForceHint() {
  const force = $('force-consent').checked;
  $('force-hint').hidden = !force;
  $('connect-button').textContent = force ? 'Connect TikTok (choose account)' : 'Connect TikTok';
}

$('signin-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    await signIn($('user-id').value.trim());
    render();
  } catch (error) {
    showOutcome('error', error.message);
  }
});
$('signout-button').addEventListener('click', () => signOut());
$('connect-button').addEventListener('click', () => connect());
$('force-consent').addEventListener('change', showForceHint);
showForceHint();
await finishReturn();
render();
