import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { FileState } from '@eventline/core';
import { errorMessage, fileKey, fileStateOf } from '@eventline/core';
import type { Target } from './resources.ts';

/**
 * How far a file in progress has come, from the continuation checkpoint its outcome item keeps
 * (docs/protocol.md: `state.checkpoint`): `files` shows it, `put --wait` follows it.
 */

export interface FileProgress {
  /** Records written so far, across every segment the file has taken. */
  records: number;
  /** Invocations (segments) the file has taken so far. */
  segments: number;
}

/** A DynamoDB number as the documents client reads it (NumberValue with wrapNumbers) or a number. */
const numberOf = (value: unknown): number =>
  value === undefined || value === null ? 0 : Number(String(value));

/**
 * The progress of a PROCESSING file: the checkpoint's counts (a running segment's own counts start
 * at 0 when it claims, so the checkpoint is what the file has behind it). Undefined for a file that
 * is not in progress.
 */
export function progressOf(state: FileState): FileProgress | undefined {
  if (state.status !== 'PROCESSING') return undefined;
  const checkpoint = state.checkpoint;
  return {
    records: Math.max(numberOf(state.counts?.written), numberOf(checkpoint?.counts?.written)),
    segments: numberOf(checkpoint?.segments),
  };
}

/** One line for people: `12,000 records so far, 3 segments`. */
export function describeProgress(progress: FileProgress): string {
  const records = `${progress.records.toLocaleString('en-US')} record${progress.records === 1 ? '' : 's'} so far`;
  return progress.segments > 0
    ? `${records}, ${progress.segments} segment${progress.segments === 1 ? '' : 's'} done`
    : records;
}

/** The outcome item of one object, read by key (GetItem, consistent), or undefined. */
export async function fileState(target: Target, bucket: string, key: string): Promise<FileState | undefined> {
  try {
    const { Item } = await target.clients.documents.send(
      new GetCommand({
        TableName: target.table.name,
        Key: { pk: fileKey(bucket, key) },
        ConsistentRead: true,
      }),
    );
    return Item ? fileStateOf(Item) : undefined;
  } catch (error) {
    const missing = (error as { name?: string }).name === 'ResourceNotFoundException';
    throw new Error(
      `GetItem of ${key} in the ledger table "${target.table.name}" (${target.table.source}) at ${target.where} failed: ${missing ? 'the table does not exist' : errorMessage(error)}`,
    );
  }
}

/** What `waitForOutcome` reports while it waits, and what it ends with. */
export interface WaitOptions {
  /** Give up after this long without any change to the file's outcome item (ms). */
  patienceMs: number;
  /** How often the item is read (ms). */
  pollMs?: number;
  /** True when `state` is the outcome being waited for (e.g. of this upload's version). */
  accept: (state: FileState) => boolean;
  /** Called with a line each time the file's progress changes. */
  progress: (line: string) => void;
  now?: () => number;
}

/**
 * Reads the outcome item until it holds a finished outcome that `accept`s. Waits as long as the
 * file moves: any write to its item (a claim, a lease renewal, a checkpoint) starts the patience
 * again; only `patienceMs` without one gives up.
 */
export async function waitForOutcome(
  read: () => Promise<FileState | undefined>,
  options: WaitOptions,
): Promise<FileState> {
  const now = options.now ?? Date.now;
  let lastChange = now();
  let lastRev: number | undefined;
  let lastLine = '';
  for (;;) {
    const state = await read();
    if (state && state.status !== 'PROCESSING' && options.accept(state)) return state;
    if (state && state.rev !== lastRev) {
      lastRev = state.rev;
      lastChange = now();
      const progress = progressOf(state);
      const line =
        progress && (progress.records > 0 || progress.segments > 0) ? describeProgress(progress) : '';
      if (line && line !== lastLine) {
        lastLine = line;
        options.progress(`${state.key}: processing, ${line}`);
      }
    }
    const still = now() - lastChange;
    if (still >= options.patienceMs) {
      const seconds = Math.round(options.patienceMs / 1000);
      throw new Error(
        state
          ? `${state.key}: no progress for ${seconds} s (${state.status}${lastLine ? `, ${lastLine}` : ''}); it may still finish: see eventline files --search ${JSON.stringify(state.key)}`
          : `no outcome after ${seconds} s: the file was not picked up (see the local stack's output)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
  }
}
