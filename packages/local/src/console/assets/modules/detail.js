// @ts-check
/**
 * The file detail beside the lists: the file's ledger state, its error and rejects, its ledger
 * items, the notification as delivered, its log lines (live) and its history. `select(key)` opens
 * it from any panel; Esc closes it.
 */
import { api } from './api.js';
import { badge, el, h } from './dom.js';
import { bytes, clock, duration, int, pretty } from './format.js';
import { renderNotification } from './notification-card.js';
import { debounce, scheduleFrame } from './schedule.js';
import { state } from './state.js';

/** @typedef {import('./state.js').FeedEntry} FeedEntry */
/** @typedef {import('./state.js').LogLine} LogLine */

/** Opens a file's detail (or closes it with `null`). @param {string | null} key */
export function select(key) {
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

/** `/_console?budget=N`: a page of the table reads at most N items (the API's default otherwise). */
const budgetParam = () => {
  const budget = new URLSearchParams(location.search).get('budget');
  return budget ? `&budget=${encodeURIComponent(budget)}` : '';
};

let detailSeq = 0;
/** @param {string} key */
async function loadDetail(key) {
  const seq = ++detailSeq;
  const bucket = state.rows.get(key)?.bucket;
  const query = `key=${encodeURIComponent(key)}${bucket ? `&bucket=${encodeURIComponent(bucket)}` : ''}`;
  try {
    const detail = await api(`/file?${query}${budgetParam()}`);
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
export const refreshDetailSoon = debounce(() => {
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

/**
 * The file's record counts; a file in progress: its checkpoint's, the records and segments behind
 * it (a running segment's own counts start at 0).
 * @param {any} s
 */
function recordsLine(s) {
  const checkpoint = s.status === 'PROCESSING' ? s.checkpoint : undefined;
  if (checkpoint?.counts && Number(checkpoint.counts.written) >= Number(s.counts?.written ?? 0)) {
    const c = checkpoint.counts;
    const n = Number(checkpoint.segments ?? 0);
    return `${int(c.written)} written so far · ${int(c.rejected)} rejected · ${int(c.read)} read · ${n} ${n === 1 ? 'segment' : 'segments'} done`;
  }
  return `${int(s.counts?.written)} written · ${int(s.counts?.rejected)} rejected · ${int(s.counts?.read)} read`;
}

/** @param {string} title @param {number | string} [count] */
function section(title, count) {
  return h('h3', null, h('span', null, title), count === undefined ? null : h('span', null, String(count)));
}

/** @param {any} record */
function recordCard(record) {
  return h(
    'div',
    { class: 'card record', 'data-pk': String(record.pk) },
    h(
      'div',
      { class: 'card-head' },
      h('b', null, String(record.pk)),
      h('span', { class: 'muted' }, record.line ? `line ${record.line}` : ''),
    ),
    h('pre', { class: 'json' }, pretty(record.payload)),
  );
}

/**
 * The "read on" button under a file's records when the page stopped at its budget of the table.
 * @param {string} key @param {string | undefined} bucket @param {any} detail @param {HTMLElement} box
 */
function moreRecords(key, bucket, detail, box) {
  let cursor = detail.recordsCursor;
  let read = detail.recordsRead?.items ?? 0;
  const note = () => `read ${int(read)} ledger items so far: read on`;
  const button = h('button', { type: 'button', class: 'button small', id: 'detail-records-more' }, note());
  button.addEventListener('click', async () => {
    button.setAttribute('disabled', '');
    const query = `key=${encodeURIComponent(key)}${bucket ? `&bucket=${encodeURIComponent(bucket)}` : ''}&cursor=${encodeURIComponent(cursor)}${budgetParam()}`;
    const page = await api(`/file-records?${query}`);
    if (page.records.length > 0) box.querySelector('p.muted')?.remove();
    for (const record of page.records) box.append(recordCard(record));
    read += page.recordsRead?.items ?? 0;
    cursor = page.recordsCursor;
    if (cursor) {
      button.textContent = note();
      button.removeAttribute('disabled');
    } else button.remove();
  });
  return button;
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
        ['records', recordsLine(s)],
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
  parts.push(section('Ledger items', `${records.length}${detail.recordsCursor ? '+' : ''}`));
  const recordsBox = h('div', { id: 'detail-records' });
  if (records.length === 0)
    recordsBox.append(
      h(
        'p',
        { class: 'muted' },
        detail.recordsCursor ? 'none in this page of the ledger' : 'no records from this file',
      ),
    );
  for (const record of records) recordsBox.append(recordCard(record));
  parts.push(recordsBox);
  // No index holds records by file: each page reads a bounded part of the table (the API's budget).
  if (detail.recordsCursor) parts.push(moreRecords(key, s?.bucket, detail, recordsBox));

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

/** @type {import('./hooks.js').Feature} */
export const detail = {
  name: 'detail',
  wire() {
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && state.selected) select(null);
    });
  },
  feed(entry) {
    if (entry.key === state.selected) refreshDetailSoon();
  },
  log(line) {
    if (line.key && line.key === state.selected) {
      const box = document.getElementById('detail-logs');
      if (box) {
        box.querySelector(':scope > .muted')?.remove();
        box.append(logLine(line));
      }
    }
  },
  resync() {
    if (state.selected) void loadDetail(state.selected);
  },
};
