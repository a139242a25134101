// The demo platform frontend: sign in (local issuer), start the connect flow with fetch + bearer token,
// navigate to the returned authorizeUrl; back with ?tiktok=pending&confirmation=<code>, confirm it at once with
// the signed-in user's token (or show ?tiktok=error&reason=…), then show each connected account with its
// profile, stats and latest videos, and let the user disconnect or reconnect.
const TOKEN_KEY = 'tiktok-connect-demo-token';
const USER_KEY = 'tiktok-connect-demo-user';
const VIDEOS_PER_PAGE = 6;

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
  tiktok_invalid_grant: 'TikTok refused the authorization (it may have expired). Please try again.',
  tiktok_invalid_client: 'This app is misconfigured at TikTok (client key or secret). Tell the operator.',
  tiktok_invalid_request: 'TikTok refused the request (redirect URI or PKCE settings). Tell the operator.',
  tiktok_invalid_scope: 'A permission this app asks for is not enabled at TikTok. Tell the operator.',
  connect_user_mismatch:
    'This TikTok connection was started by someone else (for example a link you were sent), so nothing was connected.',
  confirmation_invalid: 'That connection result was already used or is unknown. Please start again.',
  confirmation_expired: 'The connection waited too long to be confirmed. Please start again.',
};

const STATUS_WORDS = {
  active: 'Connected',
  refresh_failing: 'Connected (TikTok is not answering, retrying)',
  reauth_required: 'Reconnect needed',
  revoked: 'Removed on TikTok',
  disconnected: 'Disconnected',
};

const $ = (id) => document.getElementById(id);
const numberFormat = new Intl.NumberFormat('en', { notation: 'compact' });

function session() {
  return { token: sessionStorage.getItem(TOKEN_KEY), user: sessionStorage.getItem(USER_KEY) };
}

async function signIn(user) {
  const response = await fetch(`/dev/token?sub=${encodeURIComponent(user)}`);
  const body = await response.json();
  if (!response.ok) throw new Error(body.message ?? 'sign-in failed');
  sessionStorage.setItem(TOKEN_KEY, body.token);
  sessionStorage.setItem(USER_KEY, user);
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
  render();
}

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code;
  }
}

async function api(path, init = {}) {
  const { token } = session();
  const response = await fetch(path, {
    ...init,
    headers: { accept: 'application/json', authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
  });
  const body = response.headers.get('content-type')?.includes('json') ? await response.json() : null;
  if (response.status === 401) {
    signOut();
    throw new ApiError(401, { detail: 'Your session expired; sign in again.' });
  }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

async function connect(force) {
  const returnTo = `${location.origin}/platforms/connect`;
  try {
    const query = `returnTo=${encodeURIComponent(returnTo)}${force || $('force-consent').checked ? '&force=1' : ''}`;
    const { authorizeUrl } = await api(`/auth/tiktok/start?${query}`);
    location.assign(authorizeUrl);
  } catch (error) {
    showOutcome('error', `Could not start: ${error.message}`);
  }
}

function showOutcome(kind, text) {
  const box = $('outcome');
  box.hidden = false;
  box.className = kind;
  box.textContent = text;
}

/**
 * Back from TikTok: `tiktok=pending&confirmation=<code>` is confirmed at once with the signed-in user's token
 * (so connecting stays one click), and the code leaves the address bar before anything else runs.
 */
async function readOutcomeFromUrl() {
  const params = new URLSearchParams(location.search);
  const outcome = params.get('tiktok');
  if (outcome) history.replaceState(null, '', location.pathname);
  if (outcome === 'pending') {
    const confirmation = params.get('confirmation') ?? '';
    if (!session().token) {
      showOutcome('error', 'Sign in, then connect again: nothing was connected.');
      return;
    }
    try {
      await api('/auth/tiktok/confirm', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ confirmation }),
      });
      showOutcome('ok', 'Your TikTok account is connected.');
    } catch (error) {
      const reason = error.code ?? 'unknown';
      showOutcome('error', REASONS[reason] ?? `Connecting failed (${error.message}). Please try again.`);
    }
  }
  if (outcome === 'error') {
    const reason = params.get('reason') ?? 'unknown';
    showOutcome('error', REASONS[reason] ?? `Connecting failed (${reason}). Please try again.`);
  }
}

function element(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

function stat(label, value) {
  return element('div', { className: 'stat' }, [
    element('strong', { textContent: value === undefined ? '–' : numberFormat.format(value) }),
    element('span', { textContent: label }),
  ]);
}

function accountCard(connection) {
  const card = element('li', { className: `account ${connection.status}` });
  card.dataset.openId = connection.openId;
  const avatar = element('img', { className: 'avatar', alt: '' });
  if (connection.avatarUrl) avatar.src = connection.avatarUrl;
  const name = element('div', {
    className: 'name',
    textContent: connection.displayName ?? connection.openId,
  });
  const handle = connection.username
    ? element('span', { className: 'handle', textContent: ` @${connection.username}` })
    : '';
  name.append(handle);
  const status = element('span', {
    className: `status ${connection.status}`,
    textContent: STATUS_WORDS[connection.status] ?? connection.status,
  });
  const meta = element('div', { className: 'meta' }, [
    status,
    ` · since ${new Date(connection.connectedAt).toLocaleDateString()}`,
  ]);
  const actions = element('div', { className: 'actions' });
  const header = element('div', { className: 'account-header' }, [
    avatar,
    element('div', {}, [name, meta]),
    actions,
  ]);
  const notice = element('p', { className: 'notice', hidden: true });
  const stats = element('div', { className: 'stats', hidden: true });
  const videos = element('ul', { className: 'videos' });
  const more = element('button', {
    type: 'button',
    className: 'more',
    textContent: 'Load more videos',
    hidden: true,
  });
  card.append(header, notice, stats, videos, more);

  const usable = connection.status === 'active' || connection.status === 'refresh_failing';
  if (usable) {
    const publishUrl = `/platforms/publish?openId=${encodeURIComponent(connection.openId)}`;
    actions.append(
      element('a', { className: 'button publish', href: publishUrl, textContent: 'Post a video' }),
    );
  }
  if (usable || connection.status === 'reauth_required') {
    actions.append(
      element('button', {
        type: 'button',
        className: 'disconnect',
        textContent: 'Disconnect',
        onclick: () => disconnect(connection, card),
      }),
    );
  }
  if (connection.status === 'reauth_required' || connection.status === 'revoked') {
    actions.prepend(
      element('button', {
        type: 'button',
        className: 'primary reconnect',
        textContent: 'Reconnect',
        onclick: () => connect(true),
      }),
    );
    notice.hidden = false;
    notice.textContent =
      connection.status === 'revoked'
        ? 'This account removed the app on TikTok. Reconnect to use it again.'
        : 'TikTok needs you to approve this app again. Press Reconnect.';
  }
  if (usable) loadDetails(connection, { notice, stats, videos, more, card });
  return card;
}

async function loadDetails(connection, parts) {
  const base = `/tiktok/connections/${encodeURIComponent(connection.openId)}`;
  try {
    const { profile } = await api(`${base}/profile`);
    parts.stats.hidden = false;
    parts.stats.replaceChildren(
      stat('followers', profile.followerCount),
      stat('following', profile.followingCount),
      stat('likes', profile.likesCount),
      stat('videos', profile.videoCount),
    );
  } catch (error) {
    explain(error, parts);
    return;
  }
  let cursor;
  const loadPage = async () => {
    try {
      const query = new URLSearchParams({ limit: String(VIDEOS_PER_PAGE), ...(cursor ? { cursor } : {}) });
      const page = await api(`${base}/videos?${query}`);
      parts.videos.append(...page.videos.map(videoItem));
      cursor = page.cursor;
      parts.more.hidden = !page.hasMore;
      if (parts.videos.children.length === 0)
        parts.videos.append(element('li', { className: 'empty', textContent: 'No public videos yet.' }));
    } catch (error) {
      explain(error, parts);
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

function explain(error, parts) {
  parts.notice.hidden = false;
  if (error.code === 'connection_reauth_required') {
    parts.notice.textContent = 'TikTok needs you to approve this app again. Press Reconnect.';
    parts.card.querySelector('.actions')?.prepend(
      element('button', {
        type: 'button',
        className: 'primary reconnect',
        textContent: 'Reconnect',
        onclick: () => connect(true),
      }),
    );
  } else if (error.status === 403) {
    parts.notice.textContent =
      'This needs a permission you did not grant on TikTok. Reconnect and allow it to see it here.';
  } else if (error.status === 429) {
    parts.notice.textContent = 'TikTok is busy right now; try again in a minute.';
  } else {
    parts.notice.textContent = `Could not load from TikTok: ${error.message}`;
  }
}

async function disconnect(connection, card) {
  try {
    await api(`/tiktok/connections/${encodeURIComponent(connection.openId)}`, { method: 'DELETE' });
    showOutcome('ok', `${connection.displayName ?? 'The account'} is disconnected.`);
    card.remove();
    $('accounts-empty').hidden = $('account-list').children.length > 0;
  } catch (error) {
    showOutcome('error', `Could not disconnect: ${error.message}`);
  }
}

async function loadAccounts() {
  const list = $('account-list');
  list.replaceChildren();
  if (!session().token) {
    $('accounts-empty').hidden = false;
    return;
  }
  try {
    const { connections } = await api('/tiktok/connections');
    const shown = connections.filter((c) => c.status !== 'disconnected');
    $('accounts-empty').hidden = shown.length > 0;
    list.append(...shown.map(accountCard));
  } catch (error) {
    showOutcome('error', error.message);
  }
}

function render() {
  const { token, user } = session();
  $('signin-form').hidden = Boolean(token);
  $('signed-in').hidden = !token;
  $('signed-in-user').textContent = user ?? '';
  $('connect-button').disabled = !token;
  loadAccounts();
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
$('signout-button').addEventListener('click', signOut);
$('connect-button').addEventListener('click', () => connect(false));
readOutcomeFromUrl().finally(render);
