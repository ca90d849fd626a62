import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { parseConfig } from '@eventline/config';
import { ensureLedgerTable } from '@eventline/dynamodb-emulator';
import { LocalStack } from '@eventline/local';
import { bundle } from '../lib/bundle.ts';
import { runChild } from '../lib/child.ts';
import { readingLine } from '../lib/files.ts';
import type { Progress } from '../lib/progress.ts';
import { ratio, type Summary, summarize } from '../lib/stats.ts';
import type { WorkerJob, WorkerMode, WorkerResult } from './ndjson-worker.ts';

/**
 * Figure 3 (issue 5's "Memory and speed"): one large NDJSON object of IoT readings per size, processed
 * by eventline's handler in a child process (its peak RSS is the pipeline's alone), and by a raw
 * BatchWriteItem loop in the same kind of child, against the same local stack (through its edge),
 * with the same batch size (25) and parallelism. Each run writes into a fresh table, so no variant
 * overwrites what another wrote (tables are not deleted during the run: dynalite deletes items in the
 * background, which would load the next measurement; the data directory goes at the end). Write requests per record come from the edge's counts.
 */

export interface LargeNdjsonOptions {
  /** Sizes in MiB. */
  sizesMb: number[];
  /** Runs per size (each runs both variants, alternating which goes first). */
  runsFor(sizeMb: number): number;
  parallelism: number;
  /** Sizes (MiB) at which the raw loop also runs with eventline-shaped items. */
  shapedSizesMb: number[];
  progress: Progress;
}

export interface VariantFigures {
  recordsPerSecond: Summary;
  peakRssMb: Summary;
  startRssMb: Summary;
  durationS: Summary;
  /** The child's CPU time ÷ its wall time (1 = one core busy the whole time). */
  workerCpuShare: Summary;
  /** The parent's (emulators + edge) CPU time ÷ the wall time. */
  stackCpuShare: Summary;
  /** DynamoDB write requests (BatchWriteItem + PutItem + UpdateItem + TransactWriteItems) per record. */
  writeRequestsPerRecord: number;
  requestsPerRecord: Record<string, number>;
}

export interface SizeResult {
  label: string;
  bytes: number;
  records: number;
  runs: number;
  eventline: VariantFigures;
  raw: VariantFigures;
  /** The raw loop writing items with eventline's attributes (only at `shapedSizesMb`). */
  rawShaped?: VariantFigures;
  /** eventline records/s ÷ raw records/s, run by run. */
  fractionOfRaw: Summary;
  fractionOfRawShaped?: Summary;
}

export interface LargeNdjsonResult {
  parallelism: number;
  batchSize: number;
  keyTemplate: string;
  sizes: SizeResult[];
  /** Peak RSS of the largest size ÷ that of the smallest (goal ≤ 1.2). */
  rssGrowth?: number;
}

const PREFIX = 'bench-large/';
// biome-ignore lint/suspicious/noTemplateCurlyInString: eventline's key template syntax, not a JS template
const KEY_TEMPLATE = '${deviceId}#${ts}';
const WRITE_OPS = ['BatchWriteItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems'];

async function writeNdjson(path: string, bytes: number): Promise<number> {
  const out = createWriteStream(path);
  let written = 0;
  let records = 0;
  let chunk = '';
  while (written < bytes) {
    const line = readingLine(records);
    chunk += line;
    written += line.length;
    records += 1;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      chunk = '';
    }
  }
  out.end(chunk);
  await new Promise<void>((resolve, reject) => out.on('finish', resolve).on('error', reject));
  return records;
}

const runWorker = (script: string, job: WorkerJob) =>
  runChild<WorkerResult>(script, job, { what: `ndjson worker (${job.mode})` });

export async function runLargeNdjson(options: LargeNdjsonOptions): Promise<LargeNdjsonResult> {
  const { progress } = options;
  const dir = await mkdtemp(join(tmpdir(), 'eventline-bench-ndjson-'));
  const workerScript = join(dir, 'ndjson-worker.mjs');
  await bundle(fileURLToPath(new URL('./ndjson-worker.ts', import.meta.url)), workerScript, {
    minify: false,
    target: `node${process.versions.node.split('.')[0]}`,
  });
  const config = parseConfig({ local: { port: 0, dataDir: join(dir, 'stack') } }, 'bench config');
  const stack = await LocalStack.start({ config, dataDir: join(dir, 'stack'), port: 0 });
  const sizes: SizeResult[] = [];
  try {
    for (const sizeMb of options.sizesMb) {
      const label = sizeMb >= 1024 ? `${sizeMb / 1024} GB` : `${sizeMb} MB`;
      progress.update(`${label}: writing the file`);
      const file = join(dir, `readings-${sizeMb}.ndjson`);
      const records = await writeNdjson(file, sizeMb * 1024 * 1024);
      const { size } = await stat(file);
      const key = `${PREFIX}readings-${sizeMb}mb.ndjson`;
      progress.update(`${label}: uploading ${records.toLocaleString('en-US')} records`);
      const put = await stack.clients.s3.send(
        new PutObjectCommand({
          Bucket: config.bucket.name,
          Key: key,
          Body: createReadStream(file),
          ContentLength: size,
          ContentType: 'application/x-ndjson',
        }),
      );
      await rm(file);
      const runs = options.runsFor(sizeMb);
      const shaped = options.shapedSizesMb.includes(sizeMb);
      const all: WorkerMode[] = shaped ? ['eventline', 'raw', 'raw-shaped'] : ['eventline', 'raw'];
      const results: Record<WorkerMode, WorkerResult[]> = { eventline: [], raw: [], 'raw-shaped': [] };
      const counts: Record<WorkerMode, Record<string, number>> = { eventline: {}, raw: {}, 'raw-shaped': {} };
      const stackShares: Record<WorkerMode, number[]> = { eventline: [], raw: [], 'raw-shaped': [] };
      for (let run = 0; run < runs; run++) {
        // Rotate which variant goes first, run by run.
        const modes = all.map((_, i) => all[(i + run) % all.length]!);
        for (const mode of modes) {
          const tableName = `bench-${mode}-${sizeMb}-${run}`;
          await ensureLedgerTable(stack.clients.dynamodb, tableName);
          stack.edge.resetCounts();
          const stackCpu = process.cpuUsage();
          const what = `${label}: run ${run + 1}/${runs}, ${mode}`;
          progress.update(what, 0, records);
          // The edge counts BatchWriteItem requests as they happen: 25 records each (the last one fewer).
          const ticker = setInterval(() => {
            const batches = stack.edge.counts()['dynamodb:BatchWriteItem'] ?? 0;
            progress.update(what, Math.min(records, batches * 25), records);
          }, 2_000);
          const result = await runWorker(workerScript, {
            mode,
            endpoint: stack.url,
            region: config.local.region,
            credentials: {
              accessKeyId: config.local.accessKeyId,
              secretAccessKey: config.local.secretAccessKey,
            },
            bucket: config.bucket.name,
            key,
            size,
            eTag: (put.ETag ?? '').replace(/"/g, ''),
            tableName,
            topicArn: stack.names.topicArn,
            parallelism: options.parallelism,
            keyTemplate: KEY_TEMPLATE,
            prefix: PREFIX,
          }).finally(() => clearInterval(ticker));
          if (result.records !== records) {
            throw new Error(`${mode} wrote ${result.records} of ${records} records of ${label}`);
          }
          const used = process.cpuUsage(stackCpu);
          stackShares[mode].push((used.user + used.system) / 1000 / result.durationMs);
          results[mode].push(result);
          progress.line(
            `    ${label} ${mode}: ${Math.round((records / result.durationMs) * 1000)} records/s, ${Math.round(result.durationMs / 1000)} s, peak RSS ${Math.round(result.peakRssMb)} MB (${Math.round(result.startRssMb)} MB at start)`,
          );
          for (const [op, n] of Object.entries(stack.edge.counts())) {
            counts[mode][op] = (counts[mode][op] ?? 0) + n;
          }
        }
      }
      const figures = (mode: WorkerMode): VariantFigures => {
        const own = results[mode];
        const total = records * own.length;
        const perRecord = Object.fromEntries(
          Object.entries(counts[mode])
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([op, n]) => [op, Number((n / total).toPrecision(4))]),
        );
        const writes = Object.entries(counts[mode])
          .filter(([op]) => op.startsWith('dynamodb:') && WRITE_OPS.includes(op.slice('dynamodb:'.length)))
          .reduce((sum, [, n]) => sum + n, 0);
        return {
          recordsPerSecond: summarize(own.map((r) => (records / r.durationMs) * 1000)),
          peakRssMb: summarize(own.map((r) => r.peakRssMb)),
          startRssMb: summarize(own.map((r) => r.startRssMb)),
          durationS: summarize(own.map((r) => r.durationMs / 1000)),
          workerCpuShare: summarize(own.map((r) => r.cpuMs / r.durationMs)),
          stackCpuShare: summarize(stackShares[mode]),
          writeRequestsPerRecord: Number((writes / total).toPrecision(4)),
          requestsPerRecord: perRecord,
        };
      };
      const eventline = figures('eventline');
      const raw = figures('raw');
      const fraction = (of: WorkerMode) =>
        summarize(results.eventline.map((r, i) => ratio(results[of][i]!.durationMs, r.durationMs)));
      const entry: SizeResult = {
        label,
        bytes: size,
        records,
        runs,
        eventline,
        raw,
        fractionOfRaw: fraction('raw'),
      };
      if (shaped) {
        entry.rawShaped = figures('raw-shaped');
        entry.fractionOfRawShaped = fraction('raw-shaped');
      }
      sizes.push(entry);
      progress.line(
        `    ${label}: eventline ${Math.round(eventline.recordsPerSecond.median)} rec/s, peak RSS ${Math.round(eventline.peakRssMb.median)} MB; raw ${Math.round(raw.recordsPerSecond.median)} rec/s`,
      );
    }
  } finally {
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  }
  const result: LargeNdjsonResult = {
    parallelism: options.parallelism,
    batchSize: 25,
    keyTemplate: KEY_TEMPLATE,
    sizes,
  };
  if (sizes.length > 1) {
    result.rssGrowth = ratio(sizes.at(-1)!.eventline.peakRssMb.median, sizes[0]!.eventline.peakRssMb.median);
  }
  return result;
}
