import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurable } from '@eventline/durable-file';

/**
 * The event journal of asynchronous invocations: every event is written here before it is queued and removed once it
 * has an outcome (processed, or dead-lettered). After a crash, what is still here is re-driven; the
 * pipeline's idempotency makes re-driving a finished event harmless. One small file per event,
 * written durably (temp name, fsync, rename, fsync of the directory), so a crash leaves either a
 * whole entry or none.
 */
export interface JournalEntry {
  id: string;
  event: Record<string, unknown>;
  attempts: number;
  enqueuedAt: string;
}

export class EventJournal {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'events');
  }

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  async add(entry: JournalEntry): Promise<void> {
    const file = join(this.dir, `${entry.id}.json`);
    await writeFileDurable(file, JSON.stringify(entry));
  }

  async remove(id: string): Promise<void> {
    await rm(join(this.dir, `${id}.json`), { force: true });
  }

  /** Entries left by an earlier run, oldest first; unreadable leftovers are removed (reconcile covers them). */
  async pending(): Promise<JournalEntry[]> {
    const names = (await readdir(this.dir)).sort();
    const entries: JournalEntry[] = [];
    for (const name of names) {
      const file = join(this.dir, name);
      if (!name.endsWith('.json')) {
        await rm(file, { force: true });
        continue;
      }
      try {
        entries.push(JSON.parse(await readFile(file, 'utf8')) as JournalEntry);
      } catch {
        await rm(file, { force: true });
      }
    }
    return entries;
  }
}
