import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeadLetter, DeadLetterQueue } from '@eventline/core/ports.ts';
import { writeFileDurable } from '@eventline/durable-file';

export interface StoredDeadLetter extends DeadLetter {
  id: string;
}

/**
 * Dead letters as the local stack, its admin API and the CLI use them: the pipeline's port (send),
 * plus reading them and ending one (after a replay, or dropped by hand). A store on an SQS queue
 * implements the same three (receive, send, delete by the letter's id).
 */
export interface DeadLetterStore extends DeadLetterQueue {
  /** Oldest first. */
  list(): Promise<StoredDeadLetter[]>;
  /** Ends a letter; false when there is no letter with this id (already gone, or never was). */
  remove(id: string): Promise<boolean>;
}

/**
 * The local dead-letter queue: one JSON file per letter under `<dataDir>/dlq`, written atomically
 * (temp file, fsync, rename, fsync of the directory), so a crash never leaves half a letter and
 * nothing is lost across restarts.
 */
export class FileDeadLetterQueue implements DeadLetterStore {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'dlq');
  }

  async send(letter: DeadLetter): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const id = `${Date.now().toString().padStart(15, '0')}-${randomUUID()}`;
    const file = join(this.dir, `${id}.json`);
    await writeFileDurable(file, JSON.stringify({ id, ...letter }, null, 2));
  }

  /** Oldest first. */
  async list(): Promise<StoredDeadLetter[]> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith('.json')).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const letters: StoredDeadLetter[] = [];
    for (const name of names) {
      try {
        letters.push(JSON.parse(await readFile(join(this.dir, name), 'utf8')) as StoredDeadLetter);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return letters;
  }

  async remove(id: string): Promise<boolean> {
    if (!/^[0-9]+-[0-9a-f-]+$/.test(id)) return false;
    try {
      await rm(join(this.dir, `${id}.json`));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }
}
