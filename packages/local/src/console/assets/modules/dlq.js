// @ts-check
/**
 * The Dead letters tab and the DLQ node of the picture: the letters with why, replay (one or
 * all) and drop, and what each replay outcome means.
 */
import { api } from './api.js';
import { refreshDetailSoon, select } from './detail.js';
import { badge, el, h, setText, toast } from './dom.js';
import { clock, int } from './format.js';
import { refreshStatsSoon } from './pipeline.js';
import { debounce } from './schedule.js';
import { state } from './state.js';
import { showTab } from './tabs.js';

/** @param {number} depth */
function renderDlqDepth(depth) {
  setText('c-dlq', int(depth));
  setText('tab-count-dlq', int(depth));
  el('tab-count-dlq').classList.toggle('alert', depth > 0);
  el('node-dlq').classList.toggle('has-letters', depth > 0);
  /** @type {HTMLButtonElement} */ (el('dlq-replay-all')).disabled = depth === 0;
}

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

/** @type {import('./hooks.js').Feature} */
export const dlq = {
  name: 'dlq',
  tab: 'dlq',
  wire() {
    el('node-dlq').addEventListener('click', () => showTab('dlq'));
    el('dlq-replay-all').addEventListener('click', (event) => {
      void replayLetters(undefined, /** @type {HTMLButtonElement} */ (event.currentTarget));
    });
  },
  show: () => void loadDlq(),
  feed(entry) {
    if (entry.kind === 'dead-letter' || entry.status === 'failed' || entry.kind === 'retry') refreshDlqSoon();
  },
  stats(stats) {
    if (stats.dlqDepth !== state.letters.length) refreshDlqSoon();
    renderDlqDepth(stats.dlqDepth);
  },
  resync: loadDlq,
};
