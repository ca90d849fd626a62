import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { DataDirectoryLockedError } from './errors.ts';

/** What a lock file says about the process holding the directory. */
export interface LockOwner {
  pid: number;
  hostname: string;
  startedAt: string;
  /** Who holds it, in words (e.g. "an eventline stack"). */
  what?: string;
  /** The port it serves, once known. */
  port?: number;
}

export interface DirectoryLock {
  readonly file: string;
  /** Adds what became known after start-up (the port) to the lock file. */
  update(fields: { port?: number }): Promise<void>;
  /** Removes the lock file, if it is still this lock's. */
  release(): Promise<void>;
}

const ATTEMPTS = 5;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists, it is just not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(file: string): Promise<LockOwner | 'gone' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    return Number.isInteger(owner.pid) ? owner : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/**
 * Takes `directory` for this process: creates `<directory>/<fileName>` exclusively, holding the
 * pid. A lock whose pid is dead on this host is stale and taken over; a live one (this process
 * included: two servers in one process collide too) fails with DataDirectoryLockedError naming it.
 * A lock written from another host cannot be checked and counts as live.
 */
export async function acquireDirectoryLock(
  directory: string,
  options: { what?: string; fileName?: string } = {},
): Promise<DirectoryLock> {
  const dir = resolve(directory);
  await mkdir(dir, { recursive: true });
  const file = join(dir, options.fileName ?? 'in-use.lock');
  const mine: LockOwner = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    ...(options.what ? { what: options.what } : {}),
  };
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      await writeFile(file, JSON.stringify(mine), { flag: 'wx' });
      return handle(file, mine);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let owner = await readOwner(file);
    if (owner === 'unreadable') {
      // Being written this very moment, or left empty by a crash between create and write.
      await new Promise((r) => setTimeout(r, 100));
      owner = await readOwner(file);
    }
    if (owner === 'gone') continue;
    if (owner !== 'unreadable' && (owner.hostname !== mine.hostname || alive(owner.pid))) {
      throw new DataDirectoryLockedError(dir, owner);
    }
    await unlink(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
  throw new Error(`cannot lock data directory "${dir}": ${file} keeps reappearing`);
}

function handle(file: string, mine: LockOwner): DirectoryLock {
  let current = mine;
  const ours = async () => {
    const owner = await readOwner(file);
    return typeof owner === 'object' && owner.pid === mine.pid && owner.startedAt === mine.startedAt;
  };
  return {
    file,
    async update(fields) {
      current = { ...current, ...fields };
      if (await ours()) await writeFile(file, JSON.stringify(current));
    },
    async release() {
      if (await ours()) {
        await unlink(file).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
        });
      }
    },
  };
}
