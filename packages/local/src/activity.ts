import { EventEmitter } from 'node:events';
import type { Logger, Metrics, Outcome } from '@eventline/core';

/**
 * What the local stack saw, for people: counters, a feed of file outcomes and the log lines of
 * each file (by bucket/key, the correlation keys the handler logs with). Bounded ring buffers;
 * everything durable lives in the ledger, the DLQ and the SNS log.
 */
export interface FeedEntry {
  at: string;
  kind: 'outcome' | 'retry' | 'dead-letter' | 'ignored' | 'received';
  key: string;
  bucket?: string;
  status?: string;
  route?: string;
  size?: number;
  records?: number;
  rejected?: number;
  durationMs?: number;
  notification?: string;
  reason?: string;
  attempt?: number;
  /** A file in progress (`continued`): the segments it has taken so far. */
  segments?: number;
}

export interface LogLine {
  at: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  key?: string;
  extra?: Record<string, unknown>;
}

export interface Counters {
  received: number;
  processed: number;
  failed: number;
  duplicates: number;
  ignored: number;
  retries: number;
  deadLettered: number;
  recordsWritten: number;
  recordsRejected: number;
  /** Function instances started for an invocation (worker runtime), and invocations on a warm one. */
  coldStarts: number;
  warmStarts: number;
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;

export class Activity extends EventEmitter {
  readonly counters: Counters = {
    received: 0,
    processed: 0,
    failed: 0,
    duplicates: 0,
    ignored: 0,
    retries: 0,
    deadLettered: 0,
    recordsWritten: 0,
    recordsRejected: 0,
    coldStarts: 0,
    warmStarts: 0,
  };
  readonly metrics = new Map<string, number>();
  /** What was counted of each file in progress (by bucket/key): its counts at its last `continued`. */
  private readonly countedSoFar = new Map<string, { written: number; rejected: number }>();
  private readonly feedEntries: FeedEntry[] = [];
  private readonly logLines: LogLine[] = [];

  constructor(
    private readonly feedSize = 10_000,
    private readonly logSize = 20_000,
  ) {
    super();
    this.setMaxListeners(100);
  }

  record(entry: FeedEntry): void {
    this.feedEntries.push(entry);
    if (this.feedEntries.length > this.feedSize)
      this.feedEntries.splice(0, this.feedEntries.length - this.feedSize);
    this.emit('feed', entry);
  }

  recordOutcome(outcome: Outcome, size?: number): FeedEntry {
    const c = this.counters;
    if (outcome.status === 'processed') c.processed += 1;
    else if (outcome.status === 'failed') c.failed += 1;
    else if (outcome.status === 'duplicate') c.duplicates += 1;
    else if (outcome.status === 'ignored') c.ignored += 1;
    this.countRecords(outcome);
    const entry: FeedEntry = {
      at: new Date().toISOString(),
      kind: 'outcome',
      key: outcome.key,
      bucket: outcome.bucket,
      status: outcome.status,
    };
    if (outcome.route) entry.route = outcome.route;
    if (size !== undefined) entry.size = size;
    if (outcome.counts) {
      entry.records = outcome.counts.written;
      entry.rejected = outcome.counts.rejected;
    }
    if (outcome.durationMs !== undefined) entry.durationMs = outcome.durationMs;
    if (outcome.segments !== undefined) entry.segments = outcome.segments;
    if (outcome.notification) entry.notification = outcome.notification.status;
    if (outcome.error) entry.reason = outcome.error.message;
    this.record(entry);
    return entry;
  }

  /**
   * Records count once: a long file's outcomes (each segment's `continued`, then its end) carry the
   * file's counts so far, so only what each adds to the previous one of the same file is counted.
   */
  private countRecords(outcome: Outcome): void {
    const counts = outcome.counts;
    if (!counts) return;
    const id = `${outcome.bucket}/${outcome.key}`;
    const before = this.countedSoFar.get(id) ?? { written: 0, rejected: 0 };
    this.counters.recordsWritten += Math.max(0, counts.written - before.written);
    this.counters.recordsRejected += Math.max(0, counts.rejected - before.rejected);
    this.countedSoFar.delete(id);
    if (outcome.status === 'continued') {
      this.countedSoFar.set(id, { written: counts.written, rejected: counts.rejected });
      // Bounded: a file dropped here (10,000 long files in progress at once) is counted again at its end.
      if (this.countedSoFar.size > 10_000) this.countedSoFar.delete(this.countedSoFar.keys().next().value!);
    }
  }

  feed(options: { limit?: number; key?: string } = {}): FeedEntry[] {
    const entries = options.key ? this.feedEntries.filter((e) => e.key === options.key) : this.feedEntries;
    return entries.slice(-(options.limit ?? 200));
  }

  logs(key?: string, limit = 200): LogLine[] {
    const lines = key ? this.logLines.filter((l) => l.key === key) : this.logLines;
    return lines.slice(-limit);
  }

  /** A Logger that keeps lines here (and passes them on to `next` at or above `level`). */
  logger(next?: Logger, level: keyof typeof LEVELS = 'warn'): Logger {
    const write = (lvl: keyof typeof LEVELS) => (message: string, extra?: Record<string, unknown>) => {
      const key = typeof extra?.key === 'string' ? extra.key : undefined;
      const line: LogLine = { at: new Date().toISOString(), level: lvl, message };
      if (key) line.key = key;
      if (extra) line.extra = extra;
      this.logLines.push(line);
      if (this.logLines.length > this.logSize) this.logLines.splice(0, this.logLines.length - this.logSize);
      this.emit('log', line);
      if (next && LEVELS[lvl] >= LEVELS[level]) next[lvl](message, extra);
    };
    return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
  }

  metricsPort(): Metrics {
    return {
      count: (name, value = 1) => this.metrics.set(name, (this.metrics.get(name) ?? 0) + value),
      milliseconds: (name, value) => {
        this.metrics.set(`${name}.count`, (this.metrics.get(`${name}.count`) ?? 0) + 1);
        this.metrics.set(`${name}.totalMs`, (this.metrics.get(`${name}.totalMs`) ?? 0) + value);
      },
    };
  }
}

/** A console logger for the stack's own messages: one readable line each. */
export function consoleLogger(write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Logger {
  const out = (level: string) => (message: string, extra?: Record<string, unknown>) => {
    const details = extra && Object.keys(extra).length > 0 ? ` ${JSON.stringify(extra)}` : '';
    write(`${new Date().toISOString().slice(11, 23)} ${level.padEnd(5)} ${message}${details}`);
  };
  return { debug: out('debug'), info: out('info'), warn: out('warn'), error: out('error') };
}
