import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip, gunzipSync } from 'node:zlib';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { parseConfig } from '@eventline/config';
import { ensureLedgerTable } from '@eventline/dynamodb-emulator';
import { lambdaNodeFlags } from '@eventline/lambda-emulator';
import { LocalStack } from '@eventline/local';
import { fileWriter, ParquetWriter } from 'hyparquet-writer';
import { securityLogs } from '../../examples/security-logs/generate.ts';
import { bundle } from '../lib/bundle.ts';
import { runChild } from '../lib/child.ts';
import type { Progress } from '../lib/progress.ts';
import { ratio, type Summary, summarize } from '../lib/stats.ts';
import type {
  MemoryJob,
  MemoryMode,
  MemoryResult,
  MemoryWorkload,
  PeakSplit,
} from './workload-memory-worker.ts';

/**
 * Figure 10 (issue 26's memory goals): the peak RSS of eventline's handler, alone in a child process
 * (bundled, run by plain node; the emulators run in the parent), processing one large object of each
 * workload format from the local stack's S3 at a small and a large size:
 * - `log`: a gzip ALB access log (the security-logs recipe's line shapes, repeated; sizes are of the
 *   log text before gzip). Goal: peak RSS flat (≤ 1.1x, the object goal's number) from 10 MB to 1 GB.
 * - `parquet`: sensor readings with a 1 KiB raw frame each, 10,000 rows per row group at every size
 *   (a row group ≈ 10 MB), written streaming by hyparquet-writer. Goal: flat from 10 MB to 1 GB.
 *   hyparquet reads a row group whole: the bound is one row group's column chunks and its decoded rows.
 * - `object`: random bytes, uploaded streaming (never in memory), recorded by the uploads recipe's
 *   route beside a raw GetObject + SHA-256 loop in the same kind of child, runs alternating. Goals: RSS
 *   growth ≤ 1.1x from 10 MB to 5 GB, throughput ≥ 0.8x the raw loop.
 * `log` and `parquet` routes drop every record in their transform (after counting it): this figure is
 * the read + decompress + decode stage, whose memory could grow with the file; the write stage's is
 * figure 3's (batches of 25, bounded by the parallelism, flat from 10 MB to 1 GB of NDJSON).
 * Each large object is deleted from the emulator's disk after its size is measured.
 */

export interface MemorySize {
  label: string;
  bytes: number;
  /** Bytes stored in S3 (the gzip size for `log`). */
  objectBytes: number;
  records: number;
  runs: number;
  peakRssMb: Summary;
  startRssMb: Summary;
  mbPerSecond: Summary;
  /** One more run forcing a GC every 0.1 s: the largest live memory (heap used + external) after one. */
  liveMb?: number;
  /** `object` only: the raw GetObject + SHA-256 loop. */
  raw?: { peakRssMb: Summary; mbPerSecond: Summary };
  /** `object` only: eventline MB/s ÷ raw MB/s, run by run. */
  fractionOfRaw?: Summary;
}

export interface MemoryWorkloadFigure {
  workload: MemoryWorkload;
  what: string;
  sizes: MemorySize[];
  /** Peak RSS at the largest size ÷ at the smallest. */
  rssGrowth: number;
  /** Peak RSS at the largest size ÷ at the second (where a middle size was measured). */
  rssGrowthFromMiddle?: number;
  /** Live memory after a GC at the largest size ÷ at the smallest. */
  liveGrowth?: number;
  goalRssGrowth: number;
}

export interface WorkloadMemoryResult {
  /** The function memory size whose Lambda heap flags the child ran with (0: none). */
  memoryMb: number;
  nodeFlags: string[];
  workloads: MemoryWorkloadFigure[];
}

export interface WorkloadMemoryOptions {
  /** Sizes in MB (10^6 bytes), smallest to largest, per workload. */
  logMb: number[];
  parquetMb: number[];
  objectMb: number[];
  runsSmall: number;
  runsLarge: number;
  /**
   * The function's memory size: the child starts with the heap flags Lambda's Node.js runtime passes
   * for it (lambdaNodeFlags), as the local stack's instances do; 0 runs plain `node` (V8's defaults
   * for this machine, as runs before 2026-12-08 did).
   */
  memoryMb: number;
  progress: Progress;
}

const PREFIX = 'bench-memory/';
const MB = 1e6;

const label = (mb: number) => (mb >= 1000 ? `${mb / 1000} GB` : `${mb} MB`);

/** A gzip ALB log of about `bytes` of text: the recipe's generator's lines, repeated. Returns its lines. */
export async function writeAlbLog(path: string, bytes: number): Promise<number> {
  const block = gunzipSync(securityLogs(5000, 26)[1]!.body);
  const perBlock = 5000;
  const blocks = Math.max(1, Math.round(bytes / block.length));
  async function* body() {
    for (let i = 0; i < blocks; i++) yield block;
  }
  await pipeline(Readable.from(body()), createGzip({ level: 1 }), createWriteStream(path));
  return blocks * perBlock;
}

const SCHEMA = [
  { name: 'schema', num_children: 5 },
  { name: 'device_id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  {
    name: 'ts',
    type: 'INT64',
    logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
    repetition_type: 'REQUIRED',
  },
  { name: 'seq', type: 'INT64', repetition_type: 'REQUIRED' },
  {
    name: 'temperature',
    type: 'INT32',
    converted_type: 'DECIMAL',
    scale: 2,
    precision: 5,
    repetition_type: 'REQUIRED',
  },
  { name: 'frame', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
];
const ROW_GROUP = 10_000;

/** A Parquet file of about `bytes`, one row group of 10,000 readings at a time (never the file in memory). */
export function writeReadingsParquet(path: string, bytes: number): number {
  const perRow = 1024 + 40;
  const groups = Math.max(1, Math.round(bytes / (perRow * ROW_GROUP)));
  const writer = new ParquetWriter({
    writer: fileWriter(path),
    schema: SCHEMA.map((e) => ({ ...e })) as ConstructorParameters<typeof ParquetWriter>[0]['schema'],
  });
  for (let g = 0; g < groups; g++) {
    const rows = Array.from({ length: ROW_GROUP }, (_, i) => g * ROW_GROUP + i);
    writer.write({
      columnData: [
        { name: 'device_id', data: rows.map((i) => `sensor-${String(i % 200).padStart(3, '0')}`) },
        { name: 'ts', data: rows.map((i) => 1_772_359_200_000_000n + BigInt(i) * 1_000n) },
        { name: 'seq', data: rows.map((i) => 9_007_199_254_740_993n + BigInt(i)) },
        { name: 'temperature', data: rows.map((i) => (1650 + ((i * 37) % 900)) / 100) },
        { name: 'frame', data: rows.map(() => randomBytes(512).toString('hex')) },
      ],
      rowGroupSize: ROW_GROUP,
    });
  }
  writer.finish();
  return groups * ROW_GROUP;
}

/** `bytes` of random data (1 MiB of it, repeated with a counter), streamed: never held in memory. */
async function writeObject(path: string, bytes: number): Promise<number> {
  const base = randomBytes(1 << 20);
  async function* body() {
    for (let at = 0, n = 0; at < bytes; at += base.length, n++) {
      const chunk = Buffer.from(base.subarray(0, Math.min(base.length, bytes - at)));
      chunk.writeUInt32BE(n, 0);
      yield chunk;
    }
  }
  await pipeline(Readable.from(body()), createWriteStream(path));
  return 1;
}

const runWorker = (script: string, job: MemoryJob, nodeFlags: readonly string[]) =>
  runChild<MemoryResult>(script, job, {
    what: `memory worker (${job.workload} ${job.mode})`,
    nodeFlags:
      job.sampleLive && !nodeFlags.includes('--expose-gc') ? [...nodeFlags, '--expose-gc'] : nodeFlags,
  });

/** The sampled peak's parts, for the progress lines. */
const splitText = (p: PeakSplit | undefined) =>
  p
    ? `; at the sampled peak ${Math.round(p.rss)} MB: heap ${Math.round(p.heapTotal)} (used ${Math.round(p.heapUsed)}, new space ${Math.round(p.newSpace)}), external ${Math.round(p.external)} (array buffers ${Math.round(p.arrayBuffers)})`
    : '';

const WHAT: Record<MemoryWorkload, string> = {
  log: 'ALB access log, gzip (sizes of the text)',
  parquet: `sensor readings with a 1 KiB frame, ${ROW_GROUP.toLocaleString('en-US')} rows per row group`,
  object: 'random bytes, format object (size, SHA-256, detected type)',
};

export async function runWorkloadMemory(options: WorkloadMemoryOptions): Promise<WorkloadMemoryResult> {
  const { progress } = options;
  const nodeFlags = options.memoryMb > 0 ? lambdaNodeFlags(options.memoryMb) : [];
  const dir = await mkdtemp(join(tmpdir(), 'eventline-bench-memory-'));
  const script = join(dir, 'workload-memory-worker.mjs');
  await bundle(fileURLToPath(new URL('./workload-memory-worker.ts', import.meta.url)), script, {
    minify: false,
    target: `node${process.versions.node.split('.')[0]}`,
  });
  const config = parseConfig({ local: { port: 0, dataDir: join(dir, 'stack') } }, 'bench config');
  const stack = await LocalStack.start({ config, dataDir: join(dir, 'stack'), port: 0 });
  const workloads: MemoryWorkloadFigure[] = [];
  let table = 0;
  try {
    const plan: Array<[MemoryWorkload, number[], string]> = [
      ['log', options.logMb, '.log.gz'],
      ['parquet', options.parquetMb, '.parquet'],
      ['object', options.objectMb, '.bin'],
    ];
    for (const [workload, sizesMb, suffix] of plan) {
      const sizes: MemorySize[] = [];
      for (const [s, mb] of sizesMb.entries()) {
        const name = `${workload} ${label(mb)}`;
        progress.update(`${name}: writing the file`);
        const file = join(dir, `${workload}-${mb}${suffix}`);
        const records =
          workload === 'log'
            ? await writeAlbLog(file, mb * MB)
            : workload === 'parquet'
              ? writeReadingsParquet(file, mb * MB)
              : await writeObject(file, mb * MB);
        const { size } = await stat(file);
        const key = `${PREFIX}${workload}-${mb}mb${suffix}`;
        progress.update(`${name}: uploading ${Math.round(size / MB)} MB`);
        const put = await stack.clients.s3.send(
          new PutObjectCommand({
            Bucket: config.bucket.name,
            Key: key,
            Body: createReadStream(file),
            ContentLength: size,
          }),
        );
        await rm(file);
        const runs = s === sizesMb.length - 1 ? options.runsLarge : options.runsSmall;
        const modes: MemoryMode[] = workload === 'object' ? ['eventline', 'raw-sha256'] : ['eventline'];
        const results: Record<MemoryMode, MemoryResult[]> = { eventline: [], 'raw-sha256': [] };
        for (let run = 0; run < runs; run++) {
          const order = modes.map((_, i) => modes[(i + run) % modes.length]!);
          for (const mode of order) {
            const tableName = `bench-memory-${table++}`;
            await ensureLedgerTable(stack.clients.dynamodb, tableName);
            progress.update(`${name}: run ${run + 1}/${runs}, ${mode}`);
            const result = await runWorker(
              script,
              {
                workload,
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
              },
              nodeFlags,
            );
            if (result.records !== records)
              throw new Error(`${name} ${mode}: read ${result.records} records, the file holds ${records}`);
            results[mode].push(result);
            progress.line(
              `    ${name} ${mode}: ${Math.round(((mb * MB) / MB / result.durationMs) * 1000)} MB/s, ${Math.round(result.durationMs / 1000)} s, peak RSS ${Math.round(result.peakRssMb)} MB (${Math.round(result.startRssMb)} MB at start)${splitText(result.peakSplit)}`,
            );
          }
        }
        let liveMb: number | undefined;
        if (workload !== 'object') {
          progress.update(`${name}: a run sampling live memory after forced GCs`);
          const tableName = `bench-memory-${table++}`;
          await ensureLedgerTable(stack.clients.dynamodb, tableName);
          const sampled = await runWorker(
            script,
            {
              workload,
              mode: 'eventline',
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
              sampleLive: true,
            },
            nodeFlags,
          );
          liveMb = sampled.liveMb;
          progress.line(
            `    ${name} eventline, GC every 0.1 s: live memory at most ${Math.round(liveMb ?? 0)} MB`,
          );
        }
        const own = results.eventline;
        const entry: MemorySize = {
          label: label(mb),
          bytes: mb * MB,
          objectBytes: size,
          records,
          runs,
          peakRssMb: summarize(own.map((r) => r.peakRssMb)),
          startRssMb: summarize(own.map((r) => r.startRssMb)),
          mbPerSecond: summarize(own.map((r) => (mb / r.durationMs) * 1000)),
          ...(liveMb !== undefined ? { liveMb } : {}),
        };
        if (workload === 'object') {
          const raw = results['raw-sha256'];
          entry.raw = {
            peakRssMb: summarize(raw.map((r) => r.peakRssMb)),
            mbPerSecond: summarize(raw.map((r) => (mb / r.durationMs) * 1000)),
          };
          entry.fractionOfRaw = summarize(own.map((r, i) => ratio(raw[i]!.durationMs, r.durationMs)));
        }
        sizes.push(entry);
        // The emulator's copy goes: the 5 GB object would otherwise stay on disk until the end.
        await stack.clients.s3.send(new DeleteObjectCommand({ Bucket: config.bucket.name, Key: key }));
      }
      workloads.push({
        workload,
        what: WHAT[workload],
        sizes,
        rssGrowth: ratio(sizes.at(-1)!.peakRssMb.median, sizes[0]!.peakRssMb.median),
        ...(sizes.length > 2
          ? { rssGrowthFromMiddle: ratio(sizes.at(-1)!.peakRssMb.median, sizes[1]!.peakRssMb.median) }
          : {}),
        ...(sizes[0]!.liveMb && sizes.at(-1)!.liveMb
          ? { liveGrowth: ratio(sizes.at(-1)!.liveMb!, sizes[0]!.liveMb!) }
          : {}),
        // Flat read as the object goal's number.
        goalRssGrowth: 1.1,
      });
    }
  } finally {
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return { memoryMb: options.memoryMb, nodeFlags, workloads };
}
