// The demo composer: what a platform's "post to TikTok" page does with tiktok-connect, following TikTok's Content
// Sharing Guidelines (the Direct Post audit checks them): creator nickname shown, privacy chosen by the user from
// creator_info's options with no default, comment/duet/stitch off by default and greyed out where the creator
// turned them off, duration checked against creator_info's maximum, commercial-content disclosure, the Music Usage
// Confirmation consent line, a preview, and a plain notice when the app is unaudited. The file goes straight from
// the browser to the presigned upload URL; the service posts it at the chosen time.
const TOKEN_KEY = 'tiktok-connect-demo-token';
const POSTS_PER_PAGE = 10;
const MAX_VIDEO_BYTES = 4 * 1024 ** 3; // TikTok's limit for FILE_UPLOAD
const MAX_CAPTION_UNITS = 2200; // UTF-16 code units, as TikTok counts (String.length)
const POLL_MS = 4000;
const MUSIC_USAGE_URL = 'https://www.tiktok.com/legal/page/global/music-usage-confirmation/en';
const BRANDED_CONTENT_URL = 'https://www.tiktok.com/legal/page/global/bc-policy/en';

/** TikTok's privacy levels in the words TikTok's own app uses. */
const PRIVACY_WORDS = {
  PUBLIC_TO_EVERYONE: 'Everyone',
  MUTUAL_FOLLOW_FRIENDS: 'Friends (followers you follow back)',
  FOLLOWER_OF_CREATOR: 'Followers',
  SELF_ONLY: 'Only me',
};

const STATUS_WORDS = {
  scheduled: 'Scheduled',
  publishing: 'Uploading to TikTok',
  processing: 'TikTok is processing',
  published: 'Published',
  inbox: 'In your TikTok inbox',
  failed: 'Failed',
  cancelled: 'Cancelled',
};
const FINAL_STATUSES = new Set(['published', 'inbox', 'failed', 'cancelled']);

/** Why a post failed, for the person who scheduled it (TikTok's codes and the service's own). */
const FAIL_REASONS = {
  publish_interrupted:
    'The upload to TikTok was interrupted after TikTok had accepted it. Check your TikTok profile before posting again, so it is not posted twice.',
  spam_risk_too_many_posts: 'TikTok’s daily post limit for your account is reached. Try again tomorrow.',
  spam_risk_user_banned_from_posting: 'TikTok does not allow this account to post right now.',
  spam_risk_too_many_pending_share:
    'Your TikTok inbox already holds 5 drafts from apps. Post or delete one in the TikTok app first.',
  spam_risk: 'TikTok refused the post as possible spam.',
  spam_risk_text: 'TikTok refused the caption as possible spam.',
  reached_active_user_cap: 'This app reached TikTok’s daily limit of posting accounts. Try again tomorrow.',
  unaudited_client_can_only_post_to_private_accounts:
    'Until this app passes TikTok’s review, your TikTok account must be set to private to post.',
  privacy_level_option_mismatch: 'TikTok no longer offers the chosen privacy for this account. Choose again.',
  file_format_check_failed: 'TikTok could not read the video format. Use MP4 (H.264), WebM or MOV.',
  duration_check_failed: 'The video is longer than TikTok allows for this account.',
  frame_rate_check_failed: 'TikTok refused the video’s frame rate (23–60 fps).',
  picture_size_check_failed: 'TikTok refused the video’s picture size (360–4096 px per side).',
  video_pull_failed: 'TikTok could not fetch the video.',
  internal: 'TikTok had an internal error. Try posting again.',
  publish_cancelled: 'The post was cancelled on TikTok.',
  auth_removed: 'You removed this app on TikTok, so it can no longer post for you.',
  access_token_invalid: 'TikTok no longer accepts this connection. Reconnect the account.',
  connection_reauth_required: 'TikTok needs you to approve this app again. Reconnect the account.',
  connection_revoked: 'The TikTok account removed this app. Reconnect the account.',
  scope_not_authorized: 'You did not allow posting when connecting. Reconnect and allow it.',
  upload_missing: 'The uploaded file was gone when it was time to post. Upload it again.',
  upload_expired: 'TikTok’s upload window (1 hour) closed before the video was sent. Post it again.',
  processing_timeout: 'TikTok did not finish processing in time. Check your profile.',
  status_timeout: 'TikTok did not confirm the post in time. Check your profile before posting again.',
  tiktok_unavailable: 'TikTok was not reachable. Post it again later.',
  upload_url_expired:
    'TikTok’s upload window (1 hour) closed before the whole video was sent. Nothing was posted; post it again.',
  tiktok_upload_unavailable:
    'TikTok kept refusing the video upload, so it was stopped. Nothing was posted; post it again later.',
  upload_out_of_sync:
    'The upload to TikTok got out of step and was stopped. Nothing was posted; post it again.',
  upload_task_missing: 'TikTok no longer knew this upload. Nothing was posted; post it again.',
  tiktok_rate_limited: 'TikTok kept asking us to slow down, so the post was not sent. Post it again later.',
  publish_error: 'The post could not be sent to TikTok because of an error on our side. Post it again later.',
  upload_storage_unavailable:
    'The uploaded file could not be read when it was time to post. Post it again later.',
};

const $ = (id) => document.getElementById(id);
const openId = new URLSearchParams(location.search).get('openId') ?? '';
const base = `/tiktok/connections/${encodeURIComponent(openId)}`;
const state = {
  creator: undefined,
  blocked: false,
  durationSec: undefined,
  file: undefined,
  previewUrl: undefined,
};
let pollTimer;

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.title ?? problem?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = problem?.tiktokCode ?? problem?.code;
  }
}

async function api(path, init = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const response = await fetch(path, {
    ...init,
    headers: {
      accept: 'application/json',
      authorization: `Bearer ${token}`,
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...(init.headers ?? {}),
    },
  });
  const body = response.headers.get('content-type')?.includes('json') ? await response.json() : null;
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

function element(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

function showOutcome(kind, text) {
  const box = $('outcome');
  box.hidden = false;
  box.className = kind;
  box.textContent = text;
  box.scrollIntoView({ block: 'nearest' });
}

function formatDuration(seconds) {
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function formatBytes(bytes) {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1e3))} kB`;
}

// ---- creator_info ------------------------------------------------------------------------------------------------

async function loadCreator() {
  try {
    const creator = await api(`${base}/creator-info`);
    state.creator = creator;
    $('creator-nickname').textContent = creator.nickname ?? creator.creatorNickname ?? openId;
    const username = creator.username ?? creator.creatorUsername;
    $('creator-username').textContent = username ? `@${username}` : '';
    const avatar = creator.avatarUrl ?? creator.creatorAvatarUrl;
    if (avatar) {
      $('creator-avatar').src = avatar;
      $('creator-avatar').hidden = false;
    }
    fillPrivacy(creator.privacyLevelOptions ?? []);
    setInteraction('allow-comment', creator.commentDisabled);
    setInteraction('allow-duet', creator.duetDisabled);
    setInteraction('allow-stitch', creator.stitchDisabled);
    const off = [
      creator.commentDisabled && 'comments',
      creator.duetDisabled && 'duets',
      creator.stitchDisabled && 'stitches',
    ].filter(Boolean);
    $('interactions-hint').hidden = off.length === 0;
    $('interactions-hint').textContent = `Turned off in your TikTok privacy settings: ${off.join(', ')}.`;
    $('unaudited-notice').hidden = !isUnaudited(creator);
    if (creator.postingBlockedReason) blockPosting(creator.postingBlockedReason);
    $('video-info').textContent =
      `MP4, WebM or MOV, up to 4 GB and ${formatDuration(maxDuration())} long for this account.`;
  } catch (error) {
    state.creator = undefined;
    blockPosting(
      error.code,
      error.status === 403
        ? 'Posting is not enabled for this account: reconnect it and allow posting, or ask the operator to enable it.'
        : `You cannot post with this account right now: ${error.message}`,
    );
  }
}

/** TikTok's guideline: when the creator cannot post now, stop and say why instead of failing later. */
function blockPosting(reason, fallback) {
  state.blocked = true;
  const box = $('cannot-post');
  box.hidden = false;
  box.textContent =
    FAIL_REASONS[reason] ?? fallback ?? `You cannot post with this account right now (${reason}).`;
  for (const control of $('compose-form').elements) control.disabled = true;
}

/** The service says whether the app is audited; when it does not, SELF_ONLY as the only option means the same. */
function isUnaudited(creator) {
  if (typeof creator.unaudited === 'boolean') return creator.unaudited;
  if (typeof creator.audited === 'boolean') return !creator.audited;
  if (typeof creator.appAudited === 'boolean') return !creator.appAudited;
  const options = creator.privacyLevelOptions ?? [];
  return options.length === 1 && options[0] === 'SELF_ONLY';
}

function maxDuration() {
  return state.creator?.maxVideoPostDurationSec ?? 600;
}

function fillPrivacy(options) {
  const select = $('privacy');
  // No default: the placeholder stays selected until the user picks one (a guideline the audit checks).
  select.replaceChildren(
    element('option', {
      value: '',
      disabled: true,
      selected: true,
      textContent: 'Choose who can view this video',
    }),
    ...options.map((level) =>
      element('option', { value: level, textContent: PRIVACY_WORDS[level] ?? level }),
    ),
  );
}

function setInteraction(id, disabledByCreator) {
  const box = $(id);
  box.checked = false;
  box.disabled = Boolean(disabledByCreator);
  box.closest('label').classList.toggle('greyed', box.disabled);
  box.closest('label').title = box.disabled ? 'Turned off in your TikTok privacy settings' : '';
}

// ---- the video ---------------------------------------------------------------------------------------------------

function readDuration(file) {
  return new Promise((resolve, reject) => {
    const probe = document.createElement('video');
    probe.preload = 'metadata';
    probe.muted = true;
    const url = URL.createObjectURL(file);
    const done = () => {
      URL.revokeObjectURL(url);
      resolve(probe.duration);
    };
    probe.onloadedmetadata = () => {
      if (probe.duration !== Number.POSITIVE_INFINITY) return done();
      // Recorded (streamed) WebM files carry no duration: seeking past the end makes the browser find it.
      probe.ondurationchange = () => {
        if (Number.isFinite(probe.duration)) done();
      };
      probe.currentTime = Number.MAX_SAFE_INTEGER;
    };
    probe.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error('This browser cannot read the video. Use MP4 (H.264), WebM or MOV.'));
    };
    probe.src = url;
  });
}

async function chooseFile() {
  const file = $('video-file').files[0];
  state.file = undefined;
  state.durationSec = undefined;
  if (state.previewUrl) URL.revokeObjectURL(state.previewUrl);
  $('preview').hidden = true;
  if (!file) return update();
  const info = $('video-info');
  info.classList.remove('warn');
  try {
    if (file.size > MAX_VIDEO_BYTES)
      throw new Error(`${formatBytes(file.size)} is over TikTok's 4 GB limit.`);
    if (file.size === 0) throw new Error('The file is empty.');
    const duration = await readDuration(file);
    if (!Number.isFinite(duration) || duration <= 0) throw new Error('The video has no readable duration.');
    if (duration > maxDuration())
      throw new Error(
        `The video is ${formatDuration(duration)} long; this account can post up to ${formatDuration(maxDuration())}.`,
      );
    state.file = file;
    state.durationSec = duration;
    state.previewUrl = URL.createObjectURL(file);
    $('preview-video').src = state.previewUrl;
    $('preview').hidden = false;
    info.textContent = `${file.name} · ${formatDuration(duration)} of ${formatDuration(maxDuration())} allowed · ${formatBytes(file.size)}`;
  } catch (error) {
    info.classList.add('warn');
    info.textContent = error.message;
  }
  update();
}

// ---- the rules between fields ------------------------------------------------------------------------------------

function mode() {
  return document.querySelector('input[name=mode]:checked').value;
}

function when() {
  return document.querySelector('input[name=when]:checked').value;
}

/** Keeps the form consistent with TikTok's rules after every change, and says what is still missing. */
function update() {
  const direct = mode() === 'direct';
  $('privacy-field').hidden = !direct;
  $('interactions').hidden = !direct;
  $('disclosure').hidden = !direct;

  const disclose = $('disclose').checked;
  $('disclosure-options').hidden = !disclose;
  if (!disclose) {
    $('brand-organic').checked = false;
    $('brand-content').checked = false;
  }
  const organic = $('brand-organic').checked;
  const branded = $('brand-content').checked;
  const privacy = $('privacy').value;

  // Branded content cannot be private: "Only me" is greyed out while it is ticked, and the other way round.
  const selfOnly = [...$('privacy').options].find((o) => o.value === 'SELF_ONLY');
  if (selfOnly) selfOnly.disabled = branded;
  $('brand-content').disabled = privacy === 'SELF_ONLY';
  $('brand-content-label').classList.toggle('greyed', privacy === 'SELF_ONLY');
  $('brand-content-label').title =
    privacy === 'SELF_ONLY' ? 'Branded content visibility cannot be set to private.' : '';
  $('brand-content-private').hidden = privacy !== 'SELF_ONLY';
  $('privacy-hint').textContent = branded ? 'Branded content visibility cannot be set to private.' : '';

  const label = $('disclosure-label');
  label.hidden = !(organic || branded);
  label.textContent = branded
    ? 'Your video will be labeled as "Paid partnership".'
    : 'Your video will be labeled as "Promotional content".';
  $('disclosure-missing').hidden = !disclose || organic || branded;

  renderConsent(direct && branded);
  $('caption-count').textContent = String($('caption').value.length);
  $('schedule').hidden = when() !== 'later';

  const problem = missing();
  $('post-button').disabled = Boolean(problem) || !state.creator || state.blocked;
  $('post-button').textContent = when() === 'later' ? 'Schedule' : direct ? 'Post' : 'Send to inbox';
  $('form-problem').hidden = !problem;
  $('form-problem').textContent = problem ?? '';
}

/** What keeps the form from being sent, in words; undefined when it can be sent. */
function missing() {
  if (!state.file) return 'Choose a video.';
  if ($('caption').value.length > MAX_CAPTION_UNITS) return 'The caption is longer than 2200 characters.';
  if (mode() === 'direct') {
    if (!$('privacy').value) return 'Choose who can view this video.';
    if ($('disclose').checked && !$('brand-organic').checked && !$('brand-content').checked)
      return 'You need to indicate if your content promotes yourself, a third party, or both.';
  }
  if (when() === 'later') {
    const at = publishAt();
    if (!at) return 'Choose a date and time.';
    if (Date.parse(at) < Date.now() + 30_000) return 'Choose a time in the future.';
  }
  return undefined;
}

function renderConsent(branded) {
  const link = (href, text) => element('a', { href, target: '_blank', rel: 'noopener', textContent: text });
  $('consent').replaceChildren(
    ...(branded
      ? [
          "By posting, you agree to TikTok's ",
          link(BRANDED_CONTENT_URL, 'Branded Content Policy'),
          ' and ',
          link(MUSIC_USAGE_URL, 'Music Usage Confirmation'),
          '.',
        ]
      : ["By posting, you agree to TikTok's ", link(MUSIC_USAGE_URL, 'Music Usage Confirmation'), '.']),
  );
}

/** The datetime-local value is the user's wall-clock time; the API takes an ISO-8601 instant in UTC. */
function publishAt() {
  const value = $('publish-at').value;
  if (!value) return undefined;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

function localInputValue(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

// ---- upload and schedule -----------------------------------------------------------------------------------------

/** PUT with progress: fetch() cannot report upload progress, XMLHttpRequest can. */
function uploadFile(url, file, contentType, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('PUT', url);
    request.setRequestHeader('content-type', contentType);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onload = () =>
      request.status >= 200 && request.status < 300
        ? resolve()
        : reject(new Error(`The upload was refused (HTTP ${request.status}).`));
    request.onerror = () => reject(new Error('The upload failed: the network or the storage refused it.'));
    request.send(file);
  });
}

async function submit(event) {
  event.preventDefault();
  const problem = missing();
  if (problem) return update();
  const form = $('compose-form');
  const controls = [...form.elements];
  const wasDisabled = controls.map((c) => c.disabled);
  for (const control of controls) control.disabled = true;
  const progress = $('upload-progress');
  const status = $('upload-status');
  try {
    const file = state.file;
    const contentType = file.type || 'video/mp4';
    const upload = await api(`${base}/uploads`, {
      method: 'POST',
      body: JSON.stringify({ size: file.size, contentType }),
    });
    progress.hidden = false;
    progress.value = 0;
    await uploadFile(upload.uploadUrl, file, contentType, (fraction) => {
      progress.value = fraction;
      status.textContent = `Uploading… ${Math.floor(fraction * 100)} %`;
    });
    progress.value = 1;
    status.textContent = 'Uploaded.';
    const direct = mode() === 'direct';
    const body = {
      uploadId: upload.uploadId,
      caption: $('caption').value,
      mode: direct ? 'direct' : 'inbox',
      ...(direct
        ? {
            privacyLevel: $('privacy').value,
            disableComment: !$('allow-comment').checked,
            disableDuet: !$('allow-duet').checked,
            disableStitch: !$('allow-stitch').checked,
            brandContentToggle: $('brand-content').checked,
            brandOrganicToggle: $('brand-organic').checked,
          }
        : {}),
      ...(when() === 'later' ? { publishAt: publishAt() } : {}),
    };
    const post = await api(`${base}/posts`, { method: 'POST', body: JSON.stringify(body) });
    showOutcome(
      'ok',
      when() === 'later'
        ? `Scheduled for ${new Date(post.publishAt ?? body.publishAt).toLocaleString()}.`
        : direct
          ? 'Posting now. It may take a few minutes for the video to appear on your profile.'
          : 'Sending to your TikTok inbox. Open TikTok to finish the post.',
    );
    resetForm();
    await loadPosts();
  } catch (error) {
    showOutcome('error', FAIL_REASONS[error.code] ?? `Could not post: ${error.message}`);
    controls.forEach((c, i) => {
      c.disabled = wasDisabled[i];
    });
  } finally {
    progress.hidden = true;
    status.textContent = '';
    update();
  }
}

function resetForm() {
  const form = $('compose-form');
  form.reset();
  for (const control of form.elements) control.disabled = false;
  if (state.creator) {
    fillPrivacy(state.creator.privacyLevelOptions ?? []);
    setInteraction('allow-comment', state.creator.commentDisabled);
    setInteraction('allow-duet', state.creator.duetDisabled);
    setInteraction('allow-stitch', state.creator.stitchDisabled);
  }
  state.file = undefined;
  state.durationSec = undefined;
  $('preview').hidden = true;
  $('preview-video').removeAttribute('src');
  $('video-info').textContent =
    `MP4, WebM or MOV, up to 4 GB and ${formatDuration(maxDuration())} long for this account.`;
}

// ---- the list of posts -------------------------------------------------------------------------------------------

let nextCursor;

async function loadPosts(more = false) {
  try {
    const query = new URLSearchParams({ limit: String(POSTS_PER_PAGE) });
    if (more && nextCursor) query.set('cursor', nextCursor);
    const page = await api(`${base}/posts?${query}`);
    const posts = page.posts ?? [];
    const list = $('post-list');
    if (!more) list.replaceChildren();
    list.append(...posts.map(postItem));
    nextCursor = page.cursor ?? page.nextCursor;
    $('more-posts').hidden = !(page.hasMore ?? Boolean(nextCursor));
    $('posts-empty').hidden = list.children.length > 0;
    schedulePoll(posts.some(isMoving));
  } catch (error) {
    showOutcome('error', `Could not load your posts: ${error.message}`);
  }
}

/** Worth watching: on its way to TikTok, or scheduled to start within the next minute. */
function isMoving(post) {
  if (post.status === 'scheduled') return Date.parse(post.publishAt) <= Date.now() + 60_000;
  return !FINAL_STATUSES.has(post.status);
}

function schedulePoll(active) {
  clearTimeout(pollTimer);
  if (active) pollTimer = setTimeout(() => loadPosts(), POLL_MS);
}

function postItem(post) {
  const item = element('li', { className: `post ${post.status}` });
  item.dataset.postId = post.postId;
  item.dataset.status = post.status;
  const at = post.publishedAt ?? post.publishAt ?? post.createdAt;
  const when = at ? new Date(at).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' }) : '';
  const head = element('div', { className: 'post-head' }, [
    element('span', {
      className: `status ${post.status}`,
      textContent: STATUS_WORDS[post.status] ?? post.status,
    }),
    element('span', {
      className: 'post-time',
      textContent: post.status === 'scheduled' ? `for ${when}` : when,
    }),
  ]);
  const caption = element('div', {
    className: 'post-caption',
    textContent: post.caption || '(no caption)',
  });
  const details = [
    post.privacyLevel && PRIVACY_WORDS[post.privacyLevel],
    post.mode === 'inbox' && 'to inbox',
    post.tiktokPostId && `TikTok post ${post.tiktokPostId}`,
  ].filter(Boolean);
  item.append(head, caption);
  if (details.length)
    item.append(element('div', { className: 'post-meta', textContent: details.join(' · ') }));
  if (post.status === 'failed') {
    item.append(
      element('p', {
        className: 'fail-reason',
        textContent:
          FAIL_REASONS[post.failReason] ??
          `TikTok refused the post (${post.failReason ?? 'no reason given'}).`,
      }),
    );
  }
  if (post.status === 'scheduled') {
    item.append(
      element('button', {
        type: 'button',
        className: 'cancel',
        textContent: 'Cancel',
        onclick: () => cancel(post),
      }),
    );
  }
  return item;
}

async function cancel(post) {
  try {
    await api(`${base}/posts/${encodeURIComponent(post.postId)}`, { method: 'DELETE' });
    showOutcome('ok', 'The scheduled post is cancelled; nothing was sent to TikTok.');
  } catch (error) {
    showOutcome(
      'error',
      error.status === 409
        ? 'Too late to cancel: the post is already on its way to TikTok.'
        : `Could not cancel: ${error.message}`,
    );
  }
  await loadPosts();
}

// ---- start -------------------------------------------------------------------------------------------------------

function start() {
  if (!sessionStorage.getItem(TOKEN_KEY) || !openId) {
    location.replace('/platforms/connect');
    return;
  }
  $('time-zone').textContent = `your time (${Intl.DateTimeFormat().resolvedOptions().timeZone})`;
  const soon = new Date(Date.now() + 60 * 60_000);
  soon.setMinutes(Math.ceil(soon.getMinutes() / 5) * 5, 0, 0);
  $('publish-at').value = localInputValue(soon);
  $('publish-at').min = localInputValue(new Date());
  $('video-file').addEventListener('change', chooseFile);
  for (const id of ['caption', 'privacy', 'disclose', 'brand-organic', 'brand-content', 'publish-at'])
    $(id).addEventListener('input', update);
  for (const radio of document.querySelectorAll('input[name=mode], input[name=when]'))
    radio.addEventListener('change', update);
  $('compose-form').addEventListener('submit', submit);
  $('refresh-posts').addEventListener('click', () => loadPosts());
  $('more-posts').addEventListener('click', () => loadPosts(true));
  update();
  loadCreator().then(update);
  loadPosts();
}

start();
