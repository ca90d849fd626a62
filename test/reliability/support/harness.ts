import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { fileStateOf } from '@eventline/aws';
import { type EventlineConfigInput, parseConfig } from '@eventline/config';
import type { FileState } from '@eventline/core';
import {
  LocalStack,
  type LocalStackOptions,
  nextSequencer,
  S3_DATA_SUBDIR,
  s3EventRecord,
} from '@eventline/local';
import { createS3Emulator } from '@eventline/s3-emulator';
import { type HttpSubscriber, startHttpSubscriber } from '../../support/http-subscriber.ts';
import { repoRoot } from './processes.ts';

/**
 * What every reliability scenario needs: a temporary data directory, a local stack (in this
 * process) whose topic has a real HTTP subscriber, a bounded-concurrency uploader that goes through
 * the edge like any client, and counts by key of what ended in the ledger and what was notified.
 */

export const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
export const BUCKET = 'eventline-local';
export const TABLE = 'events';

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `eventline-${prefix}-`));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

export interface TestStack {
  stack: LocalStack;
  subscriber: HttpSubscriber;
  dir: string;
  dataDir: string;
  /** Stops the stack (keeping its data), e.g. to start another one on the same directory. */
  stop(): Promise<void>;
  /** Stops the stack and the subscriber, removes the directory. */
  close(): Promise<void>;
}

/**
 * Running test stacks by data directory, with the keys whose S3 events they lose while a backdoor
 * writer puts them (the emulator holds its directory: a second server cannot open it meanwhile).
 */
const running = new Map<string, { url: string; muted: Map<string, number> }>();

/** A local stack on a fresh directory (or `dataDir`), with an HTTP subscriber on its topic. */
export async function startTestStack(
  options: {
    config?: EventlineConfigInput;
    dataDir?: string;
    subscriber?: HttpSubscriber;
    stack?: Partial<Omit<LocalStackOptions, 'config' | 'dataDir' | 'port'>>;
  } = {},
): Promise<TestStack> {
  const dir = options.dataDir ? join(options.dataDir, '..') : await tempDir('stack');
  const dataDir = options.dataDir ?? join(dir, 'data');
  const subscriber = options.subscriber ?? (await startHttpSubscriber());
  const input = options.config ?? {};
  const config = parseConfig({
    ...input,
    topic: { ...input.topic, subscriptions: [{ protocol: 'http', endpoint: subscriber.url }] },
  });
  const muted = new Map<string, number>();
  const stack = await LocalStack.start({
    config,
    dataDir,
    port: 0,
    ...options.stack,
    loseS3Event: (event) => muted.has(event.key) || (options.stack?.loseS3Event?.(event) ?? false),
  });
  running.set(resolve(dataDir), { url: stack.url, muted });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    running.delete(resolve(dataDir));
    await stack.stop();
  };
  return {
    stack,
    subscriber,
    dir,
    dataDir,
    stop,
    async close() {
      await stop();
      await subscriber.close();
      await removeDir(dir);
    },
  };
}

export function s3Client(endpoint: string, credentials = CREDENTIALS): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export interface Upload {
  key: string;
  body: string | Uint8Array;
}

export interface UploadResult {
  acked: Set<string>;
  failed: Map<string, Error>;
  ms: number;
}

/**
 * Uploads with at most `concurrency` requests in flight. With `stopOnError`, the first failure
 * stops every worker (the client noticed the endpoint is gone); the rest are neither acked nor failed.
 */
export async function uploadAll(
  s3: S3Client,
  uploads: Upload[],
  options: { concurrency: number; stopOnError?: boolean; onAck?: (acked: number) => void },
): Promise<UploadResult> {
  const started = Date.now();
  const acked = new Set<string>();
  const failed = new Map<string, Error>();
  let next = 0;
  let stop = false;
  const worker = async () => {
    while (!stop && next < uploads.length) {
      const upload = uploads[next++]!;
      try {
        await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: upload.key, Body: upload.body }));
        acked.add(upload.key);
        options.onAck?.(acked.size);
      } catch (error) {
        failed.set(upload.key, error as Error);
        if (options.stopOnError) stop = true;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { acked, failed, ms: Date.now() - started };
}

/** The ETag S3 gives a single-part upload: the hex MD5 of the body. */
export async function storedETag(s3: S3Client, key: string): Promise<string | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    return head.ETag?.replace(/"/g, '');
  } catch (error) {
    if ((error as { name?: string }).name === 'NotFound') return undefined;
    throw error;
  }
}

export interface LedgerRecord {
  pk: string;
  origin?: string;
  source?: { key?: string; eTag?: string };
  payload?: unknown;
  payloadRef?: { bucket: string; key: string; bytes: number };
  [name: string]: unknown;
}

export interface LedgerView {
  /** Record items by their `origin` object key (bucket prefix removed). */
  recordsByObject: Map<string, LedgerRecord[]>;
  records: LedgerRecord[];
  /** File outcome items by object key. */
  files: Map<string, FileState>;
}

/** Reads the whole ledger table (paginated Scan). */
export async function scanLedger(documents: DynamoDBDocumentClient, table = TABLE): Promise<LedgerView> {
  const view: LedgerView = { recordsByObject: new Map(), records: [], files: new Map() };
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new ScanCommand({ TableName: table, ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    for (const item of page.Items ?? []) {
      if (item.kind === 'file') {
        const state = fileStateOf(item);
        view.files.set(state.key, state);
      } else {
        const record = item as LedgerRecord;
        view.records.push(record);
        const origin = typeof record.origin === 'string' ? record.origin.replace(/^[^/]+\//, '') : '?';
        const list = view.recordsByObject.get(origin) ?? [];
        list.push(record);
        view.recordsByObject.set(origin, list);
      }
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return view;
}

export interface NotificationDoc {
  message: string;
  status: string;
  key: string;
  eTag?: string;
  error?: { code: string; message: string };
  records?: { written: number; rejected: number };
}

/** The JSON document of each Notification the subscriber received (MessageStructure json: `http`). */
export function deliveredNotifications(subscriber: HttpSubscriber): NotificationDoc[] {
  return subscriber
    .ofType('Notification')
    .filter((r) => r.answeredWith < 300)
    .map((r) => JSON.parse(String(r.json?.Message)) as NotificationDoc);
}

/** Every Publish the stack's SNS accepted, from its durable log (`<dataDir>/sns/notifications.ndjson`). */
export async function publishedNotifications(dataDir: string): Promise<NotificationDoc[]> {
  let text: string;
  try {
    text = await readFile(join(dataDir, 'sns', 'notifications.ndjson'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const docs: NotificationDoc[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let entry: { type?: string; message?: { message: string; messageStructure?: string } };
    try {
      entry = JSON.parse(line);
    } catch {
      continue; // a torn last line after kill -9
    }
    if (entry.type !== 'published' || !entry.message) continue;
    const structured = JSON.parse(entry.message.message) as { http?: string };
    if (structured.http) docs.push(JSON.parse(structured.http) as NotificationDoc);
  }
  return docs;
}

export function countBy<T>(items: Iterable<T>, keyOf: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) {
    const key = keyOf(item);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Missing (expected, never seen), duplicated (seen more than once) and unexpected keys. */
export function tally(expected: Iterable<string>, counts: Map<string, number>) {
  const want = new Set(expected);
  const missing = [...want].filter((k) => !counts.has(k));
  const duplicated = [...counts].filter(([k, n]) => want.has(k) && n > 1).map(([k]) => k);
  const unexpected = [...counts.keys()].filter((k) => !want.has(k));
  const extra = [...counts].filter(([k]) => want.has(k)).reduce((sum, [, n]) => sum + n - 1, 0);
  return { missing, duplicated, unexpected, extra };
}

/** Polls until `check` is true; fails with `what` and the last state after the timeout. */
export async function until(
  check: () => boolean | Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number; what: string | (() => string) },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      const what = typeof options.what === 'function' ? options.what() : options.what;
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Prints a scenario's figures on one line (quotable from the CI log) and keeps them in
 * `test-results/reliability/<scenario>.json`.
 */
export async function report(scenario: string, figures: Record<string, unknown>): Promise<void> {
  const line = { scenario, ...figures };
  console.log(`[reliability] ${JSON.stringify(line)}`);
  const dir = join(repoRoot, 'test-results', 'reliability');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${scenario}.json`), `${JSON.stringify(line, null, 2)}\n`);
}

/** A small deterministic PRNG (mulberry32), so shuffles are reproducible from the printed seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function shuffle<T>(items: T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export interface BackdoorWriter {
  s3: S3Client;
  /** Puts an object without the pipeline seeing an event; returns what an S3 event would carry. */
  put(key: string, body: string | Uint8Array): Promise<{ key: string; eTag: string; size: number }>;
  close(): Promise<void>;
}

/**
 * Writes objects into the stack's bucket without any event reaching the pipeline, like objects that
 * were in the bucket before the pipeline existed, or whose notification was lost. With a test stack
 * running on `dataDir`, through its edge, its events for those keys lost (`loseS3Event`); without one,
 * through an S3 emulator of its own on the stack's S3 directory.
 */
export async function startBackdoorWriter(dataDir: string): Promise<BackdoorWriter> {
  const stack = running.get(resolve(dataDir));
  const own = stack
    ? undefined
    : await createS3Emulator({ dataDir: join(dataDir, S3_DATA_SUBDIR), fsync: false });
  if (own) await own.ensureBucket(BUCKET, { versioning: 'Enabled' });
  const endpoint = stack ? stack.url : (await own!.listen(0, '127.0.0.1')).url;
  const s3 = s3Client(endpoint);
  const mute = (key: string, by: number) => {
    if (!stack) return;
    const count = (stack.muted.get(key) ?? 0) + by;
    if (count > 0) stack.muted.set(key, count);
    else stack.muted.delete(key);
  };
  return {
    s3,
    async put(key, body) {
      mute(key, 1);
      try {
        // The emulator emits the event before it answers: the key is still muted when it arrives.
        const response = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
        return {
          key,
          eTag: (response.ETag ?? '').replace(/"/g, ''),
          size: typeof body === 'string' ? Buffer.byteLength(body) : body.length,
        };
      } finally {
        mute(key, -1);
      }
    },
    async close() {
      s3.destroy();
      await own?.close();
    },
  };
}

/** An S3 event exactly as the local stack (and S3) would send it for an object. */
export function s3Event(
  object: { key: string; eTag?: string; size?: number },
  options: { bucket?: string; eventName?: string; sequencer?: string } = {},
): { Records: Record<string, unknown>[] } {
  return {
    Records: [
      s3EventRecord({
        bucket: options.bucket ?? BUCKET,
        key: object.key,
        eventName: options.eventName ?? 'ObjectCreated:Put',
        ...(object.eTag ? { eTag: object.eTag } : {}),
        ...(object.size !== undefined ? { size: object.size } : {}),
        sequencer: options.sequencer ?? nextSequencer(),
        region: 'us-east-1',
        configurationId: 'reliability',
      }),
    ],
  };
}

let sqsMessageCounter = 0;

/** An SQS record (as Lambda receives it) whose body is `body` (an S3 event, or anything). */
export function sqsRecord(body: unknown, messageId = `msg-${++sqsMessageCounter}`): Record<string, unknown> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body: text,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'AIDAEVENTLINE',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(text).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:eventline-events',
    awsRegion: 'us-east-1',
  };
}
