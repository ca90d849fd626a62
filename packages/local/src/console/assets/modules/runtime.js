// @ts-check
/**
 * The runtime panel: the queue path (ingest queue, event source batches), the function instances
 * (cold, warm, busy) and both dead-letter queues, as SQS and the instance pool count them. It reads
 * `/_eventline/runtime` once a second and owns `#runtime` only.
 */

const REFRESH_MS = 1000;

/** @param {string} id @param {unknown} value */
function text(id, value) {
  const element = document.getElementById(id);
  if (element && element.textContent !== String(value)) element.textContent = String(value);
}

/** @param {number} seconds */
function age(seconds) {
  if (!seconds) return '–';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** @param {any} stats */
function render(stats) {
  const panel = document.getElementById('runtime');
  if (!panel) return;
  panel.hidden = false;
  panel.dataset.mode = stats.mode;
  text(
    'rt-mode',
    stats.mode === 'queue' ? 'queue mode: S3 → SQS → instances' : 'direct mode: S3 → async invoke',
  );
  const ingest = stats.ingest;
  text('rt-ingest-name', ingest ? ingest.name : 'no ingest queue (direct mode)');
  text('rt-depth', ingest ? ingest.depth : '–');
  text('rt-inflight', ingest ? ingest.inFlight : '–');
  text('rt-oldest', ingest ? age(ingest.oldestAgeSeconds) : '–');
  const source = stats.eventSource;
  text('rt-batches', source ? source.batches : '–');
  text('rt-batches-inflight', source ? source.batchesInFlight : '–');
  text('rt-returning', source ? source.returning : '–');
  const instances = stats.instances;
  text('rt-runtime', stats.functionRuntime === 'workers' ? 'worker processes' : 'in process');
  text('rt-instances', instances ? `${instances.instances}/${instances.concurrency}` : '–');
  text('rt-busy', instances ? instances.busy : '–');
  text('rt-idle', instances ? instances.idle : '–');
  text('rt-cold', instances ? instances.coldStarts : '–');
  text('rt-warm', instances ? instances.warmStarts : '–');
  text('rt-bundle', instances?.bundle ? `bundle g${instances.bundle.generation}` : '');
  const letters = stats.deadLetters;
  const events = stats.eventDeadLetters;
  text('rt-dlq', letters ? letters.depth + letters.inFlight : '–');
  text('rt-events-dlq', events ? events.depth + events.inFlight : '–');
  text('rt-dlq-name', letters ? letters.name : '');
  // A redrive (`dlq replay`: a message move task) moves them back a few at a time after it is started.
  text(
    'rt-events-dlq-name',
    events ? (events.moving ? `${events.name} · redrive: ${events.moving} to move back` : events.name) : '',
  );
}

async function refresh() {
  try {
    const response = await fetch('/_eventline/runtime', { cache: 'no-store' });
    if (response.ok) render(await response.json());
  } catch {
    // The connection indicator (console.js) says when the stack is gone; try again next tick.
  }
}

/** @type {import('./hooks.js').Feature} */
export const runtime = {
  name: 'runtime',
  wire() {
    refresh();
    setInterval(refresh, REFRESH_MS);
  },
};
