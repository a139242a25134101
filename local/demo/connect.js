// The demo platform frontend: sign in (local issuer), start the connect flow with fetch + bearer token,
// navigate to the returned authorizeUrl, read ?tiktok=connected|error on return, list connections.
const TOKEN_KEY = 'tiktok-connect-demo-token';
const USER_KEY = 'tiktok-connect-demo-user';

const REASONS = {
  access_denied: 'You cancelled on TikTok, so nothing was connected.',
  state_expired: 'The connect attempt took too long and expired. Please try again.',
  state_invalid: 'That connect link was already used or is unknown. Please start again.',
  state_browser_mismatch: 'The connect attempt was started in another browser. Please start again here.',
  launch_invalid: 'That connect link was already used or has expired. Please start again.',
  scope_missing: 'TikTok did not share your basic profile, which is needed to connect.',
  code_missing: 'TikTok did not send an authorization code. Please try again.',
  tiktok_unavailable: 'TikTok is not reachable right now. Please try again in a minute.',
  tiktok_timeout: 'TikTok took too long to answer. Please try again in a minute.',
  tiktok_invalid_grant: 'TikTok refused the authorization (it may have expired). Please try again.',
  tiktok_invalid_client: 'This app is misconfigured at TikTok (client key or secret). Tell the operator.',
  tiktok_invalid_request: 'TikTok refused the request (redirect URI or PKCE settings). Tell the operator.',
};

const $ = (id) => document.getElementById(id);

function session() {
  return { token: sessionStorage.getItem(TOKEN_KEY), user: sessionStorage.getItem(USER_KEY) };
}

async function signIn(user) {
  const response = await fetch(`/dev/token?sub=${encodeURIComponent(user)}`);
  if (!response.ok) throw new Error((await response.json()).message ?? 'sign-in failed');
  const { token } = await response.json();
  sessionStorage.setItem(TOKEN_KEY, token);
  sessionStorage.setItem(USER_KEY, user);
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
  render();
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
    throw new Error('Your session expired; sign in again.');
  }
  if (!response.ok) throw new Error(body?.detail ?? body?.message ?? `HTTP ${response.status}`);
  return body;
}

async function connect() {
  const returnTo = `${location.origin}/platforms/connect`;
  const force = $('force-consent').checked ? '&force=1' : '';
  try {
    const { authorizeUrl } = await api(`/auth/tiktok/start?returnTo=${encodeURIComponent(returnTo)}${force}`);
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

function readOutcomeFromUrl() {
  const params = new URLSearchParams(location.search);
  const outcome = params.get('tiktok');
  if (outcome === 'connected') showOutcome('ok', 'Your TikTok account is connected.');
  if (outcome === 'error') {
    const reason = params.get('reason') ?? 'unknown';
    showOutcome('error', REASONS[reason] ?? `Connecting failed (${reason}). Please try again.`);
  }
  if (outcome) history.replaceState(null, '', location.pathname);
}

function accountItem(connection) {
  const li = document.createElement('li');
  li.className = 'account';
  li.dataset.openId = connection.openId;
  const img = document.createElement('img');
  img.alt = '';
  if (connection.avatarUrl) img.src = connection.avatarUrl;
  const text = document.createElement('div');
  const name = document.createElement('div');
  name.className = 'name';
  name.textContent = connection.displayName ?? connection.openId;
  const meta = document.createElement('div');
  meta.className = 'meta';
  const status = document.createElement('span');
  status.className = `status ${connection.status}`;
  status.textContent = connection.status.replace(/_/g, ' ');
  meta.append(status, ` · connected ${new Date(connection.connectedAt).toLocaleString()}`);
  text.append(name, meta);
  li.append(img, text);
  return li;
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
    $('accounts-empty').hidden = connections.length > 0;
    list.append(...connections.map(accountItem));
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
$('connect-button').addEventListener('click', connect);
readOutcomeFromUrl();
render();
