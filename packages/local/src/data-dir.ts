import { access, constants, mkdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError } from '@eventline/config';
import { errorMessage } from '@eventline/core';
import {
  acquireDirectoryLock,
  DataDirectoryLockedError,
  type DirectoryLock,
} from '@eventline/dynamodb-emulator';
import { clock } from './printing.ts';

/**
 * Where the stack keeps S3's objects under its data directory. `s3` held s3rver's files (one file per
 * key, before the project's own emulator); that layout is not read or migrated.
 */
export const S3_DATA_SUBDIR = 's3v2';
const OLD_S3_DATA_SUBDIR = 's3';

/** Says once per start that s3rver's files from an older eventline are left as they were. */
export async function noteOldS3Data(dataDir: string, print: (line: string) => void): Promise<void> {
  const old = resolve(dataDir, OLD_S3_DATA_SUBDIR);
  const there = await stat(old).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (there) {
    print(
      `${clock()} ! ${old} holds S3 objects of an older eventline (s3rver); they are not migrated: S3 data is now in ${resolve(dataDir, S3_DATA_SUBDIR)}. Upload the originals again (e.g. aws s3 sync), then remove ${old}`,
    );
  }
}

/** Makes the data directory (readable and writable, or a ConfigError) and locks it for this stack. */
export async function prepareDataDir(dataDir: string): Promise<DirectoryLock> {
  try {
    await mkdir(dataDir, { recursive: true });
    await access(dataDir, constants.W_OK | constants.R_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `local.dataDir: cannot use "${dataDir}" as the data directory (${code ?? errorMessage(error)}): it must be a directory this user can read and write`,
      { problems: [{ setting: 'local.dataDir', message: 'a writable directory' }], cause: error },
    );
  }
  // One stack per data directory: a second one would find the databases locked mid-start.
  try {
    return await acquireDirectoryLock(dataDir, {
      what: 'a running eventline stack',
      fileName: 'eventline.lock',
    });
  } catch (error) {
    if (!(error instanceof DataDirectoryLockedError)) throw error;
    throw new ConfigError(`local.dataDir: ${error.message} (--data-dir)`, {
      problems: [{ setting: 'local.dataDir', message: 'a data directory no other stack uses' }],
      cause: error,
    });
  }
}
