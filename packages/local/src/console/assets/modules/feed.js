// @ts-check
/**
 * The file list's model: feed entries (live, or the snapshot of `/_eventline/feed`) and ledger
 * files folded into one row per file, most recent activity first.
 */
import { scheduleFrame } from './schedule.js';
import { state } from './state.js';

/** @typedef {import('./state.js').FeedEntry} FeedEntry */
/** @typedef {import('./state.js').Row} Row */

const TERMINAL = new Set(['processed', 'failed', 'dead-lettered']);
const NOTES = /** @type {Record<string, string>} */ ({
  duplicate: 'duplicate event: this version already had its outcome',
  stale: 'stale event: a newer version is in the ledger; skipped',
  superseded: 'superseded: the object was replaced while it was processed',
  finished: 'finished an earlier attempt',
  deferred: 'a newer version waits for the older one in progress to end',
});

/** What a file in progress shows beside its key. @param {number | undefined} segments */
function progressNote(segments) {
  const n = Number(segments ?? 0);
  return n > 0 ? `in progress: ${n} ${n === 1 ? 'segment' : 'segments'} done` : 'in progress';
}

/** @param {Row} row */
export function statusGroup(row) {
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
export function applyEntry(entry) {
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
  if (status === 'deferred') {
    // Hole 12: a newer version of a file whose older version is still being processed waits for it.
    row.status = 'processing';
    row.note = NOTES.deferred;
    return;
  }
  if (status === 'continued') {
    // A long file between segments: how far it has come (its counts so far, across segments).
    row.status = 'processing';
    if (entry.route) row.route = entry.route;
    if (entry.size !== undefined) row.size = entry.size;
    row.records = entry.records;
    row.rejected = entry.rejected;
    row.segments = entry.segments;
    row.note = progressNote(entry.segments);
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
export function applyLedgerFile(item) {
  const s = item.state;
  if (!s?.key || state.rows.has(s.key)) return;
  const row = rowFor(s.key, s.updatedAt);
  const status = String(s.status).toLowerCase();
  // A file in progress: its checkpoint holds what it has behind it (a running segment's own counts
  // start at 0), and how many segments it has taken.
  const checkpoint = status === 'processing' ? s.checkpoint : undefined;
  const counts =
    checkpoint?.counts && Number(checkpoint.counts.written) >= Number(s.counts?.written ?? 0)
      ? checkpoint.counts
      : s.counts;
  Object.assign(row, {
    bucket: s.bucket,
    status,
    done: TERMINAL.has(status) ? status : undefined,
    route: s.route,
    size: s.size,
    records: counts?.written,
    rejected: counts?.rejected,
    segments: checkpoint?.segments,
    durationMs: s.durationMs,
    notification: s.notification?.status,
    reason: s.error?.message,
    note: status === 'processing' ? progressNote(checkpoint?.segments) : 'from the ledger',
  });
}
