/**
 * Replaying (or dropping) dead letters on the local stack: each letter claimed, its file run again through
 * the pipeline, and the letter ended when it has an outcome.
 */
import { HeadBucketCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isMissing } from '@eventline/aws';
import { defaultLeaseMs } from '@eventline/config';
import type { DropDecision, ObjectEvent, Outcome, Pipeline } from '@eventline/core';
import { describeDrop, digestCloseOf, errorMessage } from '@eventline/core';
import type { Activity } from './activity.ts';
import type { SqsDeadLetterStore, StoredDeadLetter } from './dead-letters.ts';
import { clock, describeOutcome, eventsOfLetter } from './printing.ts';

export interface ReplayResult {
  id: string;
  key?: string;
  status:
    | Outcome['status']
    | 'error'
    /** The object (that version) no longer exists: nothing can be replayed, the letter is ended. */
    | 'gone'
    /** Ended by hand (`dlq drop`). */
    | 'dropped'
    /** A digest window's close, run again: its digest is sent (now or before). */
    | 'digest-closed';
  reason?: string;
}

/** A drop's decision as recorded in the ledger (drop-decision.ts), or why it was not. */
export type DropRecord = { recorded: true; decision: DropDecision } | { recorded: false; note: string };

/** What replaying dead letters needs of the stack. */
export interface ReplayContext {
  deadLetters: SqsDeadLetterStore;
  pipeline: Pipeline;
  s3: S3Client;
  activity: Activity;
  print: (line: string) => void;
  /** The function's timeout: a claimed letter stays hidden as long as a claim's lease (the timeout + 30 s). */
  timeoutSeconds: number;
  /** Queue mode: the pipeline's log line records each outcome already. */
  queueMode: boolean;
}

/**
 * Re-drives dead letters (all, or one by id): each is claimed on its queue (hidden, so a second
 * replay finds nothing), processed again, then deleted; a replay that cannot finish puts it back.
 */
export async function replayLetters(context: ReplayContext, id?: string): Promise<ReplayResult[]> {
  const { deadLetters } = context;
  const ids = id ? [id] : (await deadLetters.list()).map((l) => l.id);
  const results: ReplayResult[] = [];
  for (const letterId of ids) {
    const claimed = await deadLetters.claim(letterId, defaultLeaseMs(context.timeoutSeconds) / 1000);
    if (!claimed) continue;
    const result = await replayOne(context, claimed.letter);
    if (result.status === 'error') await deadLetters.unclaim(claimed);
    else await deadLetters.complete(claimed);
    results.push(result);
  }
  return results;
}

async function replayOne(context: ReplayContext, letter: StoredDeadLetter): Promise<ReplayResult> {
  const base = { id: letter.id, ...(letter.object ? { key: letter.object.key } : {}) };
  const close = digestCloseOf(letter.event);
  if (close) {
    // A digest window's close the ingest queue dead-lettered: closed again (published once, with its key).
    try {
      await context.pipeline.handleMessage({
        id: letter.id,
        kind: 'digest-close',
        close,
        objects: [],
        skipped: [],
        raw: letter.event,
      });
      return { ...base, status: 'digest-closed' };
    } catch (error) {
      return { ...base, status: 'error', reason: errorMessage(error) };
    }
  }
  const events = eventsOfLetter(letter);
  if (events.length === 0) {
    return { ...base, status: 'error', reason: `nothing to replay: ${letter.reason}` };
  }
  let last: ReplayResult = { ...base, status: 'error' };
  for (const event of events) {
    const gone = await objectGone(context.s3, event);
    if (gone) {
      // Processing it would fail again, file a new letter and notify again, for ever.
      context.print(`${clock()} ∅ ${event.key} → ${gone}; dead letter ended (replay)`);
      last = { ...base, key: event.key, status: 'gone', reason: gone };
      continue;
    }
    try {
      const outcome = await context.pipeline.processObject(event, { replay: true });
      if (!context.queueMode) {
        // In queue mode the pipeline's log line has recorded it already.
        context.activity.recordOutcome(outcome);
        context.print(`${describeOutcome(outcome)} (replay)`);
      }
      last = { ...base, key: event.key, status: outcome.status };
      if (outcome.status === 'failed' && outcome.error) last.reason = outcome.error.message;
    } catch (error) {
      return { ...base, key: event.key, status: 'error', reason: errorMessage(error) };
    }
  }
  // A failed replay was dead-lettered again by the pipeline with its new reason: the old letter ends.
  return last;
}

/** Why an event's object cannot be read any more (deleted since), or undefined when it can. */
async function objectGone(s3: S3Client, event: ObjectEvent): Promise<string | undefined> {
  try {
    await s3.send(
      new HeadObjectCommand({
        Bucket: event.bucket,
        Key: event.key,
        ...(event.versionId ? { VersionId: event.versionId } : {}),
      }),
    );
    return undefined;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (isMissing(error, 'bucket') || status !== 404) return undefined; // the pipeline says what is wrong
    // HEAD answers a bare 404 for a missing bucket too: that is not a deleted object.
    const bucketThere = await s3.send(new HeadBucketCommand({ Bucket: event.bucket })).then(
      () => true,
      () => false,
    );
    if (!bucketThere) return undefined;
    const version = event.versionId ? ` (version ${event.versionId})` : '';
    return `s3://${event.bucket}/${event.key}${version} no longer exists, so there is nothing to replay`;
  }
}

/** Ends one dead letter by hand, without replaying it; undefined when there is no such letter. */
export async function dropLetter(
  context: Pick<ReplayContext, 'deadLetters' | 'print'>,
  id: string,
  /** Records the operator's decision in the ledger (drop-decision.ts), before the letter is ended. */
  record?: (letter: StoredDeadLetter) => Promise<DropRecord>,
): Promise<(ReplayResult & { decision?: DropDecision; notRecorded?: string }) | undefined> {
  const claimed = await context.deadLetters.claim(id, 30);
  if (!claimed) return undefined;
  const { letter } = claimed;
  // The decision first: a letter ended but not recorded would be re-driven by reconcile --fix.
  const recorded = record ? await record(letter) : undefined;
  await context.deadLetters.complete(claimed);
  const key = letter.object?.key ?? eventsOfLetter(letter)[0]?.key;
  context.print(
    `${clock()} ∅ ${key ?? id} → dead letter dropped${recorded?.recorded ? ` (${describeDrop(recorded.decision)})` : ''}`,
  );
  return {
    id,
    ...(key ? { key } : {}),
    status: 'dropped',
    reason: letter.reason,
    ...(recorded
      ? recorded.recorded
        ? { decision: recorded.decision }
        : { notRecorded: recorded.note }
      : {}),
  };
}
