import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The raw limit of figure 3: a BatchWriteItem loop with no pipeline around it. It streams the same
 * NDJSON object from S3, splits lines, parses each with JSON.parse, and writes `{ pk, payload }` items
 * in batches of 25 with the same number of batches in flight as eventline (writes.parallelism),
 * retrying UnprocessedItems. No claim, no outcome item, no notification, no validation, no exact
 * numbers: the least work that lands every record in the table.
 */
export interface RawBatchWriteOptions {
  s3: S3Client;
  documents: DynamoDBDocumentClient;
  bucket: string;
  key: string;
  tableName: string;
  parallelism: number;
  /** The item key of a parsed record (the same key template eventline's route uses). */
  keyOf(record: Record<string, unknown>): string;
  /**
   * Extra attributes per item. The `shaped` variant passes the attributes eventline keeps on every
   * record item (kind, source, origin, seq, route, line, processedAt), so that the emulator does the
   * same work per item and the difference left is the pipeline's own.
   */
  extra?(record: Record<string, unknown>, line: number): Record<string, unknown>;
}

const BATCH = 25;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function rawBatchWrite(options: RawBatchWriteOptions): Promise<{ records: number }> {
  const { documents, tableName } = options;
  const object = await options.s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: options.key }));
  const body = object.Body as AsyncIterable<Uint8Array> | undefined;
  if (!body) throw new Error(`${options.key}: no body`);

  const inflight = new Set<Promise<void>>();
  let failure: unknown;
  let records = 0;

  const writeBatch = async (items: Record<string, unknown>[]) => {
    let pending = items.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await sleep(Math.random() * Math.min(5_000, 50 * 2 ** attempt));
      const response = await documents.send(
        new BatchWriteCommand({ RequestItems: { [tableName]: pending } }),
      );
      pending = (response.UnprocessedItems?.[tableName] ?? []) as typeof pending;
    }
  };
  const flush = async (items: Record<string, unknown>[]) => {
    if (failure) throw failure;
    const p: Promise<void> = writeBatch(items)
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= options.parallelism) await Promise.race(inflight);
  };

  const decoder = new TextDecoder();
  let rest = '';
  let batch: Record<string, unknown>[] = [];
  const take = async (line: string) => {
    if (line.length === 0) return;
    const record = JSON.parse(line) as Record<string, unknown>;
    records += 1;
    batch.push({ pk: options.keyOf(record), payload: record, ...options.extra?.(record, records) });
    if (batch.length === BATCH) {
      await flush(batch);
      batch = [];
    }
  };
  for await (const chunk of body) {
    const text = rest + decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      await take(text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  await take(rest + decoder.decode());
  if (batch.length > 0) await flush(batch);
  await Promise.all(inflight);
  if (failure) throw failure;
  return { records };
}
