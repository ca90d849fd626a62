import type { AttributeMap, Clock, Ledger, RecordWriter, RecordWriterOptions } from '@eventline/core';
import { systemClock } from '@eventline/core';

/** DynamoDB's BatchWriteItem limit, and the size of the chunks records are grouped in. */
export const BATCH_SIZE = 25;

type SendBatch = (items: AttributeMap[], deadline: number) => Promise<void>;

/**
 * Groups records into BatchWriteItem chunks of 25 distinct keys (BatchWriteItem refuses a key twice
 * in one request: the later record of a key wins and is counted as a duplicate) and sends them with
 * bounded parallelism; the first failure fails the file.
 */
export class DynamoRecordWriter implements RecordWriter {
  private readonly inflight = new Set<Promise<void>>();
  /** The batch in flight that writes each key (at most 25 x parallelism keys). */
  private readonly byKey = new Map<string, Promise<void>>();
  private chunk = new Map<string, AttributeMap>();
  private failure: unknown;
  private written = 0;
  private duplicates = 0;

  constructor(
    private readonly send: SendBatch,
    private readonly options: RecordWriterOptions & { clock: Clock },
  ) {}

  async add(item: AttributeMap): Promise<void> {
    if (this.failure) throw this.failure;
    const pk = (item.pk as { S: string }).S;
    if (this.chunk.has(pk)) this.duplicates += 1;
    this.chunk.set(pk, item);
    if (this.chunk.size === BATCH_SIZE) await this.flush();
  }

  private async flush(): Promise<void> {
    const items = [...this.chunk.values()];
    this.chunk = new Map();
    if (items.length === 0) return;
    // A key's later record must not be overtaken by an earlier batch still being retried.
    const keys = items.map((item) => (item.pk as { S: string }).S);
    const earlier = new Set(keys.map((key) => this.byKey.get(key)).filter((w) => w !== undefined));
    if (earlier.size > 0) await Promise.all(earlier);
    if (this.failure) throw this.failure;
    // Fencing: no batch starts without a live claim, and none is retried past the claim's lease.
    let deadline = this.options.clock.now() + this.options.deadlineMs;
    if (this.options.fence) {
      try {
        deadline = Math.min(deadline, await this.options.fence());
      } catch (error) {
        this.failure ??= error;
        throw error;
      }
    }
    const p: Promise<void> = this.send(items, deadline)
      .then(
        () => {
          this.written += items.length;
        },
        (error: unknown) => {
          this.failure ??= error;
        },
      )
      .finally(() => {
        this.inflight.delete(p);
        for (const key of keys) if (this.byKey.get(key) === p) this.byKey.delete(key);
      });
    this.inflight.add(p);
    for (const key of keys) this.byKey.set(key, p);
    if (this.inflight.size >= this.options.parallelism) await Promise.race(this.inflight);
    if (this.failure) throw this.failure;
  }

  async finish(): Promise<{ written: number; duplicates: number }> {
    await this.flush();
    await Promise.all(this.inflight);
    if (this.failure) throw this.failure;
    return { written: this.written, duplicates: this.duplicates };
  }

  /** Waits for every batch in flight, whatever its result (they never reject); says what was written. */
  async settle(): Promise<{ written: number; duplicates: number }> {
    await Promise.all(this.inflight);
    return { written: this.written, duplicates: this.duplicates };
  }
}

/** A record writer over any ledger's `putRecords` (the DynamoDB ledger's, or a wrapper of it in tests). */
export function batchedWriter(
  ledger: Pick<Ledger, 'putRecords'>,
  options: RecordWriterOptions,
  clock: Clock = systemClock,
): RecordWriter {
  return new DynamoRecordWriter((items, deadline) => ledger.putRecords(items, { deadline }), {
    ...options,
    clock,
  });
}
