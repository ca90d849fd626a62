import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoLedger } from '@eventline/aws';
import { translate } from '@eventline/aws';
import type { EventlineConfig } from '@eventline/config';
import { matchRoute } from '@eventline/core';
import type { EventJournal, JournalEntry } from '@eventline/lambda-emulator';
import { clock, keyOf } from './printing.ts';

/** An object as a listing shows it (backfill, start-up recovery): no versionId, no sequencer. */
export interface ListedObject {
  bucket: string;
  key: string;
  eTag?: string;
  size?: number;
  /** The listing's LastModified (ISO 8601): the event's time, as backfill's (a FAILED outcome is named by it). */
  eventTime?: string;
  versionId?: undefined;
}

/** The bucket's objects under a prefix, page by page; an error names the bucket's setting. */
export async function* listObjects(
  s3: S3Client,
  bucket: string,
  prefix: string,
  bucketSetting: string,
): AsyncGenerator<ListedObject> {
  let token: string | undefined;
  do {
    const page = await s3
      .send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }))
      .catch((error: unknown) => {
        throw translate(error, `ListObjectsV2 ${bucket}`, {
          kind: 'bucket',
          name: bucket,
          setting: bucketSetting,
        });
      });
    for (const object of page.Contents ?? []) {
      if (!object.Key) continue;
      const item: ListedObject = { bucket, key: object.Key };
      if (object.ETag) item.eTag = object.ETag.replace(/"/g, '');
      if (object.Size !== undefined) item.size = object.Size;
      if (object.LastModified) item.eventTime = object.LastModified.toISOString();
      yield item;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** What start-up recovery needs of the stack. */
export interface RecoveryContext {
  config: EventlineConfig;
  ledger: DynamoLedger;
  s3: S3Client;
  bucketSetting: string;
  journal: EventJournal;
  print: (line: string) => void;
  /** A journaled event left by an earlier run: into the ingest queue, or the invoker. */
  requeue: (entry: JournalEntry) => Promise<void>;
  /** An S3-shaped event made up for a listed object, journaled and queued. */
  submit: (object: ListedObject) => Promise<void>;
}

/** Re-drives what an earlier run left: journaled events, then routed objects without an outcome. */
export async function recover(context: RecoveryContext): Promise<void> {
  const { config, ledger } = context;
  const bootAt = Date.now();
  // Each routed object once, even when routes share a prefix.
  const prefixes = [...new Set(config.routes.map((r) => r.prefix))].filter(
    (prefix, _, all) => !all.some((other) => other !== prefix && prefix.startsWith(other)),
  );
  const unfinished: ListedObject[] = [];
  for (const prefix of prefixes) {
    for await (const object of listObjects(context.s3, config.bucket.name, prefix, context.bucketSetting)) {
      if (!matchRoute(config.routes, object.key)) continue;
      let state = await ledger.getFile(config.bucket.name, object.key);
      if (state && state.leaseUntil > bootAt && Date.parse(state.updatedAt) < bootAt) {
        // This process is the only one working on the ledger: a claim left by a crash is void.
        const released = { ...state, leaseUntil: 0, rev: state.rev + 1 };
        if (await ledger.putFile(released, state.rev)) state = released;
      }
      // Unfinished: no outcome yet, or an outcome whose notification or dead letter is still owed (a
      // crash between the two). Its event may be in flight on the ingest queue for a whole visibility
      // timeout (6x the function timeout): sending it again finishes it now, the late one is a duplicate.
      const owed =
        state !== undefined &&
        (state.notification.status === 'PENDING' || state.deadLetter.status === 'PENDING');
      if (!state || state.status === 'PROCESSING' || owed || state.eTag !== object.eTag)
        unfinished.push(object);
    }
  }
  const pending = await context.journal.pending();
  const journaledKeys = new Set(pending.map((e) => keyOf(e.event)));
  for (const entry of pending) await context.requeue(entry);
  let reconciled = 0;
  for (const object of unfinished) {
    if (journaledKeys.has(object.key)) continue;
    await context.submit(object);
    reconciled += 1;
  }
  if (pending.length + reconciled > 0) {
    context.print(
      `${clock()} ↺ recovering ${pending.length} journaled event(s) and ${reconciled} unprocessed object(s)`,
    );
  }
}
