// @ts-check
/**
 * The pipeline picture at the top: bucket → handler → ledger → topic, and the dead-letter queue,
 * with live counters, rates over the last seconds and a sparkline of files per second.
 */
import { api } from './api.js';
import { el, pulse, setText } from './dom.js';
import { int } from './format.js';
import { dispatch } from './hooks.js';
import { debounce } from './schedule.js';
import { state } from './state.js';

const RATE_WINDOW_MS = 5_000;
const SPARK_POINTS = 60;

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

/** Reads `/stats` and hands it to every feature's `stats` hook (the DLQ depth is the DLQ panel's). */
export async function loadStats() {
  try {
    state.stats = await api('/stats');
    dispatch('stats', /** @type {NonNullable<typeof state.stats>} */ (state.stats));
    renderFlow();
  } catch {
    // The connection indicator says when the stack is away; the next poll tries again.
  }
}
export const refreshStatsSoon = debounce(loadStats, 250);

/** @type {import('./hooks.js').Feature} */
export const pipeline = {
  name: 'pipeline',
  wire() {
    // Counters stream every second; what is not streamed (DLQ depth, notification and request
    // counts) is polled while the page is visible.
    setInterval(() => {
      if (document.visibilityState === 'visible') void loadStats();
    }, 3000);
  },
  health(health) {
    el('endpoint').textContent =
      `${health.endpoint} · routes ${health.routes.map((r) => `${r.prefix}*${r.suffix} (${r.format})`).join(', ')}`;
    setText('name-bucket', health.bucket);
    setText('name-table', health.table);
    setText('name-topic', health.topicArn.split(':').at(-1) ?? health.topicArn);
    el('name-topic').title = health.topicArn;
  },
  feed(entry) {
    if (entry.kind === 'received') pulse('node-bucket');
    if (entry.kind === 'outcome') {
      pulse('node-handler');
      if (entry.records) pulse('node-table');
      if (entry.notification === 'SENT') pulse('node-topic');
      refreshStatsSoon();
    }
    if (entry.kind === 'dead-letter' || entry.status === 'failed' || entry.kind === 'retry')
      refreshStatsSoon();
  },
  counters: onCounters,
  resync: loadStats,
};
