// @ts-check
/**
 * The Ledger tab: the ledger's record items or file items, a page at a time (cursor paging),
 * searched by key. The first page refreshes as files finish; a row opens its file's detail.
 */
import { api } from './api.js';
import { select } from './detail.js';
import { badge, el, h } from './dom.js';
import { clock, int } from './format.js';
import { debounce } from './schedule.js';
import { state } from './state.js';

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

function wire() {
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
}

/** @type {import('./hooks.js').Feature} */
export const ledgerPanel = {
  name: 'ledger',
  tab: 'ledger',
  wire,
  show: () => void loadLedger(),
  feed(entry) {
    if (entry.kind === 'outcome') refreshLedgerSoon();
  },
  resync() {
    if (state.tab === 'ledger') void loadLedger();
  },
};
