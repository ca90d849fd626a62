// @ts-check
/**
 * The page's shared state: what the stack told us (health, counters, stats, dead letters) and
 * the file list's rows. Panels keep their own private state in their module.
 */

/** @typedef {{ at: string, kind: string, key: string, bucket?: string, status?: string, route?: string, size?: number, records?: number, rejected?: number, durationMs?: number, notification?: string, reason?: string, attempt?: number, segments?: number }} FeedEntry */
/** @typedef {{ at: string, level: string, message: string, key?: string, extra?: Record<string, unknown> }} LogLine */
/** @typedef {{ key: string, bucket?: string, status: string, done?: string, route?: string, size?: number, records?: number, rejected?: number, durationMs?: number, notification?: string, reason?: string, note?: string, attempt?: number, segments?: number, at: string, ver: number }} Row */
/** @typedef {{ id: string, code: string, reason: string, object?: { bucket: string, key: string }, failedAt: string, attempts?: number }} Letter */
/** @typedef {{ endpoint: string, bucket: string, table: string, topicArn: string, routes: Array<{ id: string, prefix: string, suffix: string, format: string }> }} Health */
/** @typedef {{ dlqDepth: number, metrics: Record<string, number>, requests: Record<string, number>, invoker: Record<string, number> }} Stats */

export const state = {
  /** @type {Health | null} */
  health: null,
  /** @type {Record<string, number>} */
  counters: {},
  /** @type {Stats | null} */
  stats: null,
  /** @type {Array<{ t: number, received: number, files: number, records: number }>} */
  samples: [],
  /** False until the first snapshot (feed and ledger files) has been read: the list is loading. */
  loaded: false,
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
