// The analytics dashboard of the demo platform: reads the analytics routes with the signed-in user's token and
// draws them with uPlot (a small, fast time-series library; loaded as /platforms/vendor/uplot.js).
const TOKEN_KEY = 'tiktok-connect-demo-token';
const USER_KEY = 'tiktok-connect-demo-user';
const DAY = 86_400_000;
const $ = (id) => document.getElementById(id);
const compact = new Intl.NumberFormat('en', { notation: 'compact' });
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const charts = [];

async function token() {
  let value = sessionStorage.getItem(TOKEN_KEY);
  if (!value) {
    // Signed in on the connect page normally; the local issuer gives a demo user a token otherwise.
    const user = sessionStorage.getItem(USER_KEY) ?? 'demo-user';
    const answer = await fetch(`/dev/token?sub=${encodeURIComponent(user)}`);
    value = (await answer.json()).token;
    sessionStorage.setItem(TOKEN_KEY, value);
    sessionStorage.setItem(USER_KEY, user);
  }
  return value;
}

async function api(path, accept = 'application/json') {
  const response = await fetch(path, { headers: { accept, authorization: `Bearer ${await token()}` } });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new Error(problem.detail ?? `HTTP ${response.status}`);
  }
  return accept === 'application/json' ? response.json() : response.text();
}

const base = () => `/tiktok/connections/${encodeURIComponent($('account').value)}/analytics`;
const range = () => `from=${$('from').value}&to=${$('to').value}`;
const text = (value) => document.createTextNode(String(value));

function cellRow(cells) {
  const tr = document.createElement('tr');
  for (const value of cells) {
    const td = document.createElement('td');
    td.append(text(value));
    tr.append(td);
  }
  return tr;
}

function lineChart(target, title, xs, series) {
  const el = $(target);
  el.replaceChildren();
  if (xs.length === 0) {
    el.append(text('No snapshots in this range yet.'));
    return;
  }
  const colors = ['#fe2c55', '#25f4ee', '#161823', '#f5a623', '#7b61ff'];
  const chart = new uPlot(
    {
      width: el.clientWidth || 900,
      height: 240,
      title,
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: colors[i % colors.length],
          width: 2,
          spanGaps: true,
        })),
      ],
      axes: [{}, { values: (_, ticks) => ticks.map((t) => compact.format(t)), size: 60 }],
    },
    [xs, ...series.map((s) => s.values)],
    el,
  );
  charts.push(chart);
}

async function showFollowers(series) {
  const points = series.account.filter((p) => p.followerCount !== null);
  lineChart(
    'followers-chart',
    'Followers',
    points.map((p) => Date.parse(p.at) / 1000),
    [{ label: 'Followers', values: points.map((p) => p.followerCount) }],
  );
  const growth = await api(`${base()}/followers?${range()}`);
  const last = growth.days.at(-1);
  $('followers-now').textContent = last ? compact.format(last.followerCount) : '–';
  const first = growth.days[0];
  const change = last && first ? last.followerCount - first.followerCount : 0;
  $('followers-change').textContent = last
    ? `${change >= 0 ? '+' : ''}${compact.format(change)} in range`
    : '';
  $('followers-change').className = `change ${change >= 0 ? 'up' : 'down'}`;
}

async function showVideos(series) {
  const metrics = await api(`${base()}/videos?${range()}`);
  const top = metrics.videos.filter((v) => v.velocity24h !== null).slice(0, 5);
  const byId = new Map(series.videos.map((v) => [v.id, v]));
  // One time axis for the top videos' view curves (uPlot wants aligned series).
  const times = [
    ...new Set(top.flatMap((v) => (byId.get(v.id)?.points ?? []).map((p) => Date.parse(p.at) / 1000))),
  ].sort((a, b) => a - b);
  lineChart(
    'views-chart',
    'Views of the fastest videos',
    times,
    top.map((v) => {
      const points = new Map(
        (byId.get(v.id)?.points ?? []).map((p) => [Date.parse(p.at) / 1000, p.viewCount]),
      );
      return { label: (v.description ?? v.id).slice(0, 28), values: times.map((t) => points.get(t) ?? null) };
    }),
  );
  const body = $('top-videos').querySelector('tbody');
  body.replaceChildren(
    ...metrics.videos
      .slice(0, 10)
      .map((v) =>
        cellRow([
          (v.description ?? v.id).slice(0, 48),
          v.createdAt.slice(0, 10),
          v.viewCount === null ? '–' : compact.format(v.viewCount),
          v.velocity24h === null ? '–' : compact.format(Math.round(v.velocity24h)),
          v.engagementRate === null ? '–' : `${(v.engagementRate * 100).toFixed(1)} %`,
        ]),
      ),
  );
}

async function showBreakouts() {
  const found = await api(`${base()}/breakouts?${range()}`);
  const list = $('breakouts');
  list.replaceChildren(
    ...(found.videos.length === 0
      ? [Object.assign(document.createElement('li'), { textContent: 'No breakout in this range (yet).' })]
      : found.videos.map((v) =>
          Object.assign(document.createElement('li'), {
            textContent: `🚀 ${(v.description ?? v.id).slice(0, 60)} — ${v.times.toFixed(1)}× your median first-day velocity (${compact.format(Math.round(v.velocity24h))} views/h)`,
          }),
        )),
  );
}

async function showHeatmap() {
  const { cells } = await api(`${base()}/heatmap?${range()}`);
  const max = Math.max(1, ...cells.map((c) => c.medianViews7d));
  const byKey = new Map(cells.map((c) => [`${c.weekday}:${c.hour}`, c]));
  const grid = $('heatmap');
  grid.replaceChildren(text(''));
  for (let hour = 0; hour < 24; hour++)
    grid.append(
      Object.assign(document.createElement('span'), {
        className: 'label',
        textContent: hour % 3 === 0 ? String(hour) : '',
      }),
    );
  for (let day = 0; day < 7; day++) {
    grid.append(
      Object.assign(document.createElement('span'), { className: 'label', textContent: WEEKDAYS[day] }),
    );
    for (let hour = 0; hour < 24; hour++) {
      const cell = byKey.get(`${day}:${hour}`);
      const el = Object.assign(document.createElement('span'), { className: 'cell' });
      if (cell) {
        el.style.background = `rgba(254, 44, 85, ${0.15 + (0.85 * cell.medianViews7d) / max})`;
        el.title = `${WEEKDAYS[day]} ${hour}:00 — ${cell.videos} video(s), median ${compact.format(cell.medianViews7d)} views after 7 days`;
      }
      grid.append(el);
    }
  }
}

async function showHashtags() {
  const { hashtags } = await api(`${base()}/hashtags?${range()}`);
  $('hashtags')
    .querySelector('tbody')
    .replaceChildren(
      ...hashtags
        .slice(0, 15)
        .map((h) =>
          cellRow([
            `#${h.tag}`,
            h.videoCount,
            compact.format(h.viewCount),
            compact.format(h.medianViews),
            h.engagementRate === null ? '–' : `${(h.engagementRate * 100).toFixed(1)} %`,
          ]),
        ),
    );
}

async function show() {
  $('status').textContent = 'Loading…';
  for (const chart of charts.splice(0)) chart.destroy();
  try {
    const series = await api(`${base()}?${range()}&limit=500`);
    await Promise.all([
      showFollowers(series),
      showVideos(series),
      showBreakouts(),
      showHeatmap(),
      showHashtags(),
    ]);
    $('status').textContent = `${series.account.length} account snapshots, ${series.videos.length} videos.`;
    document.body.dataset.ready = 'true';
  } catch (error) {
    $('status').textContent = `Could not load analytics: ${error.message}`;
  }
}

async function exportCsv() {
  const csv = await api(`${base()}?${range()}&limit=500`, 'text/csv');
  const link = Object.assign(document.createElement('a'), {
    href: URL.createObjectURL(new Blob([csv], { type: 'text/csv' })),
    download: `tiktok-analytics-${$('from').value}-${$('to').value}.csv`,
  });
  link.click();
  URL.revokeObjectURL(link.href);
}

async function start() {
  const today = new Date();
  $('to').value = today.toISOString().slice(0, 10);
  $('from').value = new Date(today.getTime() - 29 * DAY).toISOString().slice(0, 10);
  const { connections } = await api('/tiktok/connections');
  const select = $('account');
  for (const c of connections) {
    select.append(
      Object.assign(document.createElement('option'), {
        value: c.openId,
        textContent: c.displayName ?? c.openId,
      }),
    );
  }
  if (connections.length === 0) {
    $('status').textContent = 'No TikTok account connected: connect one first.';
    return;
  }
  $('range-form').addEventListener('submit', (event) => {
    event.preventDefault();
    show();
  });
  $('csv-button').addEventListener('click', () =>
    exportCsv().catch((e) => {
      $('status').textContent = e.message;
    }),
  );
  await show();
}

start().catch((error) => {
  $('status').textContent = `Could not start: ${error.message}`;
});
