import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Durable whole-file writes. A reader (or the next start after a crash or power loss) sees the
 * target either as it was or as written, never partial: the data goes to a temporary file in the
 * target's own directory (a rename is atomic only within one file system), that file is fsynced,
 * renamed over the target, and the directory is fsynced so the rename itself survives a power
 * loss. On any error the temporary file is removed and the error is rethrown unchanged (node's
 * file-system errors name the path).
 *
 * Written here rather than taken from npm: write-file-atomic (the well-kept package for this)
 * fsyncs the file but never the directory, so the rename can be lost on power failure.
 */

export interface DurableWriteOptions {
  /** File mode of a newly created target (default 0o666, less the umask), e.g. 0o600 for a key. */
  mode?: number;
}

/** Temporary names end in `.tmp`, so directory scans that look for `.json` (or the like) skip them. */
const TEMP_SUFFIX = '.tmp';

export function temporaryPathFor(target: string): string {
  return join(
    dirname(target),
    `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`,
  );
}

/** Whether a name in a directory is one of this module's temporary files (left by a crash). */
export const isTemporaryName = (name: string): boolean => name.startsWith('.') && name.endsWith(TEMP_SUFFIX);

/** Directories cannot be opened for fsync on Windows; there the rename is as durable as the OS makes it. */
const CAN_SYNC_DIRECTORY = process.platform !== 'win32';

/** Makes entries created, renamed or removed in `dir` durable. */
export async function syncDirectory(dir: string): Promise<void> {
  if (!CAN_SYNC_DIRECTORY) return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function syncDirectorySync(dir: string): void {
  if (!CAN_SYNC_DIRECTORY) return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replaces `target` with `data`, durably (see the module comment). */
export async function writeFileDurable(
  target: string,
  data: string | Uint8Array,
  options: DurableWriteOptions = {},
): Promise<void> {
  const temporary = temporaryPathFor(target);
  try {
    const handle = await open(temporary, 'wx', options.mode ?? 0o666);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dirname(target));
}

/** `writeFileDurable` for synchronous start-up code. */
export function writeFileDurableSync(
  target: string,
  data: string | Uint8Array,
  options: DurableWriteOptions = {},
): void {
  const temporary = temporaryPathFor(target);
  try {
    const fd = openSync(temporary, 'wx', options.mode ?? 0o666);
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, target);
  } catch (error) {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // the original error is the one to report
    }
    throw error;
  }
  syncDirectorySync(dirname(target));
}

/**
 * Moves an already written file into place durably: fsyncs its data, renames it over `target`
 * and fsyncs the target's directory. For data produced by a stream or a library into `source`
 * (which must be on the same file system as `target`).
 */
export async function renameDurable(source: string, target: string): Promise<void> {
  await renameAllDurable([{ source, target }]);
}

/**
 * `renameDurable` for several files that belong together, at the cost of one fsync per file and
 * one per directory: every source is fsynced first (together), then the renames are done in the
 * order given (a crash between them leaves the earlier ones in place: put the file whose presence
 * means "whole" last), then each target directory is fsynced once.
 */
export async function renameAllDurable(
  moves: ReadonlyArray<{ source: string; target: string }>,
): Promise<void> {
  await Promise.all(moves.map(({ source }) => syncFile(source)));
  for (const { source, target } of moves) await rename(source, target);
  await Promise.all([...new Set(moves.map(({ target }) => dirname(target)))].map(syncDirectory));
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * For append-only line logs (one record per line, each ending in `\n`): cuts an unfinished last line
 * (a crash mid-append) off the file, durably, so that the next append starts a line of its own
 * instead of being glued to the fragment and lost with it. Returns the bytes cut (0 when the file
 * ends with a newline, is empty or does not exist).
 */
export function dropTornTailSync(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return 0;
    // Read back from the end until a newline: the torn tail is at most one record long.
    const chunk = Buffer.alloc(64 * 1024);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const read = readSync(fd, chunk, 0, end - start, start);
      const at = chunk.subarray(0, read).lastIndexOf(0x0a);
      if (at >= 0) {
        const keep = start + at + 1;
        if (keep === size) return 0;
        ftruncateSync(fd, keep);
        fsyncSync(fd);
        return size - keep;
      }
      end = start;
    }
    ftruncateSync(fd, 0);
    fsyncSync(fd);
    return size;
  } finally {
    closeSync(fd);
  }
}
