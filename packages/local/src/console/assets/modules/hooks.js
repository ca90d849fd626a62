// @ts-check
/**
 * The features of the page and the moments they hear about. A feature is a plain object; every
 * hook is optional and is called for each registered feature, in registration order.
 *
 * @typedef {import('./state.js').FeedEntry} FeedEntry
 * @typedef {import('./state.js').LogLine} LogLine
 * @typedef {import('./state.js').Health} Health
 * @typedef {import('./state.js').Stats} Stats
 *
 * @typedef {object} Feature
 * @property {string} name for error messages
 * @property {string} [tab] the `data-tab` of the tab that shows this feature's panel
 * @property {() => void} [show] its tab was opened
 * @property {() => void} [wire] once at start: add event listeners, start timers
 * @property {(health: Health) => void} [health] the stack's names and routes, at every (re)connection
 * @property {() => unknown} [resync] after every (re)connection, once the snapshot is in: reload
 *   what is not streamed (a returned promise is awaited before the first frame)
 * @property {(entry: FeedEntry) => void} [feed] a live feed entry, after the file list folded it in
 * @property {(line: LogLine) => void} [log] a live log line
 * @property {(counters: Record<string, number>) => void} [counters] the live counters (every second)
 * @property {(stats: Stats) => void} [stats] fresh `/stats` (polled)
 */

/** @type {Feature[]} */
const registered = [];

/** @param {...Feature} features */
export function register(...features) {
  registered.push(...features);
}

/** @returns {readonly Feature[]} */
export function features() {
  return registered;
}

/**
 * Calls hook `name` of every feature that has it; returns what they returned.
 * @template {'wire' | 'health' | 'resync' | 'feed' | 'log' | 'counters' | 'stats'} K
 * @param {K} name @param {Parameters<NonNullable<Feature[K]>>} args
 */
export function dispatch(name, ...args) {
  /** @type {unknown[]} */
  const results = [];
  for (const feature of registered) {
    const hook = /** @type {((...a: unknown[]) => unknown) | undefined} */ (feature[name]);
    if (hook) results.push(hook(...args));
  }
  return results;
}
