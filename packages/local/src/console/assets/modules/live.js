// @ts-check
/**
 * The live connection: a snapshot of what is not streamed, then server-sent events
 * (`/_eventline/events`: `feed`, `log`, `counters`), handed to the features' hooks. Reconnects
 * with backoff and takes a fresh snapshot after every reconnection.
 */
import { API, api } from './api.js';
import { el, toast } from './dom.js';
import { applyEntry, applyLedgerFile } from './feed.js';
import { dispatch } from './hooks.js';
import { scheduleFrame } from './schedule.js';
import { state } from './state.js';

/** @typedef {import('./state.js').FeedEntry} FeedEntry */

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
    dispatch('log', JSON.parse(/** @type {MessageEvent} */ (event).data));
  });
  source.addEventListener('counters', (event) => {
    dispatch('counters', JSON.parse(/** @type {MessageEvent} */ (event).data));
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
  dispatch('feed', entry);
}

/** (Re)loads everything that is not streamed: after the first connection and after every reconnection. */
async function resync() {
  buffered = [];
  try {
    // The ledger's files as the CLI reads them: a bounded page of the table (its order), and the
    // failures and retried files from the attention index (newest first), whatever the table's size.
    const [health, feed, files, failed, retried] = await Promise.all([
      api('/health'),
      api('/feed?limit=10000'),
      api('/files?limit=200').catch(() => ({ items: [] })),
      api('/files?status=FAILED&limit=200').catch(() => ({ items: [] })),
      api('/files?status=PROCESSING&limit=200').catch(() => ({ items: [] })),
    ]);
    state.health = health;
    dispatch('health', health);
    const ledgerFiles = [...(files.items ?? []), ...(failed.items ?? []), ...(retried.items ?? [])].sort(
      (a, b) => String(a.updatedAt).localeCompare(String(b.updatedAt)),
    );
    for (const item of ledgerFiles) applyLedgerFile(item);
    for (const entry of feed.entries ?? []) applyEntry(entry);
  } catch (error) {
    toast(`could not load the stack's state: ${String(error)}`, 'bad');
  } finally {
    const pending = buffered ?? [];
    buffered = null;
    for (const entry of pending) onFeed(entry);
    state.loaded = true;
  }
  await Promise.all(dispatch('resync'));
  scheduleFrame();
}

/** Connects to the stack; call once every feature is registered and wired. */
export function start() {
  setConnection('connecting');
  connect();
}
