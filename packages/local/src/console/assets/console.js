// @ts-check
/**
 * The eventline console: a live view of the local stack, in plain browser JavaScript (no build).
 *
 * Data comes from the stack's API on the same origin: a snapshot (`/_eventline/feed`, `/files`,
 * `/stats`, `/dlq`) and then server-sent events (`/_eventline/events`: `feed`, `log`, `counters`).
 * Uploads are S3 PutObject requests to the same edge, like any client's. The file feed is a
 * virtualised list (fixed row height, only the visible rows exist in the DOM) and every change is
 * applied once per animation frame, so tens of thousands of files keep the page responsive.
 * Text from the stack is only ever set as text, never parsed as HTML.
 */

const API = '/_eventline';
const ROW_HEIGHT = 32;
const OVERSCAN = 8;
const RATE_WINDOW_MS = 5_000;
const SPARK_POINTS = 60;

/** @typedef {{ at: string, kind: string, key: string, bucket?: string, status?: string, route?: string, size?: number, records?: number, rejected?: number, durationMs?: number, notification?: string, reason?: string, attempt?: number }} FeedEntry */
/** @typedef {{ at: string, level: string, message: string, key?: string, extra?: Record<string, unknown> }} LogLine */
/** @typedef {{ key: string, bucket?: string, status: string, done?: string, route?: string, size?: number, records?: number, rejected?: number, durationMs?: number, notification?: string, reason?: string, note?: string, attempt?: number, at: string, ver: number }} Row */
/** @typedef {{ id: string, code: string, reason: string, object?: { bucket: string, key: string }, failedAt: string, attempts?: number }} Letter */

// ---------------------------------------------------------------- small helpers

/** @param {string} id */
function el(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`console: #${id} is missing from the page`);
  return node;
}

/**
 * Creates an element; string children become text nodes (never HTML).
 * @param {string} tag
 * @param {Record<string, string | number | boolean | undefined> | null} [attrs]
 * @param {...(Node | string | number | null | undefined | false)} children
 */
function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === false) continue;
    if (name === 'class') node.className = String(value);
    else if (name === 'text') node.textContent = String(value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return node;
}

/**
 * JSON with DynamoDB's numbers exact: a number a double cannot hold (38 digits, 1e-130) keeps the
 * text the stack sent (JSON.parse's source text), and JSON.stringify writes that text back as it
 * came. Where the browser cannot, the text is kept as a string rather than rounded.
 * @param {string} text
 */
function parseExact(text) {
  const raw = /** @type {any} */ (JSON).rawJSON;
  return JSON.parse(
    text,
    /** @param {string} _key @param {unknown} value @param {{ source?: string }} [context] */
    (_key, value, context) => {
      if (typeof value !== 'number' || context?.source === undefined || String(value) === context.source)
        return value;
      return typeof raw === 'function' ? raw(context.source) : context.source;
    },
  );
}

/** @param {string} path @param {RequestInit} [init] */
async function api(path, init) {
  const response = await fetch(`${API}${path}`, init);
  const text = await response.text();
  /** @type {any} */
  let body = {};
  try {
    body = text ? parseExact(text) : {};
  } catch {
    body = { error: text };
  }
  if (!response.ok) throw new Error(body.error ?? `${response.status} ${response.statusText}`);
  return body;
}

const numberFormat = new Intl.NumberFormat('en-US');
/** @param {number | undefined} n */
const int = (n) => (n === undefined || n === null ? '–' : numberFormat.format(n));

/** @param {number | undefined} n */
function bytes(n) {
  if (n === undefined || n === null) return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

/** @param {number | undefined} ms */
function duration(ms) {
  if (ms === undefined || ms === null) return '–';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** @param {string | undefined} iso */
function clock(iso, millis = false) {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const time = d.toLocaleTimeString('en-GB', { hour12: false });
  return millis ? `${time}.${String(d.getMilliseconds()).padStart(3, '0')}` : time;
}

/** @param {string} key */
const encodeKey = (key) => key.split('/').map(encodeURIComponent).join('/');

/** @param {unknown} value */
const pretty = (value) => JSON.stringify(value, null, 2);

/**
 * Runs `fn` at most once per `ms`, trailing (the last call wins).
 * @param {() => unknown} fn @param {number} ms
 */
function debounce(fn, ms) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  return () => {
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      fn();
    }, ms);
  };
}

/** @param {string} text @param {'ok' | 'bad' | ''} [tone] @param {number} [ttl] */
function toast(text, tone = '', ttl = 4000) {
  const box = el('toasts');
  const node = h('div', { class: `toast ${tone}`, role: 'status' }, text);
  box.append(node);
  while (box.children.length > 3) box.firstElementChild?.remove();
  const timer = setTimeout(() => node.remove(), ttl);
  return {
    /** @param {string} next @param {'ok' | 'bad' | ''} [nextTone] */
    update(next, nextTone) {
      node.textContent = next;
      if (nextTone !== undefined) node.className = `toast ${nextTone}`;
      clearTimeout(timer);
      setTimeout(() => node.remove(), ttl);
    },
  };
}

/** @param {string} status */
function badge(status) {
  return h('span', { class: 'badge', 'data-status': status }, status);
}

// ---------------------------------------------------------------- state

const state = {
  /** @type {{ endpoint: string, bucket: string, table: string, topicArn: string, routes: Array<{ id: string, prefix: string, suffix: string, format: string }> } | null} */
  health: null,
  /** @type {Record<string, number>} */
  counters: {},
  /** @type {{ dlqDepth: number, metrics: Record<string, number>, requests: Record<string, number>, invoker: Record<string, number> } | null} */
  stats: null,
  /** @type {Array<{ t: number, received: number, files: number, records: number }>} */
  samples: [],
  /** @type {Map<string, Row>} */
  rows: new Map(),
  /** Keys, most recent activity first. */
  /** @type {string[]} */
  order: [],
  /** Keys to bring to the top at the next frame, in arrival order. */
  /** @type {string[]} */
  moved: [],
  /** The filtered order the list shows. */
  /** @type {string[]} */
  view: [],
  viewDirty: true,
  /** @type {string | null} */
  selected: null,
  /** @type {Letter[]} */
  letters: [],
  tab: 'files',
  /** True while the feed is filtered by key or status. */
  filtered: false,
  prefixEdited: false,
};

// ---------------------------------------------------------------- the file feed (virtualised)

const TERMINAL = new Set(['processed', 'failed', 'dead-lettered']);
const NOTES = /** @type {Record<string, string>} */ ({
  duplicate: 'duplicate event: this version already had its outcome',
  stale: 'stale event: a newer version is in the ledger; skipped',
  superseded: 'superseded: the object was replaced while it was processed',
  finished: 'finished an earlier attempt',
});

/** @param {Row} row */
function statusGroup(row) {
  if (row.status === 'processed') return 'processed';
  if (row.status === 'failed' || row.status === 'dead-lettered') return 'failed';
  if (row.status === 'queued' || row.status === 'retrying' || row.status === 'processing') return 'inflight';
  return 'other';
}

/** @param {string} key @param {string} at */
function rowFor(key, at) {
  let row = state.rows.get(key);
  if (!row) {
    row = { key, status: 'queued', at, ver: 0 };
    state.rows.set(key, row);
    state.moved.push(key);
  }
  return row;
}

/** Folds one feed entry into its file's row. @param {FeedEntry} entry */
function applyEntry(entry) {
  const row = rowFor(entry.key, entry.at);
  row.at = entry.at;
  row.ver += 1;
  if (entry.bucket) row.bucket = entry.bucket;
  switch (entry.kind) {
    case 'received':
      row.status = 'queued';
      row.reason = undefined;
      row.note = undefined;
      row.attempt = undefined;
      state.moved.push(entry.key);
      break;
    case 'retry':
      row.status = 'retrying';
      row.attempt = entry.attempt;
      row.reason = entry.reason;
      row.note = `attempt ${entry.attempt ?? '?'} failed`;
      break;
    case 'dead-letter':
      row.status = 'dead-lettered';
      row.done = 'dead-lettered';
      row.reason = entry.reason;
      row.note = undefined;
      break;
    case 'ignored':
      row.status = 'ignored';
      row.note = 'outside every route';
      break;
    case 'outcome':
      applyOutcome(row, entry);
      break;
  }
  // Without a filter the view is the order itself; with one, any change may move a file in or out.
  if (state.filtered) state.viewDirty = true;
  scheduleFrame();
}

/** @param {Row} row @param {FeedEntry} entry */
function applyOutcome(row, entry) {
  const status = entry.status ?? 'processed';
  if (status === 'processed' || status === 'failed' || status === 'finished') {
    row.status = status === 'finished' ? (entry.reason ? 'failed' : 'processed') : status;
    row.done = row.status;
    if (entry.route) row.route = entry.route;
    if (entry.size !== undefined) row.size = entry.size;
    row.records = entry.records;
    row.rejected = entry.rejected;
    row.durationMs = entry.durationMs;
    row.notification = entry.notification;
    row.reason = entry.reason;
    row.attempt = undefined;
    row.note = status === 'finished' ? NOTES.finished : undefined;
    return;
  }
  if (status === 'ignored') {
    row.status = 'ignored';
    row.note = 'outside every route';
    return;
  }
  // duplicate / stale / superseded: an event about another version; the file keeps its outcome.
  row.status = row.done && TERMINAL.has(row.done) ? row.done : status;
  if (entry.route) row.route = entry.route;
  row.note = NOTES[status] ?? status;
}

/** A file known only from the ledger (the feed is in memory; the ledger outlives restarts). @param {any} item */
function applyLedgerFile(item) {
  const s = item.state;
  if (!s?.key || state.rows.has(s.key)) return;
  const row = rowFor(s.key, s.updatedAt);
  const status = String(s.status).toLowerCase();
  Object.assign(row, {
    bucket: s.bucket,
    status,
    done: TERMINAL.has(status) ? status : undefined,
    route: s.route,
    size: s.size,
    records: s.counts?.written,
    rejected: s.counts?.rejected,
    durationMs: s.durationMs,
    notification: s.notification?.status,
    reason: s.error?.message,
    note: 'from the ledger',
  });
}

function statusFilter() {
  return /** @type {HTMLSelectElement} */ (el('feed-status')).value;
}

function recomputeView() {
  const q = /** @type {HTMLInputElement} */ (el('feed-search')).value.trim().toLowerCase();
  const group = statusFilter();
  if (!q && !group) {
    state.view = state.order;
  } else {
    state.view = state.order.filter((key) => {
      const row = state.rows.get(key);
      if (!row) return false;
      if (group && statusGroup(row) !== group) return false;
      return !q || key.toLowerCase().includes(q);
    });
  }
  state.filtered = Boolean(q || group);
  state.viewDirty = false;
}

class VirtualList {
  /**
   * @param {HTMLElement} viewport @param {HTMLElement} spacer
   * @param {(node: HTMLElement, key: string) => void} renderRow
   */
  constructor(viewport, spacer, renderRow) {
    this.viewport = viewport;
    this.spacer = spacer;
    this.renderRow = renderRow;
    /** @type {string[]} */
    this.items = [];
    /** @type {HTMLElement[]} */
    this.pool = [];
    viewport.addEventListener('scroll', () => scheduleFrame(), { passive: true });
  }

  /** @param {string[]} items */
  setItems(items) {
    this.items = items;
    this.spacer.style.height = `${items.length * ROW_HEIGHT}px`;
  }

  /** The first row at least half visible. */
  firstVisible() {
    return this.items[Math.round(this.viewport.scrollTop / ROW_HEIGHT)];
  }

  /** @param {string} key */
  anchor(key) {
    const index = this.items.indexOf(key);
    if (index >= 0) this.viewport.scrollTop = index * ROW_HEIGHT;
  }

  /** @param {number} index */
  reveal(index) {
    const top = index * ROW_HEIGHT;
    const v = this.viewport;
    if (top < v.scrollTop) v.scrollTop = top;
    else if (top + ROW_HEIGHT > v.scrollTop + v.clientHeight) v.scrollTop = top + ROW_HEIGHT - v.clientHeight;
  }

  render() {
    const { clientHeight } = this.viewport;
    // Rows of a longer list may still hold the scroll range open: clamp to this list's end.
    const end = Math.max(0, this.items.length * ROW_HEIGHT - clientHeight);
    if (this.viewport.scrollTop > end) this.viewport.scrollTop = end;
    const scrollTop = Math.min(this.viewport.scrollTop, end);
    const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.items.length, Math.ceil((scrollTop + clientHeight) / ROW_HEIGHT) + OVERSCAN);
    const needed = Math.max(0, last - first);
    while (this.pool.length < needed) {
      const node = createRowNode();
      this.viewport.append(node);
      this.pool.push(node);
    }
    for (let i = 0; i < this.pool.length; i++) {
      const node = /** @type {HTMLElement} */ (this.pool[i]);
      if (i >= needed) {
        node.hidden = true;
        continue;
      }
      const index = first + i;
      node.hidden = false;
      node.style.transform = `translateY(${index * ROW_HEIGHT}px)`;
      this.renderRow(node, /** @type {string} */ (this.items[index]));
    }
  }
}

function createRowNode() {
  const node = h('div', { class: 'row feed-cols', role: 'option', 'aria-selected': 'false' });
  for (const cls of [
    'status',
    'key',
    'route',
    'num size',
    'num records',
    'num rejected',
    'num dur',
    'notif',
    'num when',
  ]) {
    node.append(h('span', { class: cls }));
  }
  return node;
}

/** @param {HTMLElement} node @param {string} key */
function renderRow(node, key) {
  const row = state.rows.get(key);
  if (!row) return;
  const selected = state.selected === key;
  const stamp = `${key}\u0000${row.ver}\u0000${selected}`;
  if (node.dataset.stamp === stamp) return;
  node.dataset.stamp = stamp;
  node.dataset.key = key;
  node.dataset.status = row.status;
  node.classList.toggle('selected', selected);
  node.setAttribute('aria-selected', String(selected));
  const cells = /** @type {HTMLElement[]} */ ([...node.children]);
  const [status, keyCell, route, size, records, rejected, dur, notif, when] = cells;
  status?.replaceChildren(badge(row.status === 'retrying' ? 'retrying' : row.status));
  if (keyCell) {
    keyCell.replaceChildren(key);
    if (
      row.reason &&
      (row.status === 'failed' || row.status === 'dead-lettered' || row.status === 'retrying')
    ) {
      // Reasons start with the key they are about; the row already shows it.
      const reason = row.reason.startsWith(`${key}: `) ? row.reason.slice(key.length + 2) : row.reason;
      keyCell.append(h('span', { class: 'reason' }, reason));
    } else if (row.note) {
      keyCell.append(h('span', { class: 'note' }, row.note));
    }
    keyCell.title = row.reason ? `${key}\n${row.reason}` : key;
  }
  if (route) route.textContent = row.route ?? '–';
  if (size) size.textContent = bytes(row.size);
  if (records) records.textContent = int(row.records);
  if (rejected) rejected.textContent = int(row.rejected);
  if (dur) dur.textContent = duration(row.durationMs);
  notif?.replaceChildren(row.notification ? badge(row.notification.toLowerCase()) : '–');
  if (when) when.textContent = clock(row.at);
}

const list = new VirtualList(el('feed-viewport'), el('feed-spacer'), renderRow);

let framePending = false;
function scheduleFrame() {
  if (framePending) return;
  framePending = true;
  requestAnimationFrame(frame);
}

/** Applies everything that changed since the last frame: order, filter, visible rows, counts. */
function frame() {
  framePending = false;
  const anchorKey = list.viewport.scrollTop > 0 ? list.firstVisible() : undefined;
  if (state.moved.length > 0) {
    /** @type {string[]} */
    const front = [];
    const seen = new Set();
    for (let i = state.moved.length - 1; i >= 0; i--) {
      const key = /** @type {string} */ (state.moved[i]);
      if (!seen.has(key)) {
        seen.add(key);
        front.push(key);
      }
    }
    state.moved = [];
    state.order = front.concat(state.order.filter((key) => !seen.has(key)));
    state.viewDirty = true;
  }
  if (state.viewDirty) {
    recomputeView();
    list.setItems(state.view);
    // Keep what the reader is looking at in place while new files arrive above it.
    if (anchorKey) list.anchor(anchorKey);
  }
  list.render();
  const total = state.rows.size;
  el('tab-count-files').textContent = int(total);
  el('feed-empty').hidden = total > 0;
  el('feed-summary').textContent =
    total === 0
      ? 'no files yet'
      : state.view.length === total
        ? `${int(total)} ${total === 1 ? 'file' : 'files'}`
        : `${int(state.view.length)} of ${int(total)} files`;
}

// ---------------------------------------------------------------- the flow picture

/** @param {string} id @param {string} text */
function setText(id, text) {
  const node = el(id);
  if (node.textContent !== text) node.textContent = text;
}

/** @param {string} id */
function pulse(id) {
  const node = el(id);
  if (node.classList.contains('pulse')) return;
  node.classList.add('pulse');
  setTimeout(() => node.classList.remove('pulse'), 450);
}

function filesDone(c = state.counters) {
  return (c.processed ?? 0) + (c.failed ?? 0);
}

/** Rates per second over the last few seconds of counter samples. */
function rates() {
  const now = state.samples.at(-1);
  if (!now) return { received: 0, files: 0, records: 0 };
  let old = now;
  for (let i = state.samples.length - 1; i >= 0; i--) {
    const sample = /** @type {typeof now} */ (state.samples[i]);
    old = sample;
    if (now.t - sample.t >= RATE_WINDOW_MS) break;
  }
  const seconds = (now.t - old.t) / 1000;
  if (seconds <= 0) return { received: 0, files: 0, records: 0 };
  return {
    received: (now.received - old.received) / seconds,
    files: (now.files - old.files) / seconds,
    records: (now.records - old.records) / seconds,
  };
}

function sparkline() {
  /** @type {number[]} */
  const perSecond = [];
  for (let i = 1; i < state.samples.length; i++) {
    const a = /** @type {(typeof state.samples)[number]} */ (state.samples[i - 1]);
    const b = /** @type {(typeof state.samples)[number]} */ (state.samples[i]);
    const dt = (b.t - a.t) / 1000;
    perSecond.push(dt > 0 ? (b.files - a.files) / dt : 0);
  }
  const values = perSecond.slice(-SPARK_POINTS);
  while (values.length < SPARK_POINTS) values.unshift(0);
  const max = Math.max(1, ...values);
  const points = values
    .map((v, i) => `${((i / (SPARK_POINTS - 1)) * 120).toFixed(1)},${(22 - (v / max) * 20).toFixed(1)}`)
    .join(' ');
  el('spark').querySelector('polyline')?.setAttribute('points', points);
}

function renderFlow() {
  const c = state.counters;
  const inv = state.stats?.invoker ?? {};
  const inflight =
    (c.queued ?? inv.queued ?? 0) + (c.running ?? inv.running ?? 0) + (c.retrying ?? inv.retrying ?? 0);
  const r = rates();
  setText('c-received', int(c.received ?? 0));
  setText('r-received', r.received.toFixed(1));
  setText('c-ignored', int(c.ignored ?? 0));
  setText('c-inflight', int(inflight));
  setText('c-processed', int(c.processed ?? 0));
  setText('c-failed', int(c.failed ?? 0));
  setText('c-retries', int(c.retries ?? 0));
  setText('r-files', r.files.toFixed(1));
  setText('c-records', int(c.recordsWritten ?? 0));
  setText('c-rejected', int(c.recordsRejected ?? 0));
  setText('r-records', r.records.toFixed(1));
  setText('c-deadlettered', int(c.deadLettered ?? 0));
  const metrics = state.stats?.metrics ?? {};
  setText('c-notified', int(metrics.NotificationsSent ?? 0));
  setText('c-notify-failed', int(metrics.NotificationsFailed ?? 0));
  const requests = state.stats?.requests ?? {};
  /** @param {string} prefix */
  const sum = (prefix) =>
    Object.entries(requests)
      .filter(([name]) => name.startsWith(prefix))
      .reduce((total, [, n]) => total + n, 0);
  setText('q-s3', `${int(sum('s3:'))} S3 API requests`);
  setText('q-ddb', `${int(sum('dynamodb:'))} DynamoDB API requests`);
  setText('q-sns', `${int(sum('sns:'))} SNS API requests`);
  el('edge-1').classList.toggle('active', r.received > 0 || inflight > 0);
  el('edge-2').classList.toggle('active', r.files > 0 || inflight > 0);
  el('edge-3').classList.toggle('active', r.files > 0);
  sparkline();
}

/** @param {number} depth */
function renderDlqDepth(depth) {
  setText('c-dlq', int(depth));
  setText('tab-count-dlq', int(depth));
  el('tab-count-dlq').classList.toggle('alert', depth > 0);
  el('node-dlq').classList.toggle('has-letters', depth > 0);
  /** @type {HTMLButtonElement} */ (el('dlq-replay-all')).disabled = depth === 0;
}

/** @param {Record<string, number>} counters */
function onCounters(counters) {
  // A restarted stack counts from zero again: rates start over rather than go negative.
  if ((counters.received ?? 0) < (state.counters.received ?? 0)) state.samples = [];
  Object.assign(state.counters, counters);
  state.samples.push({
    t: Date.now(),
    received: state.counters.received ?? 0,
    files: filesDone(),
    records: state.counters.recordsWritten ?? 0,
  });
  if (state.samples.length > SPARK_POINTS + 10)
    state.samples.splice(0, state.samples.length - SPARK_POINTS - 10);
  renderFlow();
}

async function loadStats() {
  try {
    state.stats = await api('/stats');
    const stats = /** @type {NonNullable<typeof state.stats>} */ (state.stats);
    if (stats.dlqDepth !== state.letters.length) refreshDlqSoon();
    renderDlqDepth(stats.dlqDepth);
    renderFlow();
  } catch {
    // The connection indicator says when the stack is away; the next poll tries again.
  }
}
const refreshStatsSoon = debounce(loadStats, 250);

// ---------------------------------------------------------------- file detail

/** @param {string | null} key */
function select(key) {
  state.selected = key;
  state.viewDirty = true;
  scheduleFrame();
  if (!key) {
    el('detail-body').hidden = true;
    el('detail-empty').hidden = false;
    return;
  }
  void loadDetail(key);
}

let detailSeq = 0;
/** @param {string} key */
async function loadDetail(key) {
  const seq = ++detailSeq;
  const bucket = state.rows.get(key)?.bucket;
  const query = `key=${encodeURIComponent(key)}${bucket ? `&bucket=${encodeURIComponent(bucket)}` : ''}`;
  try {
    const detail = await api(`/file?${query}`);
    if (seq !== detailSeq || state.selected !== key) return;
    renderDetail(key, detail);
  } catch (error) {
    if (seq !== detailSeq) return;
    const body = el('detail-body');
    body.replaceChildren(h('div', { class: 'error-box' }, `could not load ${key}: ${String(error)}`));
    body.hidden = false;
    el('detail-empty').hidden = true;
  }
}
const refreshDetailSoon = debounce(() => {
  if (state.selected) void loadDetail(state.selected);
}, 300);

/** @param {Array<[string, unknown]>} pairs */
function metaList(pairs) {
  const dl = h('dl', { class: 'meta' });
  for (const [name, value] of pairs) {
    if (value === undefined || value === null || value === '') continue;
    dl.append(h('dt', null, name), h('dd', null, String(value)));
  }
  return dl;
}

/** @param {string} title @param {number | string} [count] */
function section(title, count) {
  return h('h3', null, h('span', null, title), count === undefined ? null : h('span', null, String(count)));
}

/** @param {string} key @param {any} detail */
function renderDetail(key, detail) {
  const body = el('detail-body');
  const scroll = el('detail').scrollTop;
  const s = detail.state;
  const row = state.rows.get(key);
  const status = s ? String(s.status).toLowerCase() : (row?.status ?? 'unknown');
  const close = h(
    'button',
    { type: 'button', class: 'close', title: 'close (Esc)', 'aria-label': 'close' },
    '×',
  );
  close.addEventListener('click', () => select(null));
  const parts = [
    h('div', { class: 'detail-title' }, h('h2', { id: 'detail-key' }, key), close),
    h(
      'div',
      { id: 'detail-status' },
      badge(status),
      row?.note ? h('span', { class: 'muted' }, `  ${row.note}`) : null,
    ),
  ];
  if (s) {
    parts.push(
      metaList([
        ['bucket', s.bucket],
        ['route', s.route],
        ['size', s.size !== undefined ? `${bytes(s.size)} (${int(s.size)} bytes)` : undefined],
        ['eTag', s.eTag],
        ['version', s.versionId],
        ['attempts', s.attempts],
        ['started', s.startedAt],
        ['finished', s.finishedAt],
        ['duration', s.durationMs !== undefined ? duration(s.durationMs) : undefined],
        [
          'records',
          `${int(s.counts?.written)} written · ${int(s.counts?.rejected)} rejected · ${int(s.counts?.read)} read`,
        ],
        [
          'notification',
          `${s.notification?.status ?? '–'}${s.notification?.messageId ? ` · ${s.notification.messageId}` : ''}`,
        ],
        ['dead letter', s.deadLetter?.status],
        ['ledger key', detail.pk],
      ]),
    );
  } else {
    parts.push(
      h(
        'p',
        { class: 'muted' },
        'This file has no item in the ledger (yet): it is queued, was ignored, or has not been claimed.',
      ),
    );
  }
  const error = s?.error ?? (row?.reason ? { code: row.status, message: row.reason } : undefined);
  if (error && (status === 'failed' || status === 'dead-lettered' || status === 'retrying')) {
    const where = error.position
      ? Object.entries(error.position)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')
      : '';
    parts.push(
      h(
        'div',
        { class: 'error-box', id: 'detail-error' },
        h('div', { class: 'code' }, error.code ?? 'error'),
        h('div', { class: 'message' }, error.message),
        where ? h('div', { class: 'muted' }, `at ${where}`) : null,
      ),
    );
  }
  if (s?.rejects?.length) {
    parts.push(section('Rejected records', s.counts?.rejected ?? s.rejects.length));
    for (const reject of s.rejects) {
      const where = Object.entries(reject.position ?? {})
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      parts.push(
        h(
          'div',
          { class: 'card' },
          h('div', { class: 'card-head' }, h('b', null, reject.code), h('span', { class: 'muted' }, where)),
          reject.reason,
        ),
      );
    }
    if (s.rejectsKey) parts.push(h('p', { class: 'muted' }, `all rejects: s3://${s.bucket}/${s.rejectsKey}`));
  }

  // In file order (the ledger returns them in key order).
  const records = /** @type {any[]} */ ([...(detail.records ?? [])]).sort(
    (a, b) => (a.line ?? a.index ?? 0) - (b.line ?? b.index ?? 0),
  );
  parts.push(section('Ledger items', records.length));
  const recordsBox = h('div', { id: 'detail-records' });
  if (records.length === 0) recordsBox.append(h('p', { class: 'muted' }, 'no records from this file'));
  for (const record of records) {
    recordsBox.append(
      h(
        'div',
        { class: 'card record', 'data-pk': String(record.pk) },
        h(
          'div',
          { class: 'card-head' },
          h('b', null, String(record.pk)),
          h('span', { class: 'muted' }, record.line ? `line ${record.line}` : ''),
        ),
        h('pre', { class: 'json' }, pretty(record.payload)),
      ),
    );
  }
  parts.push(recordsBox);

  parts.push(section('Notification as delivered'));
  parts.push(renderNotification(detail.notification, s));

  const logs = /** @type {LogLine[]} */ (detail.logs ?? []);
  parts.push(section('Log lines', logs.length));
  parts.push(
    h(
      'p',
      { class: 'muted caption' },
      `logged with this file's correlation keys: bucket=${s?.bucket ?? row?.bucket ?? '?'} key=${key}`,
    ),
  );
  const logBox = h('div', { class: 'logs', id: 'detail-logs' });
  if (logs.length === 0)
    logBox.append(h('div', { class: 'muted' }, 'no log lines for this key (they are kept in memory)'));
  for (const line of logs) logBox.append(logLine(line));
  parts.push(logBox);

  const history = /** @type {FeedEntry[]} */ (detail.feed ?? []);
  if (history.length > 0) {
    parts.push(section('History', history.length));
    const box = h('div', { class: 'logs' });
    for (const entry of history) {
      box.append(
        h(
          'div',
          {
            class: 'log',
            'data-level': entry.status === 'failed' || entry.kind === 'dead-letter' ? 'error' : 'info',
          },
          h('span', null, clock(entry.at, true)),
          h('span', { class: 'level' }, entry.kind === 'outcome' ? (entry.status ?? '') : entry.kind),
          h(
            'span',
            null,
            entry.reason ??
              (entry.records !== undefined
                ? `${entry.records} record(s), ${duration(entry.durationMs)}`
                : ''),
          ),
        ),
      );
    }
    parts.push(box);
  }
  body.replaceChildren(...parts);
  body.hidden = false;
  el('detail-empty').hidden = true;
  el('detail').scrollTop = scroll;
}

/** @param {LogLine} line */
function logLine(line) {
  const extra = { ...(line.extra ?? {}) };
  delete extra.key;
  delete extra.bucket;
  const rest = Object.keys(extra).length > 0 ? JSON.stringify(extra) : '';
  return h(
    'div',
    { class: 'log', 'data-level': line.level },
    h('span', null, clock(line.at, true)),
    h('span', { class: 'level' }, line.level),
    h('span', null, line.message),
    rest ? h('span', { class: 'extra' }, rest) : null,
  );
}

/** @param {any} message @param {any} fileState */
function renderNotification(message, fileState) {
  const box = h('div', { id: 'detail-notification' });
  if (!message) {
    const pending = fileState?.notification?.status;
    box.append(
      h(
        'p',
        { class: 'muted' },
        pending === 'PENDING'
          ? `not sent yet${fileState.notification.error ? `: ${fileState.notification.error}` : ''}`
          : 'no notification for this file',
      ),
    );
    return box;
  }
  const card = h(
    'div',
    { class: 'card' },
    h(
      'div',
      { class: 'card-head' },
      h('b', null, message.subject ?? '(no subject)'),
      h('span', { class: 'muted' }, clock(message.timestamp, true)),
    ),
    h('div', { class: 'muted mono' }, `MessageId ${message.messageId}`),
  );
  let structure = null;
  if (message.messageStructure === 'json') {
    try {
      structure = JSON.parse(message.message);
    } catch {
      structure = null;
    }
  }
  if (structure && typeof structure === 'object') {
    if (typeof structure.default === 'string') card.append(h('pre', { class: 'json' }, structure.default));
    const machine = structure.http ?? structure.https ?? structure['email-json'];
    if (typeof machine === 'string') {
      let parsed = machine;
      try {
        parsed = pretty(JSON.parse(machine));
      } catch {
        // shown as published
      }
      card.append(
        h('div', { class: 'muted' }, 'for http/https/email-json subscribers:'),
        h('pre', { class: 'json' }, parsed),
      );
    }
  } else {
    card.append(h('pre', { class: 'json' }, String(message.message)));
  }
  const attributes = message.messageAttributes ?? {};
  const attributeText = Object.entries(attributes)
    .map(
      ([name, value]) =>
        `${name}=${/** @type {any} */ (value)?.StringValue ?? /** @type {any} */ (value)?.stringValue ?? JSON.stringify(value)}`,
    )
    .join('  ');
  if (attributeText) card.append(h('div', { class: 'muted mono' }, attributeText));
  const deliveries = h('div', { class: 'deliveries' });
  for (const d of message.deliveries ?? []) {
    deliveries.append(
      h(
        'div',
        null,
        badge(d.status),
        ` ${d.protocol} → ${d.endpoint} · ${d.attempts} attempt(s)${d.statusCode ? ` · HTTP ${d.statusCode}` : ''}${d.error ? ` · ${d.error}` : ''}`,
      ),
    );
  }
  if ((message.deliveries ?? []).length === 0)
    deliveries.append(h('span', { class: 'muted' }, 'published; the topic has no subscriptions'));
  card.append(deliveries);
  box.append(card);
  return box;
}

// ---------------------------------------------------------------- ledger browser

const ledger = {
  kind: 'record',
  q: '',
  /** Cursors of the pages before the current one; the current page's cursor is the last. */
  /** @type {(string | undefined)[]} */
  cursors: [undefined],
  /** @type {string | undefined} */
  next: undefined,
  seq: 0,
};

async function loadLedger() {
  const seq = ++ledger.seq;
  const size = /** @type {HTMLSelectElement} */ (el('ledger-size')).value;
  const cursor = ledger.cursors.at(-1);
  const params = new URLSearchParams({ limit: size });
  if (ledger.q) params.set('q', ledger.q);
  if (cursor) params.set('cursor', cursor);
  const table = el('ledger-table');
  try {
    const page = await api(`/${ledger.kind === 'record' ? 'records' : 'files'}?${params}`);
    if (seq !== ledger.seq) return;
    ledger.next = page.cursor;
    renderLedger(page.items ?? []);
  } catch (error) {
    table.replaceChildren(
      h(
        'tbody',
        null,
        h('tr', { class: 'empty-row' }, h('td', null, `could not read the ledger: ${String(error)}`)),
      ),
    );
  }
  /** @type {HTMLButtonElement} */ (el('ledger-prev')).disabled = ledger.cursors.length <= 1;
  /** @type {HTMLButtonElement} */ (el('ledger-next')).disabled = !ledger.next;
  el('ledger-page').textContent = `page ${ledger.cursors.length}`;
}

/** @param {any[]} items */
function renderLedger(items) {
  const table = el('ledger-table');
  const records = ledger.kind === 'record';
  const head = records
    ? ['key', 'from file', 'payload', 'processed']
    : ['status', 'file', 'records', 'rejected', 'notification', 'updated'];
  const widths = records ? ['22%', '26%', '38%', '14%'] : ['110px', '40%', '80px', '80px', '110px', '120px'];
  const colgroup = h('colgroup', null, ...widths.map((w) => h('col', { width: w })));
  const thead = h('thead', null, h('tr', null, ...head.map((name) => h('th', null, name))));
  const tbody = h('tbody');
  for (const item of items) {
    const key = records ? item.source?.key : item.state?.key;
    const tr = h('tr', { class: 'clickable', 'data-file': key ?? '', title: key ? `open ${key}` : '' });
    if (records) {
      tr.append(
        h('td', { class: 'mono' }, String(item.pk)),
        h('td', { class: 'mono' }, key ?? '–'),
        h('td', { class: 'mono' }, JSON.stringify(item.payload) ?? ''),
        h('td', null, clock(item.processedAt)),
      );
    } else {
      const s = item.state ?? {};
      tr.append(
        h('td', null, badge(String(s.status ?? item.status).toLowerCase())),
        h('td', { class: 'mono' }, s.key ?? ''),
        h('td', { class: 'num' }, int(s.counts?.written)),
        h('td', { class: 'num' }, int(s.counts?.rejected)),
        h('td', null, s.notification?.status ? badge(String(s.notification.status).toLowerCase()) : '–'),
        h('td', null, clock(s.updatedAt)),
      );
    }
    if (key) tr.addEventListener('click', () => select(key));
    tbody.append(tr);
  }
  if (items.length === 0) {
    tbody.append(
      h(
        'tr',
        { class: 'empty-row' },
        h(
          'td',
          { colspan: head.length },
          ledger.q
            ? `no ${records ? 'records' : 'files'} with a key containing “${ledger.q}”`
            : 'the ledger is empty',
        ),
      ),
    );
  }
  table.replaceChildren(colgroup, thead, tbody);
}

function resetLedger() {
  ledger.cursors = [undefined];
  void loadLedger();
}
const refreshLedgerSoon = debounce(() => {
  if (state.tab === 'ledger' && ledger.cursors.length === 1) void loadLedger();
}, 1000);

// ---------------------------------------------------------------- notifications

async function loadNotifications() {
  const table = el('notifications-table');
  try {
    const { notifications } = await api('/notifications?limit=200');
    const thead = h(
      'thead',
      null,
      h(
        'tr',
        null,
        ...['time', 'subject', 'file', 'status', 'deliveries', 'message id'].map((n) => h('th', null, n)),
      ),
    );
    const colgroup = h(
      'colgroup',
      null,
      ...['110px', '150px', '34%', '100px', '140px', '30%'].map((w) => h('col', { width: w })),
    );
    const tbody = h('tbody');
    for (const n of [...notifications].reverse()) {
      const { key, status } = describeNotification(n);
      const delivered = (n.deliveries ?? []).filter(
        (/** @type {any} */ d) => d.status === 'delivered',
      ).length;
      const failed = (n.deliveries ?? []).filter((/** @type {any} */ d) => d.status === 'failed').length;
      const total = (n.deliveries ?? []).length;
      const tr = h(
        'tr',
        { class: key ? 'clickable' : '', 'data-file': key ?? '' },
        h('td', null, clock(n.timestamp)),
        h('td', null, n.subject ?? ''),
        h('td', { class: 'mono' }, key ?? '–'),
        h('td', null, status ? badge(status.toLowerCase()) : '–'),
        h(
          'td',
          null,
          total === 0
            ? 'no subscribers'
            : `${delivered}/${total} delivered${failed ? `, ${failed} failed` : ''}`,
        ),
        h('td', { class: 'mono muted' }, n.messageId),
      );
      if (key) tr.addEventListener('click', () => select(key));
      tbody.append(tr);
    }
    if (notifications.length === 0)
      tbody.append(h('tr', { class: 'empty-row' }, h('td', { colspan: 6 }, 'no notifications yet')));
    table.replaceChildren(colgroup, thead, tbody);
  } catch (error) {
    table.replaceChildren(
      h(
        'tbody',
        null,
        h('tr', { class: 'empty-row' }, h('td', null, `could not list notifications: ${String(error)}`)),
      ),
    );
  }
}

/** The file and status a notification is about (its machine-readable part, else its text). @param {any} n */
function describeNotification(n) {
  /** @type {{ key?: string, status?: string }} */
  const out = {};
  try {
    const structure = n.messageStructure === 'json' ? JSON.parse(n.message) : null;
    const machine = structure
      ? JSON.parse(structure.http ?? structure['email-json'] ?? structure.default)
      : JSON.parse(n.message);
    if (typeof machine?.key === 'string') out.key = machine.key;
    if (typeof machine?.status === 'string') out.status = machine.status;
  } catch {
    const match = /^(?:New file processed|File failed): (.+)$/m.exec(String(n.message));
    if (match?.[1]) out.key = match[1];
  }
  const attr = n.messageAttributes?.status;
  if (!out.status && attr) out.status = attr.StringValue ?? attr.stringValue;
  return out;
}
const refreshNotificationsSoon = debounce(() => {
  if (state.tab === 'notifications') void loadNotifications();
}, 1000);

// ---------------------------------------------------------------- dead letters

async function loadDlq() {
  try {
    const { letters } = await api('/dlq');
    state.letters = letters;
    renderDlq();
    renderDlqDepth(letters.length);
  } catch (error) {
    el('dlq-table').replaceChildren(
      h(
        'tbody',
        null,
        h('tr', { class: 'empty-row' }, h('td', null, `could not list dead letters: ${String(error)}`)),
      ),
    );
  }
}
const refreshDlqSoon = debounce(loadDlq, 300);

function renderDlq() {
  const table = el('dlq-table');
  const colgroup = h(
    'colgroup',
    null,
    ...['110px', '30%', '130px', '40%', '70px', '150px'].map((w) => h('col', { width: w })),
  );
  const thead = h(
    'thead',
    null,
    h('tr', null, ...['failed', 'file', 'code', 'reason', 'attempts', ''].map((n) => h('th', null, n))),
  );
  const tbody = h('tbody');
  for (const letter of [...state.letters].reverse()) {
    const key = letter.object?.key;
    const replay = h(
      'button',
      { type: 'button', class: 'button small replay', 'data-id': letter.id },
      'Replay',
    );
    replay.addEventListener('click', (event) => {
      event.stopPropagation();
      void replayLetters(letter.id, /** @type {HTMLButtonElement} */ (replay));
    });
    const drop = h(
      'button',
      {
        type: 'button',
        class: 'button small drop',
        'data-id': letter.id,
        title: 'end this letter without replaying it (the file keeps its failed outcome)',
      },
      'Drop',
    );
    drop.addEventListener('click', (event) => {
      event.stopPropagation();
      void dropLetter(letter.id, /** @type {HTMLButtonElement} */ (drop));
    });
    const tr = h(
      'tr',
      { class: key ? 'clickable letter' : 'letter', 'data-file': key ?? '', 'data-id': letter.id },
      h('td', null, clock(letter.failedAt)),
      h('td', { class: 'mono' }, key ?? '(unreadable event)'),
      h('td', { class: 'mono' }, letter.code),
      h('td', { class: 'wrap' }, letter.reason),
      h('td', { class: 'num' }, int(letter.attempts)),
      h('td', { class: 'actions' }, replay, ' ', drop),
    );
    if (key) tr.addEventListener('click', () => select(key));
    tbody.append(tr);
  }
  if (state.letters.length === 0)
    tbody.append(h('tr', { class: 'empty-row' }, h('td', { colspan: 6 }, 'the dead-letter queue is empty')));
  table.replaceChildren(colgroup, thead, tbody);
}

const REPLAY_MEANING = /** @type {Record<string, string>} */ ({
  processed: 'processed now; the letter is cleared',
  finished: 'its remaining steps are done; the letter is cleared',
  duplicate: 'this version already has its outcome; the letter is cleared',
  stale:
    'a newer version of the object is already in the ledger, so this old event changes nothing; the letter is cleared',
  superseded: 'the object was replaced since; the newer version is what counts; the letter is cleared',
  ignored: 'outside every route now; the letter is cleared',
  failed: 'failed again; a new letter with the new reason replaces it',
  error: 'could not be replayed; the letter stays',
  gone: 'the object no longer exists; the letter is ended',
  dropped: 'dropped without replaying; the file keeps its failed outcome',
});

/** Ends one letter without replaying it. @param {string} id @param {HTMLButtonElement} button */
async function dropLetter(id, button) {
  button.disabled = true;
  const box = el('replay-results');
  try {
    const { dropped } = await api('/dlq/drop', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id }),
    });
    box.replaceChildren(
      h(
        'div',
        { class: 'replay-result', 'data-status': 'dropped', 'data-key': dropped.key ?? '' },
        badge('dropped'),
        ' ',
        h('b', { class: 'mono' }, dropped.key ?? dropped.id),
        ` — ${REPLAY_MEANING.dropped}`,
      ),
    );
    toast('dead letter dropped', 'ok');
  } catch (error) {
    box.replaceChildren(h('div', { class: 'replay-result bad' }, `drop refused: ${String(error)}`));
    toast(`drop refused: ${String(error)}`, 'bad');
  } finally {
    button.disabled = false;
    await loadDlq();
    refreshStatsSoon();
  }
}

/** @param {string | undefined} id @param {HTMLButtonElement} button */
async function replayLetters(id, button) {
  button.disabled = true;
  const box = el('replay-results');
  try {
    const { results } = await api('/dlq/replay', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(id ? { id } : {}),
    });
    box.replaceChildren(
      ...results.map((/** @type {{ id: string, key?: string, status: string, reason?: string }} */ r) =>
        h(
          'div',
          { class: 'replay-result', 'data-status': r.status, 'data-key': r.key ?? '' },
          badge(r.status),
          ' ',
          h('b', { class: 'mono' }, r.key ?? r.id),
          ` — ${REPLAY_MEANING[r.status] ?? r.status}${r.reason ? `: ${r.reason}` : ''}`,
        ),
      ),
    );
    if (results.length === 0) box.replaceChildren(h('div', { class: 'replay-result' }, 'nothing to replay'));
    const bad = results.some(
      (/** @type {{ status: string }} */ r) => r.status === 'failed' || r.status === 'error',
    );
    toast(`replayed ${results.length} letter(s)${bad ? ': some failed again' : ''}`, bad ? 'bad' : 'ok');
  } catch (error) {
    box.replaceChildren(h('div', { class: 'replay-result bad' }, `replay refused: ${String(error)}`));
    toast(`replay refused: ${String(error)}`, 'bad');
  } finally {
    button.disabled = false;
    await loadDlq();
    refreshStatsSoon();
    refreshDetailSoon();
  }
}

// ---------------------------------------------------------------- uploads (the S3 API)

function bucketName() {
  return state.health?.bucket ?? 'eventline-local';
}

/** @param {string} key */
function routeOf(key) {
  return state.health?.routes.find((r) => key.startsWith(r.prefix) && key.endsWith(r.suffix));
}

/**
 * PutObject through the edge, as any S3 client would (path-style: /bucket/key).
 * @param {File} file @param {string} key @param {(fraction: number) => void} [progress]
 * @returns {Promise<void>}
 */
function putObject(file, key, progress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', `/${encodeURIComponent(bucketName())}/${encodeKey(key)}`);
    xhr.setRequestHeader('content-type', file.type || 'application/octet-stream');
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable && progress) progress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve();
      const doc = new DOMParser().parseFromString(xhr.responseText || '<Error/>', 'application/xml');
      const code = doc.querySelector('Code')?.textContent;
      const message = doc.querySelector('Message')?.textContent;
      reject(new Error(`S3 answered ${xhr.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`));
    });
    xhr.addEventListener('error', () => reject(new Error('the stack did not answer')));
    xhr.send(file);
  });
}

/** @param {FileList | File[]} files */
async function uploadFiles(files) {
  const all = [...files];
  if (all.length === 0) return;
  const prefix = /** @type {HTMLInputElement} */ (el('upload-prefix')).value;
  const single = all.length <= 3;
  const summary = single ? null : toast(`uploading ${all.length} files…`, '', 60_000);
  let done = 0;
  let failed = 0;
  const queue = [...all];
  const worker = async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const key = `${prefix}${file.name}`;
      const note = single ? toast(`uploading s3://${bucketName()}/${key}…`, '', 30_000) : null;
      try {
        await putObject(file, key, (f) =>
          note?.update(`uploading s3://${bucketName()}/${key}… ${Math.round(f * 100)}%`),
        );
        const route = routeOf(key);
        note?.update(
          route
            ? `uploaded s3://${bucketName()}/${key} (route ${route.id}, ${route.format})`
            : `uploaded s3://${bucketName()}/${key}: outside every route, so the pipeline ignores it`,
          route ? 'ok' : '',
        );
      } catch (error) {
        failed += 1;
        note?.update(
          `upload of ${key} failed: ${error instanceof Error ? error.message : String(error)}`,
          'bad',
        );
      }
      done += 1;
      summary?.update(
        `uploading ${all.length} files… ${done}/${all.length}${failed ? ` (${failed} failed)` : ''}`,
      );
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  summary?.update(
    `uploaded ${all.length - failed} of ${all.length} files${failed ? `; ${failed} failed` : ''}`,
    failed ? 'bad' : 'ok',
  );
}

function wireUploads() {
  const input = /** @type {HTMLInputElement} */ (el('upload-input'));
  input.addEventListener('change', () => {
    const files = input.files ? [...input.files] : [];
    input.value = '';
    void uploadFiles(files);
  });
  el('upload-prefix').addEventListener('input', () => {
    state.prefixEdited = true;
  });
  const overlay = el('drop-overlay');
  let depth = 0;
  /** @param {DragEvent} event */
  const hasFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes('Files');
  window.addEventListener('dragenter', (event) => {
    if (!hasFiles(event)) return;
    depth += 1;
    el('drop-target').textContent =
      `s3://${bucketName()}/${/** @type {HTMLInputElement} */ (el('upload-prefix')).value}`;
    overlay.hidden = false;
  });
  window.addEventListener('dragleave', (event) => {
    if (!hasFiles(event)) return;
    depth = Math.max(0, depth - 1);
    if (depth === 0) overlay.hidden = true;
  });
  window.addEventListener('dragover', (event) => {
    if (hasFiles(event)) event.preventDefault();
  });
  window.addEventListener('drop', (event) => {
    if (!event.dataTransfer?.files?.length) return;
    event.preventDefault();
    depth = 0;
    overlay.hidden = true;
    void uploadFiles(event.dataTransfer.files);
  });
}

// ---------------------------------------------------------------- live connection

/** @param {'connecting' | 'live' | 'reconnecting'} value @param {string} [detail] */
function setConnection(value, detail) {
  const node = el('connection');
  node.dataset.state = value;
  node.textContent =
    value === 'live'
      ? 'live'
      : value === 'connecting'
        ? 'connecting…'
        : `reconnecting…${detail ? ` (${detail})` : ''}`;
}

let retryDelay = 500;
/** Feed events that arrive while a snapshot is loading wait for it, so the snapshot never undoes them. */
/** @type {FeedEntry[] | null} */
let buffered = null;

function connect() {
  const source = new EventSource(`${API}/events`);
  source.addEventListener('open', () => {
    retryDelay = 500;
    setConnection('live');
    void resync();
  });
  source.addEventListener('feed', (event) => {
    /** @type {FeedEntry} */
    const entry = JSON.parse(/** @type {MessageEvent} */ (event).data);
    if (buffered) buffered.push(entry);
    else onFeed(entry);
  });
  source.addEventListener('log', (event) => {
    /** @type {LogLine} */
    const line = JSON.parse(/** @type {MessageEvent} */ (event).data);
    if (line.key && line.key === state.selected) {
      const box = document.getElementById('detail-logs');
      if (box) {
        box.querySelector(':scope > .muted')?.remove();
        box.append(logLine(line));
      }
    }
  });
  source.addEventListener('counters', (event) => {
    onCounters(JSON.parse(/** @type {MessageEvent} */ (event).data));
  });
  source.addEventListener('error', () => {
    // Our own reconnection with backoff: EventSource gives up on some failures, and the stack may
    // come back on the same port after a restart.
    source.close();
    setConnection('reconnecting', 'the stack is not answering');
    setTimeout(connect, retryDelay);
    retryDelay = Math.min(5000, retryDelay * 2);
  });
}

/** @param {FeedEntry} entry */
function onFeed(entry) {
  applyEntry(entry);
  if (entry.kind === 'received') pulse('node-bucket');
  if (entry.kind === 'outcome') {
    pulse('node-handler');
    if (entry.records) pulse('node-table');
    if (entry.notification === 'SENT') pulse('node-topic');
    refreshLedgerSoon();
    refreshNotificationsSoon();
    refreshStatsSoon();
  }
  if (entry.kind === 'dead-letter' || entry.status === 'failed' || entry.kind === 'retry') {
    refreshDlqSoon();
    refreshStatsSoon();
  }
  if (entry.key === state.selected) refreshDetailSoon();
}

/** (Re)loads everything that is not streamed: after the first connection and after every reconnection. */
async function resync() {
  buffered = [];
  try {
    const [health, feed, files] = await Promise.all([
      api('/health'),
      api('/feed?limit=10000'),
      api('/files?limit=200').catch(() => ({ items: [] })),
    ]);
    state.health = health;
    renderHealth();
    const ledgerFiles = [...(files.items ?? [])].sort((a, b) =>
      String(a.updatedAt).localeCompare(String(b.updatedAt)),
    );
    for (const item of ledgerFiles) applyLedgerFile(item);
    for (const entry of feed.entries ?? []) applyEntry(entry);
  } catch (error) {
    toast(`could not load the stack's state: ${String(error)}`, 'bad');
  } finally {
    const pending = buffered ?? [];
    buffered = null;
    for (const entry of pending) onFeed(entry);
  }
  await Promise.all([loadStats(), loadDlq()]);
  if (state.tab === 'ledger') void loadLedger();
  if (state.tab === 'notifications') void loadNotifications();
  if (state.selected) void loadDetail(state.selected);
  scheduleFrame();
}

function renderHealth() {
  const health = state.health;
  if (!health) return;
  el('endpoint').textContent =
    `${health.endpoint} · routes ${health.routes.map((r) => `${r.prefix}*${r.suffix} (${r.format})`).join(', ')}`;
  setText('name-bucket', health.bucket);
  setText('name-table', health.table);
  setText('name-topic', health.topicArn.split(':').at(-1) ?? health.topicArn);
  el('name-topic').title = health.topicArn;
  const prefix = /** @type {HTMLInputElement} */ (el('upload-prefix'));
  if (!state.prefixEdited && health.routes[0]) prefix.value = health.routes[0].prefix;
}

// ---------------------------------------------------------------- tabs, filters, keys

/** @param {string} tab */
function showTab(tab) {
  state.tab = tab;
  for (const button of document.querySelectorAll('.tab')) {
    button.setAttribute('aria-selected', String(/** @type {HTMLElement} */ (button).dataset.tab === tab));
  }
  for (const body of document.querySelectorAll('[data-tab-body]')) {
    /** @type {HTMLElement} */ (body).hidden = /** @type {HTMLElement} */ (body).dataset.tabBody !== tab;
  }
  if (tab === 'files') {
    state.viewDirty = true;
    scheduleFrame();
  }
  if (tab === 'ledger') void loadLedger();
  if (tab === 'notifications') void loadNotifications();
  if (tab === 'dlq') void loadDlq();
}

function wireControls() {
  for (const button of document.querySelectorAll('.tab')) {
    button.addEventListener('click', () =>
      showTab(/** @type {HTMLElement} */ (button).dataset.tab ?? 'files'),
    );
  }
  el('node-dlq').addEventListener('click', () => showTab('dlq'));
  const refilter = () => {
    list.viewport.scrollTop = 0;
    state.viewDirty = true;
    scheduleFrame();
  };
  el('feed-search').addEventListener('input', refilter);
  el('feed-status').addEventListener('change', refilter);

  const viewport = list.viewport;
  viewport.addEventListener('click', (event) => {
    const row = /** @type {HTMLElement | null} */ (/** @type {HTMLElement} */ (event.target).closest('.row'));
    if (row?.dataset.key) select(row.dataset.key);
  });
  viewport.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    event.preventDefault();
    const index = state.selected ? state.view.indexOf(state.selected) : -1;
    const next = Math.max(0, Math.min(state.view.length - 1, index + (event.key === 'ArrowDown' ? 1 : -1)));
    const key = state.view[next];
    if (key) {
      list.reveal(next);
      select(key);
    }
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && state.selected) select(null);
  });

  for (const button of document.querySelectorAll('.segmented button')) {
    button.addEventListener('click', () => {
      ledger.kind = /** @type {HTMLElement} */ (button).dataset.kind ?? 'record';
      for (const other of document.querySelectorAll('.segmented button')) {
        other.setAttribute('aria-pressed', String(other === button));
      }
      resetLedger();
    });
  }
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let searchTimer;
  el('ledger-search').addEventListener('input', (event) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      ledger.q = /** @type {HTMLInputElement} */ (event.target).value.trim();
      resetLedger();
    }, 250);
  });
  el('ledger-size').addEventListener('change', resetLedger);
  el('ledger-next').addEventListener('click', () => {
    if (!ledger.next) return;
    ledger.cursors.push(ledger.next);
    void loadLedger();
  });
  el('ledger-prev').addEventListener('click', () => {
    if (ledger.cursors.length <= 1) return;
    ledger.cursors.pop();
    void loadLedger();
  });
  el('notifications-refresh').addEventListener('click', () => void loadNotifications());
  el('dlq-replay-all').addEventListener('click', (event) => {
    void replayLetters(undefined, /** @type {HTMLButtonElement} */ (event.currentTarget));
  });
  window.addEventListener('resize', scheduleFrame);
}

// ---------------------------------------------------------------- start

wireControls();
wireUploads();
setConnection('connecting');
connect();
// Counters stream every second; what is not streamed (DLQ depth, notification and request counts)
// is polled while the page is visible.
setInterval(() => {
  if (document.visibilityState === 'visible') void loadStats();
}, 3000);
