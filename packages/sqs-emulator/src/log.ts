import { readFileSync } from 'node:fs';
import { type FileHandle, mkdir, open, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { dropTornTailSync } from '@eventline/durable-file';
import { SqsStateError } from './errors.ts';
import type { DeduplicationEntry, MoveTask, QueueRecord, StoredMessage } from './types.ts';

/**
 * The emulator's durable state: one append-only file, `sqs.log.ndjson`, one JSON record per line.
 * A request is answered only after its records are written and `fdatasync`ed. Concurrent
 * requests share one write and one sync (group commit), so durability costs one sync per burst,
 * not per message. Loading replays the records; a torn last line (a crash mid-write) is skipped.
 * When the file holds far more records than live state, the next write replaces it with a snapshot
 * of the state (temporary file, fsync, rename, fsync of the directory), taken at the moment the
 * pending records are taken, so the snapshot holds exactly what the old file plus those records did.
 */

export const LOG_FILE = 'sqs.log.ndjson';

export type LogRecord =
  | { op: 'queue'; queue: QueueRecord }
  | { op: 'dropQueue'; name: string }
  | { op: 'put'; queue: string; message: StoredMessage }
  | {
      op: 'recv';
      queue: string;
      id: string;
      visibleAt: number;
      receiveCount: number;
      firstReceiveAt: number;
      receipt: string;
      receivedAt: number;
    }
  | { op: 'vis'; queue: string; id: string; visibleAt: number }
  | { op: 'del'; queue: string; id: string }
  | { op: 'purge'; queue: string; upToSeq: number }
  | { op: 'task'; task: MoveTask }
  | { op: 'dedup'; queue: string; entry: DeduplicationEntry };

interface Pending {
  text: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface CompactionPolicy {
  /** Records in the file below which it is never rewritten; default 50,000. */
  minRecords: number;
  /** Rewrite when the file holds this many times more records than the live state needs; default 4. */
  factor: number;
}

export const DEFAULT_COMPACTION: CompactionPolicy = { minRecords: 50_000, factor: 4 };

export class StateLog {
  readonly #path: string | undefined;
  readonly #snapshot: () => LogRecord[];
  readonly #liveRecords: () => number;
  #handle: FileHandle | undefined;
  #pending: Pending[] = [];
  #draining: Promise<void> | undefined;
  #recordsInFile = 0;
  #closed = false;

  /**
   * @param snapshot the whole live state as records (for compaction), taken synchronously.
   * @param liveRecords how many records a snapshot would hold now (cheap).
   */
  readonly #compaction: CompactionPolicy;
  /** Snapshots written since this log was opened. */
  compactions = 0;

  constructor(
    dataDir: string | undefined,
    snapshot: () => LogRecord[],
    liveRecords: () => number,
    compaction: CompactionPolicy = DEFAULT_COMPACTION,
  ) {
    this.#path = dataDir ? join(dataDir, LOG_FILE) : undefined;
    this.#compaction = compaction;
    this.#snapshot = snapshot;
    this.#liveRecords = liveRecords;
  }

  get path(): string | undefined {
    return this.#path;
  }

  /**
   * Reads the records on disk, in order. `tornLines` counts unreadable lines at the end of the file
   * (a crash mid-append); an unreadable line followed by readable ones is corruption and throws.
   */
  load(): { records: LogRecord[]; tornLines: number } {
    const path = this.#path;
    if (!path) return { records: [], tornLines: 0 };
    let raw: string;
    let cut: number;
    try {
      // An unfinished last line is cut off first: the next append must start a line of its own.
      cut = dropTornTailSync(path);
      raw = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], tornLines: 0 };
      throw new SqsStateError(path, `cannot read the SQS state ${path}`, { cause: error });
    }
    const lines = raw.split('\n');
    const records: LogRecord[] = [];
    let torn = 0;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] ?? '';
      if (line.trim() === '') continue;
      try {
        records.push(JSON.parse(line) as LogRecord);
        if (torn > 0) {
          throw new SqsStateError(
            path,
            `SQS state ${path} has an unreadable line before line ${i + 1}; fix or remove the file`,
          );
        }
      } catch (error) {
        if (error instanceof SqsStateError) throw error;
        torn++;
      }
    }
    this.#recordsInFile = records.length;
    return { records, tornLines: torn + (cut > 0 ? 1 : 0) };
  }

  /** Resolves once the records are on disk (at once without a data directory). */
  append(records: LogRecord[]): Promise<void> {
    if (!this.#path || records.length === 0) return Promise.resolve();
    if (this.#closed) return Promise.reject(new SqsStateError(this.#path, 'the SQS emulator is closed'));
    const text = records.map((record) => `${JSON.stringify(record)}\n`).join('');
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ text, resolve, reject });
      this.#draining ??= this.#drain().finally(() => {
        this.#draining = undefined;
      });
    });
  }

  async #drain(): Promise<void> {
    const path = this.#path as string;
    while (this.#pending.length > 0) {
      const batch = this.#pending;
      this.#pending = [];
      try {
        if (this.#shouldCompact()) {
          const snapshot = this.#snapshot();
          await this.#replace(path, snapshot);
        } else {
          const text = batch.map((p) => p.text).join('');
          const handle = await this.#open(path);
          await handle.write(text);
          await handle.datasync();
          this.#recordsInFile += batch.reduce((sum, p) => sum + countLines(p.text), 0);
        }
        for (const p of batch) p.resolve();
      } catch (error) {
        await this.#handle?.close().catch(() => undefined);
        this.#handle = undefined;
        const failure = new SqsStateError(path, `cannot write the SQS state ${path}`, { cause: error });
        for (const p of batch) p.reject(failure);
      }
    }
  }

  #shouldCompact(): boolean {
    if (this.#recordsInFile < this.#compaction.minRecords) return false;
    return this.#recordsInFile > this.#compaction.factor * Math.max(1, this.#liveRecords());
  }

  async #open(path: string): Promise<FileHandle> {
    if (this.#handle) return this.#handle;
    await mkdir(dirname(path), { recursive: true });
    const handle = await open(path, 'a');
    this.#handle = handle;
    await syncDirectory(dirname(path));
    return handle;
  }

  /** Writes `records` as the whole new file, atomically. */
  async #replace(path: string, records: LogRecord[]): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    const file = await open(temporary, 'w');
    try {
      // Written in slices so a large state does not become one giant string.
      const slice = 1000;
      for (let i = 0; i < records.length; i += slice) {
        await file.write(
          records
            .slice(i, i + slice)
            .map((record) => `${JSON.stringify(record)}\n`)
            .join(''),
        );
      }
      await file.sync();
    } finally {
      await file.close();
    }
    await this.#handle?.close().catch(() => undefined);
    this.#handle = undefined;
    await rename(temporary, path);
    await syncDirectory(dirname(path));
    this.#recordsInFile = records.length;
    this.compactions++;
  }

  /** Rewrites the file from the live state if it has grown well past it (at start). */
  async compactIfNeeded(): Promise<boolean> {
    const path = this.#path;
    if (!path || !this.#shouldCompact()) return false;
    await this.append([]);
    await this.#draining;
    try {
      await this.#replace(path, this.#snapshot());
    } catch (error) {
      throw new SqsStateError(path, `cannot compact the SQS state ${path}`, { cause: error });
    }
    return true;
  }

  async close(): Promise<void> {
    this.#closed = true;
    while (this.#draining) await this.#draining;
    await this.#handle?.close().catch(() => undefined);
    this.#handle = undefined;
  }
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

async function syncDirectory(path: string): Promise<void> {
  const dir = await open(path, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
