// @ts-check
/**
 * The Files tab: every file the stack has seen, most recent activity first, filtered by key and
 * status, in a virtualised list. Arrow keys move the selection; a click opens the file's detail.
 */
import { select } from './detail.js';
import { badge, el, h } from './dom.js';
import { statusGroup } from './feed.js';
import { bytes, clock, duration, int } from './format.js';
import { onFrame, scheduleFrame } from './schedule.js';
import { state } from './state.js';
import { VirtualList } from './virtual-list.js';

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

const list = new VirtualList(el('feed-viewport'), el('feed-spacer'), createRowNode, renderRow);

/** Applies everything that changed since the last frame: order, filter, visible rows, counts. */
function frame() {
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
  // Until the first snapshot is read (a Scan of a big ledger takes a while), the list is loading,
  // not empty.
  const loading = !state.loaded && total === 0;
  el('feed-empty').hidden = total > 0 || loading;
  el('feed-summary').dataset.loading = String(loading);
  el('feed-summary').textContent =
    total === 0
      ? loading
        ? 'loading files…'
        : 'no files yet'
      : state.view.length === total
        ? `${int(total)} ${total === 1 ? 'file' : 'files'}`
        : `${int(state.view.length)} of ${int(total)} files`;
}
onFrame(frame);

function wire() {
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
  window.addEventListener('resize', scheduleFrame);
}

/** @type {import('./hooks.js').Feature} */
export const files = {
  name: 'files',
  tab: 'files',
  wire,
  show() {
    state.viewDirty = true;
    scheduleFrame();
  },
};
