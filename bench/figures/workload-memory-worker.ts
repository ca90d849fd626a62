/**
 * Figure 10's child process: eventline's handler processing one large object of a workload format
 * (`log`, `parquet`, `object`), alone in its process so that its peak RSS is the pipeline's (the
 * emulators run in the parent), or a raw GetObject + SHA-256 loop over the same object. Bundled by
 * esbuild and run by plain `node`, as Lambda runs the bundled handler. Reads its job as JSON in
 * argv[2]; prints one JSON line with the result.
 */
import { createHash } from 'node:crypto';
import { getHeapSpaceStatistics } from 'node:v8';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createClients } from '@eventline/aws/sdk';
import { parseConfig } from '@eventline/config';
import type { Outcome } from '@eventline/core';
import { createHandler, createPipeline } from '@eventline/lambda';
import { s3EventRecord } from '@eventline/local/s3-events';
import { measure } from '../lib/child.ts';

export type MemoryWorkload = 'log' | 'parquet' | 'object';
export type MemoryMode = 'eventline' | 'raw-sha256';

export interface MemoryJob {
  workload: MemoryWorkload;
  mode: MemoryMode;
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  bucket: string;
  key: string;
  size: number;
  eTag: string;
  tableName: string;
  topicArn: string;
  /** Also force a GC every 0.1 s and keep the largest live size (heap used + external) after it. */
  sampleLive?: boolean;
}

/** What the process held when its RSS was highest (sampled every 50 ms), in MB. */
export interface PeakSplit {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  /** V8's new space (the two semi-spaces) as committed then. */
  newSpace: number;
  external: number;
  arrayBuffers: number;
}

export interface MemoryResult {
  workload: MemoryWorkload;
  mode: MemoryMode;
  /** Records the decoder read (log, parquet), or 1 (object). */
  records: number;
  durationMs: number;
  startRssMb: number;
  peakRssMb: number;
  cpuMs: number;
  sha256?: string;
  /** With `sampleLive`: the largest heap used + external memory right after a forced GC. */
  liveMb?: number;
  peakSplit?: PeakSplit;
}

const MB = 1024 * 1024;
const SEQUENCER = '0055AED6DCD90281E5';

/**
 * The routes: `log` and `parquet` drop every record in their transform after counting it, so the
 * figure is the read + decode + transform stage's memory at any size (the write stage's is figure
 * 3's, bounded by the batch size and parallelism, not the file); `object` is the uploads recipe's
 * route as it is (one record per object).
 */
function routeFor(workload: MemoryWorkload, counter: { n: number }) {
  const drop = () => {
    counter.n++;
    return null;
  };
  if (workload === 'log')
    return {
      id: 'alb',
      prefix: 'bench-memory/',
      suffix: '.log.gz',
      format: 'log',
      log: { preset: 'alb' },
      transform: drop,
    };
  if (workload === 'parquet')
    return {
      id: 'readings',
      prefix: 'bench-memory/',
      suffix: '.parquet',
      format: 'parquet',
      transform: drop,
    };
  return { id: 'uploads', prefix: 'bench-memory/', suffix: '', format: 'object' };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as MemoryJob;
  const clients = createClients({ endpoint: job.endpoint, region: job.region, credentials: job.credentials });
  let run: () => Promise<{ records: number; sha256?: string }>;
  if (job.mode === 'raw-sha256') {
    run = async () => {
      const response = await clients.s3.send(new GetObjectCommand({ Bucket: job.bucket, Key: job.key }));
      const hash = createHash('sha256');
      for await (const chunk of response.Body as AsyncIterable<Uint8Array>) hash.update(chunk);
      return { records: 1, sha256: hash.digest('hex') };
    };
  } else {
    const counter = { n: 0 };
    const route = routeFor(job.workload, counter);
    const config = parseConfig({ routes: [route] }, 'bench worker config');
    const letters: unknown[] = [];
    const handler = createHandler({
      pipeline: createPipeline({
        config,
        names: { tableName: job.tableName, topicArn: job.topicArn, bucketName: job.bucket },
        clients,
        deadLetters: { send: async (letter) => void letters.push(letter) },
      }),
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    const event = {
      Records: [
        s3EventRecord({
          bucket: job.bucket,
          key: job.key,
          eventName: 'ObjectCreated:Put',
          size: job.size,
          eTag: job.eTag,
          sequencer: SEQUENCER,
          region: job.region,
          configurationId: route.id,
        }),
      ],
    };
    run = async () => {
      const result = (await handler(event)) as { outcomes: Outcome[] };
      const outcome = result.outcomes[0];
      if (outcome?.status !== 'processed') {
        throw new Error(`eventline did not process the file: ${JSON.stringify({ outcome, letters })}`);
      }
      return { records: job.workload === 'object' ? (outcome.counts?.written ?? 0) : counter.n };
    };
  }
  let liveMb: number | undefined;
  const gc = (globalThis as { gc?: () => void }).gc;
  const sample = () => {
    if (!job.sampleLive || !gc) return;
    gc();
    const m = process.memoryUsage();
    liveMb = Math.max(liveMb ?? 0, (m.heapUsed + m.external) / MB);
  };
  const sampler = job.sampleLive ? setInterval(sample, 100) : undefined;
  let peakSplit: PeakSplit | undefined;
  const split = () => {
    const m = process.memoryUsage();
    if (peakSplit && m.rss / MB <= peakSplit.rss) return;
    const space = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    peakSplit = {
      rss: m.rss / MB,
      heapTotal: m.heapTotal / MB,
      heapUsed: m.heapUsed / MB,
      newSpace: (space?.space_size ?? 0) / MB,
      external: m.external / MB,
      arrayBuffers: m.arrayBuffers / MB,
    };
  };
  const splitter = setInterval(split, 50);
  const measured = await measure(async () => {
    const done = await run().finally(() => {
      clearInterval(sampler);
      clearInterval(splitter);
    });
    sample();
    return done;
  });
  const { records, sha256 } = measured.value;
  const result: MemoryResult = {
    workload: job.workload,
    mode: job.mode,
    records,
    durationMs: measured.durationMs,
    startRssMb: measured.startRssMb,
    peakRssMb: measured.peakRssMb,
    cpuMs: measured.cpuMs,
    ...(sha256 ? { sha256 } : {}),
    ...(liveMb !== undefined ? { liveMb } : {}),
    ...(peakSplit ? { peakSplit } : {}),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  for (const client of [clients.s3, clients.dynamodb, clients.sns, clients.sqs]) client.destroy();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
