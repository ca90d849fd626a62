import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { concurrencyBound, parseConfig } from '@eventline/config';
import type { InvocationResult } from '@eventline/lambda-emulator';
import { LocalStack } from '@eventline/local';
import type { Context } from 'aws-lambda';
import type { BenchHandler, StackEndpoint } from '../baseline/client-config.ts';
import { createHardenedSeedHandler } from '../baseline/hardened-seed-handler.ts';
import { createRawHandler } from '../baseline/raw-handler.ts';
import { createSeedHandler } from '../baseline/seed-handler.ts';
import { orderJson } from '../lib/files.ts';
import { itemBytes } from '../lib/item-size.ts';
import type { Progress } from '../lib/progress.ts';
import { quantile, ratio, type Summary, summarize } from '../lib/stats.ts';
import { BenchSubscriber } from '../lib/subscriber.ts';

/**
 * Figures 1 and 2 (and the per-file request counts of figure 5): small JSON files put into the local
 * stack, processed by the stack's asynchronous invoker (concurrency = reservedConcurrency), until
 * the notification reaches a real HTTP subscriber. The handler behind the invoker is swapped between
 * variants on the same running stack, so S3, DynamoDB, SNS, the invoker, the subscriber and the
 * files are the same for all; runs alternate the variants so drift in machine load hits all alike.
 */

export type VariantId = 'eventline' | 'baseline' | 'hardened' | 'raw' | 'raw-ledger';

/** Two letters per variant in object keys and record ids (same length for all, so the same bytes). */
const TAGS: Record<VariantId, string> = {
  eventline: 'ev',
  baseline: 'ba',
  hardened: 'hs',
  raw: 'ra',
  'raw-ledger': 'rl',
};

export interface EndToEndOptions {
  /** Files per burst. */
  files: number;
  /** Bursts per variant (the runs of the medians). */
  runs: number;
  /** Files put one at a time per variant, for unloaded latency and handler duration. */
  sequentialFiles: number;
  /** Uploads in flight during a burst. */
  putConcurrency: number;
  warmupFiles: number;
  variants: VariantId[];
  progress: Progress;
}

export interface VariantResult {
  /** Files per second of a burst: N / (last notification received - first put started). */
  filesPerSecond: Summary;
  /** Put -> notification latency within a burst (includes queueing behind the concurrency limit). */
  burstLatencyP50Ms: Summary;
  burstLatencyP99Ms: Summary;
  /** Put -> notification latency with one file in the system at a time. */
  unloadedLatencyP50Ms: Summary;
  unloadedLatencyP99Ms: Summary;
  /** Handler duration per invocation (one file) when unloaded: the billed duration of figure 6. */
  handlerMs: { p50: number; p99: number; mean: number };
  /** Edge requests per file, by service:operation, from the bursts (the uploader's PUT included). */
  requestsPerFile: Record<string, number>;
  /** Invocations that threw (each retried by the invoker). */
  failedInvocations: number;
  /** Mean DynamoDB size (bytes) of the items this variant wrote: a record's, and eventline's outcome item. */
  itemBytes?: { record: number; file?: number };
}

export interface EndToEndResult {
  files: number;
  runs: number;
  sequentialFiles: number;
  concurrency: number;
  putConcurrency: number;
  fileBytes: { min: number; max: number; mean: number };
  variants: Partial<Record<VariantId, VariantResult>>;
  /** eventline files/s ÷ baseline files/s, run by run. */
  speedupVsBaseline?: Summary;
  /** eventline files/s ÷ the hardened seed's files/s, run by run. */
  speedupVsHardened?: Summary;
  /** eventline files/s ÷ raw files/s, run by run (figure 2). */
  fractionOfRaw?: Summary;
  /** eventline files/s ÷ raw-ledger files/s (the raw limit making eventline's 7 calls), run by run. */
  fractionOfRawLedger?: Summary;
  memoryMb: number;
}

interface Variant {
  id: VariantId;
  handler: BenchHandler;
  close(): void;
}

interface Burst {
  filesPerSecond: number;
  latencies: number[];
  counts: Record<string, number>;
}

export async function runEndToEnd(options: EndToEndOptions): Promise<EndToEndResult> {
  const { progress } = options;
  const dataDir = await mkdtemp(join(tmpdir(), 'eventline-bench-e2e-'));
  // Direct mode, in process: the variants are handlers swapped on one running stack behind its
  // asynchronous invoker, the same path for all three (runs before the local queue path were this way).
  // The queue path with worker instances is not measured here yet.
  const config = parseConfig(
    { local: { port: 0, dataDir }, trigger: { mode: 'direct' }, alarms: { notify: 'nowhere' } },
    'bench config',
  );
  const stack = await LocalStack.start({ config, dataDir, port: 0, functionRuntime: 'in-process' });
  const subscriber = await BenchSubscriber.start();
  const variants: Variant[] = [];
  try {
    await stack.sns.subscribe(stack.names.topicArn, 'http', subscriber.url);
    await subscriber.waitForConfirmation();

    const endpoint: StackEndpoint = {
      endpoint: stack.url,
      region: config.local.region,
      credentials: { accessKeyId: config.local.accessKeyId, secretAccessKey: config.local.secretAccessKey },
    };
    const names = { tableName: stack.names.tableName, topicArn: stack.names.topicArn };
    const eventline = stack.handler;
    for (const id of options.variants) {
      if (id === 'eventline')
        variants.push({ id, handler: (event, context) => eventline(event, context), close() {} });
      if (id === 'baseline') variants.push({ id, ...createSeedHandler(endpoint, names) });
      if (id === 'hardened') {
        const hardened = createHardenedSeedHandler(endpoint, names);
        await hardened.ready();
        variants.push({ id, handler: hardened.handler, close: hardened.close });
      }
      if (id === 'raw') variants.push({ id, ...createRawHandler(endpoint, names) });
      if (id === 'raw-ledger')
        variants.push({ id, ...createRawHandler(endpoint, names, { ledgerCalls: true }) });
    }

    // Each invocation is timed around the handler, and failures are counted, per variant.
    let current: Variant = variants[0]!;
    let durations: number[] = [];
    const failures = new Map<VariantId, number>();
    stack.handler = (async (event: unknown, context?: Context) => {
      const started = performance.now();
      try {
        return await current.handler(event, context);
      } finally {
        durations.push(performance.now() - started);
      }
    }) as typeof stack.handler;
    stack.invoker.on('result', (result: InvocationResult) => {
      if (!result.ok) failures.set(current.id, (failures.get(current.id) ?? 0) + 1);
    });

    const put = (key: string, body: string) =>
      stack.clients.s3.send(
        new PutObjectCommand({
          Bucket: config.bucket.name,
          Key: key,
          Body: body,
          ContentType: 'application/json',
        }),
      );
    const sizes: number[] = [];
    const bodies = Array.from({ length: options.files }, (_, i) => {
      const body = orderJson(`ord-XX-00-${String(i).padStart(6, '0')}`, i);
      sizes.push(Buffer.byteLength(body));
      return body;
    });

    /** Puts `count` files with `putConcurrency` uploads in flight and waits for every notification. */
    const burst = async (variant: Variant, tag: string, count: number, label: string): Promise<Burst> => {
      current = variant;
      await stack.idle();
      stack.edge.resetCounts();
      const keys = Array.from(
        { length: count },
        (_, i) => `incoming/bench/${tag}/${String(i).padStart(6, '0')}.json`,
      );
      const started = new Map<string, number>();
      const arrived = subscriber.waitFor(keys, 60_000 + count * 200, (n) =>
        progress.update(`${label}: ${variant.id}`, n, count),
      );
      const first = performance.now();
      let next = 0;
      const uploader = async () => {
        while (next < count) {
          const i = next++;
          const key = keys[i]!;
          // Same bytes for every variant; only the id's tag differs (same length), so no item is overwritten.
          const body = bodies[i % bodies.length]!.replace('ord-XX-00-', `ord-${tag}-`);
          started.set(key, performance.now());
          await put(key, body);
        }
      };
      await Promise.all(Array.from({ length: options.putConcurrency }, uploader));
      await arrived;
      await stack.idle();
      const arrivals = keys.map((k) => subscriber.arrivals.get(k)!);
      const last = Math.max(...arrivals);
      return {
        filesPerSecond: (count / (last - first)) * 1000,
        latencies: keys.map((k) => subscriber.arrivals.get(k)! - started.get(k)!),
        counts: stack.edge.counts(),
      };
    };

    /** One file at a time: put, wait for its notification, next. */
    const sequential = async (variant: Variant, tag: string, count: number): Promise<number[]> => {
      current = variant;
      await stack.idle();
      const latencies: number[] = [];
      for (let i = 0; i < count; i++) {
        const key = `incoming/bench/${tag}/${String(i).padStart(6, '0')}.json`;
        const arrived = subscriber.waitFor([key], 30_000);
        const body = bodies[i % bodies.length]!.replace('ord-XX-00-', `ord-${tag}-`);
        const started = performance.now();
        await put(key, body);
        await arrived;
        latencies.push(subscriber.arrivals.get(key)! - started);
        await stack.idle();
        progress.update(`unloaded: ${variant.id}`, i + 1, count);
      }
      return latencies;
    };

    const tagOf = (variant: Variant, phase: string, run: number) =>
      `${TAGS[variant.id]}-${phase}${String(run).padStart(2, '0')}`;

    progress.update('warming up');
    for (const variant of variants)
      await burst(variant, tagOf(variant, 'w', 0), options.warmupFiles, 'warm-up');

    const bursts = new Map<VariantId, Burst[]>(variants.map((v) => [v.id, []]));
    const handlerDurations = new Map<VariantId, number[]>(variants.map((v) => [v.id, []]));
    const unloaded = new Map<VariantId, number[][]>(variants.map((v) => [v.id, []]));
    for (let run = 0; run < options.runs; run++) {
      // Rotate the order every run: no variant always goes first.
      const order = variants.map((_, i) => variants[(i + run) % variants.length]!);
      for (const variant of order) {
        bursts
          .get(variant.id)!
          .push(
            await burst(variant, tagOf(variant, 'b', run), options.files, `burst ${run + 1}/${options.runs}`),
          );
      }
      for (const variant of order) {
        durations = [];
        const perRun = Math.ceil(options.sequentialFiles / options.runs);
        unloaded.get(variant.id)!.push(await sequential(variant, tagOf(variant, 's', run), perRun));
        handlerDurations.get(variant.id)!.push(...durations);
      }
    }

    progress.update('measuring item sizes');
    const sizesOf = await scanItemSizes(stack, config.bucket.name);
    const results: Partial<Record<VariantId, VariantResult>> = {};
    for (const variant of variants) {
      const own = bursts.get(variant.id)!;
      const handlerMs = handlerDurations.get(variant.id)!;
      const counts: Record<string, number> = {};
      for (const b of own) for (const [op, n] of Object.entries(b.counts)) counts[op] = (counts[op] ?? 0) + n;
      const totalFiles = own.length * options.files;
      results[variant.id] = {
        filesPerSecond: summarize(own.map((b) => b.filesPerSecond)),
        burstLatencyP50Ms: summarize(own.map((b) => quantile(b.latencies, 0.5))),
        burstLatencyP99Ms: summarize(own.map((b) => quantile(b.latencies, 0.99))),
        unloadedLatencyP50Ms: summarize(unloaded.get(variant.id)!.map((l) => quantile(l, 0.5))),
        unloadedLatencyP99Ms: summarize(unloaded.get(variant.id)!.map((l) => quantile(l, 0.99))),
        handlerMs: {
          p50: round1(quantile(handlerMs, 0.5)),
          p99: round1(quantile(handlerMs, 0.99)),
          mean: round1(handlerMs.reduce((a, b) => a + b, 0) / Math.max(1, handlerMs.length)),
        },
        requestsPerFile: Object.fromEntries(
          Object.entries(counts)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([op, n]) => [op, Math.round((n / totalFiles) * 1000) / 1000]),
        ),
        failedInvocations: failures.get(variant.id) ?? 0,
      };
      const sized = sizesOf(TAGS[variant.id]);
      if (sized) results[variant.id]!.itemBytes = sized;
    }
    const perRun = (a: VariantId, b: VariantId) => {
      const x = bursts.get(a);
      const y = bursts.get(b);
      if (!x || !y) return undefined;
      return summarize(x.map((burstA, i) => ratio(burstA.filesPerSecond, y[i]!.filesPerSecond)));
    };
    const result: EndToEndResult = {
      files: options.files,
      runs: options.runs,
      sequentialFiles: options.sequentialFiles,
      concurrency: concurrencyBound(config).limit,
      putConcurrency: options.putConcurrency,
      fileBytes: {
        min: Math.min(...sizes),
        max: Math.max(...sizes),
        mean: Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length),
      },
      variants: results,
      memoryMb: config.function.memoryMb,
    };
    const speedup = perRun('eventline', 'baseline');
    if (speedup) result.speedupVsBaseline = speedup;
    const hardenedSpeedup = perRun('eventline', 'hardened');
    if (hardenedSpeedup) result.speedupVsHardened = hardenedSpeedup;
    const fraction = perRun('eventline', 'raw');
    if (fraction) result.fractionOfRaw = fraction;
    const ledgerFraction = perRun('eventline', 'raw-ledger');
    if (ledgerFraction) result.fractionOfRawLedger = ledgerFraction;
    return result;
  } finally {
    for (const variant of variants) variant.close();
    await stack.stop();
    await subscriber.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const round1 = (v: number) => Math.round(v * 10) / 10;

/** Mean item sizes by variant tag: records are `ord-<tag>-…`, eventline's outcome items `#file#<bucket>/incoming/bench/<tag>-…`. */
async function scanItemSizes(stack: LocalStack, bucket: string) {
  const records = new Map<string, number[]>();
  const files = new Map<string, number[]>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await stack.clients.dynamodb.send(
      new ScanCommand({ TableName: stack.names.tableName, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) {
      const pk = item.pk?.S ?? '';
      const record = /^ord-([a-z]{2})-/.exec(pk);
      const file = new RegExp(`^#file#${bucket}/incoming/bench/([a-z]{2})-`).exec(pk);
      const [map, tag] = record ? [records, record[1]!] : file ? [files, file[1]!] : [undefined, ''];
      if (!map) continue;
      map.set(tag, [...(map.get(tag) ?? []), itemBytes(item)]);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  const mean = (values: number[] | undefined) =>
    values && values.length > 0 ? Math.round(values.reduce((a, b) => a + b, 0) / values.length) : undefined;
  return (tag: string): { record: number; file?: number } | undefined => {
    const record = mean(records.get(tag));
    if (record === undefined) return undefined;
    const file = mean(files.get(tag));
    return file === undefined ? { record } : { record, file };
  };
}
