import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { concurrencyBound, parseConfig } from '@eventline/config';
import type { BatchReport, InvocationReport, InvocationResult } from '@eventline/lambda-emulator';
import { LocalStack } from '@eventline/local';
import { CpuMeter, type CpuWindow } from '../lib/cpu.ts';
import { orderJson } from '../lib/files.ts';
import type { Progress } from '../lib/progress.ts';
import { quantile, ratio, round, type Summary, summarize } from '../lib/stats.ts';
import { BenchSubscriber } from '../lib/subscriber.ts';

/**
 * Figure 8 (issue 14's "Measured by"): figure 1's small JSON files through the local stack as
 * `npm start` runs it by default — S3 → the ingest queue (SQS on the edge) → the local event source
 * mapping (batches of `trigger.batchSize`, `trigger.maxConcurrency` pollers) → function instances as
 * worker processes loading the deployed esbuild bundle — beside the path figures 1 and 2 measure
 * (direct mode, the handler in this process behind the asynchronous invoker), with the same files,
 * the same subscriber and the same CPU accounting. Both stacks run side by side in this process;
 * bursts alternate between them in an order that rotates run by run, and ratios are per run.
 *
 * Per burst: files/s, put → notification latency, edge requests per file by service, and where the
 * CPU went (this process: emulators, edge, event source or invoker, and the bench's uploader and
 * subscriber; the instances; other children) as shares and as cores used (CPU s ÷ wall s). After
 * each burst every file's ledger entry must say PROCESSED.
 */

export type PathId = 'queue-workers' | 'direct-in-process';

const TAGS: Record<PathId, string> = { 'queue-workers': 'qw', 'direct-in-process': 'di' };

export interface QueuePathOptions {
  files: number;
  runs: number;
  /** Files put one at a time per path, for the unloaded latency. */
  sequentialFiles: number;
  putConcurrency: number;
  warmupFiles: number;
  paths: PathId[];
  progress: Progress;
}

export interface CpuShare {
  /** CPU seconds over the bursts of a run, summed over the processes of each kind. */
  mainS: Summary;
  instancesS?: Summary;
  otherChildrenS?: Summary;
  /** Cores in use on average during a burst: CPU s ÷ wall s, per kind and in all. */
  mainCores: Summary;
  instancesCores?: Summary;
  totalCores: Summary;
  /** Share of this pipeline's CPU (main + instances + other children) spent in instances. */
  instancesShare?: Summary;
  mainShare: Summary;
  /** Every process on the machine (other users' included), as cores: how loaded the machine was. */
  machineBusyCores?: Summary;
  /** CPU milliseconds per file, all processes of the pipeline together (main + instances + other children). */
  cpuMsPerFile: Summary;
  /** Instances alive during a burst (max over runs), and those that exited inside one (all runs). */
  instancesSeen: number;
  instancesExited: number;
}

export interface PathResult {
  filesPerSecond: Summary;
  burstLatencyP50Ms: Summary;
  burstLatencyP95Ms: Summary;
  burstLatencyP99Ms: Summary;
  unloadedLatencyP50Ms: Summary;
  unloadedLatencyP95Ms: Summary;
  /** Edge requests per file by service:operation over all bursts (the uploader's s3:PUT included). */
  requestsPerFile: Record<string, number>;
  /** The same summed by service (s3, sqs, dynamodb, sns, ...). */
  requestsPerFileByService: Record<string, number>;
  cpu: CpuShare;
  /** Invocations that failed (queue mode: failed or partial batches; direct mode: thrown invocations). */
  failedInvocations: number;
  /** Queue mode: batches run during the bursts (not the unloaded files) and their mean size. */
  batches?: { count: number; meanSize: number };
  coldStarts?: number;
}

export interface QueuePathResult {
  files: number;
  runs: number;
  sequentialFiles: number;
  putConcurrency: number;
  /** The settings the default stack ran with. */
  settings: {
    batchSize: number;
    maxBatchingWindowSeconds: number;
    maxConcurrency: number;
    reservedConcurrency: number;
    memoryMb: number;
  };
  paths: Partial<Record<PathId, PathResult>>;
  /** queue-workers files/s ÷ direct-in-process files/s, run by run. */
  queueVsDirect?: Summary;
}

interface Running {
  id: PathId;
  stack: LocalStack;
  dataDir: string;
  meter: CpuMeter;
  failures: number;
  batches: number;
  batchMessages: number;
  coldStarts: number;
}

interface Burst {
  filesPerSecond: number;
  latencies: number[];
  counts: Record<string, number>;
  cpu: CpuWindow;
  /** Queue mode: batches the event source ran for this burst, and the messages in them. */
  batches: number;
  batchMessages: number;
}

export async function runQueuePath(options: QueuePathOptions): Promise<QueuePathResult> {
  const { progress } = options;
  const subscriber = await BenchSubscriber.start();
  const running: Running[] = [];
  try {
    for (const id of options.paths) running.push(await startPath(id, subscriber));
    const config = running[0]!.stack.config;

    const bodies = Array.from({ length: options.files }, (_, i) =>
      orderJson(`ord-XX-00-${String(i).padStart(6, '0')}`, i),
    );
    const bodyOf = (i: number, tag: string) =>
      bodies[i % bodies.length]!.replace('ord-XX-00-', `ord-${tag}-`);
    const put = (path: Running, key: string, body: string) =>
      path.stack.clients.s3.send(
        new PutObjectCommand({
          Bucket: path.stack.config.bucket.name,
          Key: key,
          Body: body,
          ContentType: 'application/json',
        }),
      );

    /** Every file's ledger entry, read after the burst (outside its counts and its CPU window). */
    const checkLedger = async (path: Running, keys: string[]) => {
      const bucket = path.stack.config.bucket.name;
      const states = await Promise.all(keys.map((key) => path.stack.ledger.getFile(bucket, key)));
      const unfinished = keys.filter((_, i) => states[i]?.status !== 'PROCESSED');
      if (unfinished.length > 0)
        throw new Error(
          `figure 8 (${path.id}): ${unfinished.length} of ${keys.length} files not PROCESSED in the ledger after their notification (first: ${unfinished[0]}, status ${states[keys.indexOf(unfinished[0]!)]?.status ?? 'absent'})`,
        );
    };

    const burst = async (path: Running, tag: string, count: number, label: string): Promise<Burst> => {
      await path.stack.idle();
      const keys = Array.from(
        { length: count },
        (_, i) => `incoming/bench/${tag}/${String(i).padStart(6, '0')}.json`,
      );
      const started = new Map<string, number>();
      const arrived = subscriber.waitFor(keys, 60_000 + count * 200, (n) =>
        progress.update(`${label}: ${path.id}`, n, count),
      );
      path.stack.edge.resetCounts();
      const batchesBefore = { batches: path.batches, messages: path.batchMessages };
      path.meter.start();
      const first = performance.now();
      let next = 0;
      const uploader = async () => {
        while (next < count) {
          const i = next++;
          const key = keys[i]!;
          started.set(key, performance.now());
          await put(path, key, bodyOf(i, tag));
        }
      };
      await Promise.all(Array.from({ length: options.putConcurrency }, uploader));
      await arrived;
      await path.stack.idle();
      const cpu = path.meter.stop();
      const counts = path.stack.edge.counts();
      const last = Math.max(...keys.map((k) => subscriber.arrivals.get(k)!));
      await checkLedger(path, keys);
      return {
        filesPerSecond: (count / (last - first)) * 1000,
        latencies: keys.map((k) => subscriber.arrivals.get(k)! - started.get(k)!),
        counts,
        cpu,
        batches: path.batches - batchesBefore.batches,
        batchMessages: path.batchMessages - batchesBefore.messages,
      };
    };

    const sequential = async (path: Running, tag: string, count: number): Promise<number[]> => {
      await path.stack.idle();
      const latencies: number[] = [];
      for (let i = 0; i < count; i++) {
        const key = `incoming/bench/${tag}/${String(i).padStart(6, '0')}.json`;
        const arrived = subscriber.waitFor([key], 30_000);
        const begun = performance.now();
        await put(path, key, bodyOf(i, tag));
        await arrived;
        latencies.push(subscriber.arrivals.get(key)! - begun);
        await path.stack.idle();
        progress.update(`unloaded: ${path.id}`, i + 1, count);
      }
      await checkLedger(
        path,
        latencies.map((_, i) => `incoming/bench/${tag}/${String(i).padStart(6, '0')}.json`),
      );
      return latencies;
    };

    const tagOf = (path: Running, phase: string, run: number) =>
      `${TAGS[path.id]}-${phase}${String(run).padStart(2, '0')}`;

    progress.update('warming up (cold starts)');
    for (const path of running) await burst(path, tagOf(path, 'w', 0), options.warmupFiles, 'warm-up');
    for (const path of running) {
      path.failures = 0;
      path.batches = 0;
      path.batchMessages = 0;
      path.coldStarts = 0;
    }

    const bursts = new Map<PathId, Burst[]>(running.map((p) => [p.id, []]));
    const unloaded = new Map<PathId, number[][]>(running.map((p) => [p.id, []]));
    for (let run = 0; run < options.runs; run++) {
      const order = running.map((_, i) => running[(i + run) % running.length]!);
      for (const path of order)
        bursts
          .get(path.id)!
          .push(await burst(path, tagOf(path, 'b', run), options.files, `burst ${run + 1}/${options.runs}`));
      for (const path of order) {
        const perRun = Math.ceil(options.sequentialFiles / options.runs);
        unloaded.get(path.id)!.push(await sequential(path, tagOf(path, 's', run), perRun));
      }
    }

    const paths: Partial<Record<PathId, PathResult>> = {};
    for (const path of running) {
      const own = bursts.get(path.id)!;
      const counts: Record<string, number> = {};
      for (const b of own) for (const [op, n] of Object.entries(b.counts)) counts[op] = (counts[op] ?? 0) + n;
      const totalFiles = own.length * options.files;
      const requestsPerFile = Object.fromEntries(
        Object.entries(counts)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([op, n]) => [op, round(n / totalFiles)]),
      );
      const byService: Record<string, number> = {};
      for (const [op, n] of Object.entries(counts)) {
        const service = op.split(':')[0]!;
        byService[service] = (byService[service] ?? 0) + n;
      }
      paths[path.id] = {
        filesPerSecond: summarize(own.map((b) => b.filesPerSecond)),
        burstLatencyP50Ms: summarize(own.map((b) => quantile(b.latencies, 0.5))),
        burstLatencyP95Ms: summarize(own.map((b) => quantile(b.latencies, 0.95))),
        burstLatencyP99Ms: summarize(own.map((b) => quantile(b.latencies, 0.99))),
        unloadedLatencyP50Ms: summarize(unloaded.get(path.id)!.map((l) => quantile(l, 0.5))),
        unloadedLatencyP95Ms: summarize(unloaded.get(path.id)!.map((l) => quantile(l, 0.95))),
        requestsPerFile,
        requestsPerFileByService: Object.fromEntries(
          Object.entries(byService).map(([service, n]) => [service, round(n / totalFiles)]),
        ),
        cpu: cpuShare(
          own.map((b) => b.cpu),
          options.files,
        ),
        failedInvocations: path.failures,
        ...(path.stack.pool
          ? {
              batches: {
                count: own.reduce((sum, b) => sum + b.batches, 0),
                meanSize: round(
                  own.reduce((sum, b) => sum + b.batchMessages, 0) /
                    Math.max(
                      1,
                      own.reduce((sum, b) => sum + b.batches, 0),
                    ),
                ),
              },
              coldStarts: path.coldStarts,
            }
          : {}),
      };
    }
    const queue = bursts.get('queue-workers');
    const direct = bursts.get('direct-in-process');
    return {
      files: options.files,
      runs: options.runs,
      sequentialFiles: options.sequentialFiles,
      putConcurrency: options.putConcurrency,
      settings: {
        batchSize: config.trigger.batchSize,
        maxBatchingWindowSeconds: config.trigger.maxBatchingWindowSeconds,
        maxConcurrency: config.trigger.maxConcurrency,
        reservedConcurrency: concurrencyBound(config).limit,
        memoryMb: config.function.memoryMb,
      },
      paths,
      ...(queue && direct
        ? {
            queueVsDirect: summarize(queue.map((b, i) => ratio(b.filesPerSecond, direct[i]!.filesPerSecond))),
          }
        : {}),
    };
  } finally {
    for (const path of running) {
      await path.stack.stop();
      await rm(path.dataDir, { recursive: true, force: true });
    }
    await subscriber.close();
  }
}

/**
 * `queue-workers`: the stack exactly as `npm start` starts it from the default config (queue mode,
 * worker instances; no source watching, which only rebuilds). `direct-in-process`: figure 1's path.
 */
async function startPath(id: PathId, subscriber: BenchSubscriber): Promise<Running> {
  const dataDir = await mkdtemp(join(tmpdir(), `eventline-bench-${id}-`));
  const config = parseConfig(
    {
      local: { port: 0, dataDir },
      alarms: { notify: 'nowhere' },
      ...(id === 'direct-in-process' ? { trigger: { mode: 'direct' } } : {}),
    },
    'bench config',
  );
  const stack = await LocalStack.start(
    id === 'direct-in-process'
      ? { config, dataDir, port: 0, functionRuntime: 'in-process' }
      : { config, dataDir, port: 0 },
  );
  if (id === 'queue-workers' && (!stack.eventSource || !stack.pool))
    throw new Error('figure 8: the default stack did not start in queue mode with worker instances');
  const path: Running = {
    id,
    stack,
    dataDir,
    meter: new CpuMeter(stack.pool),
    failures: 0,
    batches: 0,
    batchMessages: 0,
    coldStarts: 0,
  };
  stack.invoker.on('result', (result: InvocationResult) => {
    if (!result.ok) path.failures += 1;
  });
  stack.eventSource?.on('batch', (report: BatchReport) => {
    path.batches += 1;
    path.batchMessages += report.size;
    if (report.outcome !== 'ok') path.failures += 1;
  });
  stack.pool?.on('report', (report: InvocationReport) => {
    if (report.cold) path.coldStarts += 1;
  });
  await stack.sns.subscribe(stack.names.topicArn, 'http', subscriber.url);
  await subscriber.waitForConfirmation();
  subscriber.confirmations = 0;
  return path;
}

function cpuShare(windows: CpuWindow[], files: number): CpuShare {
  const proc = windows.every((w) => w.instancesS !== undefined && w.otherChildrenS !== undefined);
  const total = (w: CpuWindow) => w.mainS + (w.instancesS ?? 0) + (w.otherChildrenS ?? 0);
  const machine = windows.every((w) => w.machineBusyS !== undefined);
  return {
    mainS: summarize(windows.map((w) => w.mainS)),
    ...(proc
      ? {
          instancesS: summarize(windows.map((w) => w.instancesS!)),
          otherChildrenS: summarize(windows.map((w) => w.otherChildrenS!)),
          instancesCores: summarize(windows.map((w) => w.instancesS! / w.wallS)),
          instancesShare: summarize(windows.map((w) => w.instancesS! / total(w))),
        }
      : {}),
    mainCores: summarize(windows.map((w) => w.mainS / w.wallS)),
    totalCores: summarize(windows.map((w) => total(w) / w.wallS)),
    mainShare: summarize(windows.map((w) => w.mainS / total(w))),
    cpuMsPerFile: summarize(windows.map((w) => (total(w) / files) * 1000)),
    ...(machine ? { machineBusyCores: summarize(windows.map((w) => w.machineBusyS! / w.wallS)) } : {}),
    instancesSeen: Math.max(0, ...windows.map((w) => w.instancesSeen)),
    instancesExited: windows.reduce((sum, w) => sum + w.instancesExited, 0),
  };
}
