import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseConfig } from '@eventline/config';
import userConfig from '../eventline.config.ts';
import { type BundleFigure, runBundle } from './figures/bundle-size.ts';
import { type CostFigure, estimateCost } from './figures/cost.ts';
import { type DecodeFormatsResult, runDecodeFormats } from './figures/decode-formats.ts';
import { type EmulatorsResult, runEmulators } from './figures/emulators.ts';
import { type EndToEndResult, runEndToEnd } from './figures/end-to-end.ts';
import { type LargeNdjsonResult, runLargeNdjson } from './figures/large-ndjson.ts';
import { type NotifyPoliciesResult, runNotifyPolicies, withPolicyCosts } from './figures/notify-policies.ts';
import { type OperatorCommandsResult, operatorGoal, runFigure12 } from './figures/operator-commands.ts';
import { type QueuePathResult, runQueuePath } from './figures/queue-path.ts';
import { type RecipesResult, runRecipes } from './figures/recipes.ts';
import { runWorkloadMemory, type WorkloadMemoryResult } from './figures/workload-memory.ts';
import { describeMachine, type MachineInfo, machineInfo } from './lib/machine.ts';
import { Progress } from './lib/progress.ts';
import { formatNumber } from './lib/stats.ts';

/**
 * `npm run bench`: the six figures of issue 8, issue 13's figure 7 (the emulators alone beside
 * moto_server) and issue 14's figure 8 (small files through the local queue path, with the CPU of the
 * instances and of the emulators), each beside its baseline measured in the same run.
 * Profiles size the work: `full` (the default, about 15 minutes on 2 cores for figures 1–6, and up
 * to 15 more for figure 7 on a busy machine), `quick`, and `smoke` (seconds; what
 * test/bench/smoke.test.ts runs to keep the bench from rotting).
 */

export type Profile = 'full' | 'quick' | 'smoke';
export type FigureNumber = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12;

export interface BenchOptions {
  profile: Profile;
  figures: FigureNumber[];
  /** Adds the 1 GiB NDJSON file to figure 3 (about an hour on 2 shared cores). */
  with1Gb: boolean;
  /** Overrides figure 3's sizes (MiB). */
  sizesMb?: number[];
  files?: number;
  runs?: number;
  /** Figure 12's ledger size (default: the profile's; 1,000,000 in full). */
  operatorItems?: number;
  out: string;
  progress: Progress;
}

export interface RequestsFigure {
  /** Edge requests per small JSON file, by service:operation (the uploader's s3:PUT included). */
  perFile: Record<string, Record<string, number>>;
  /** Edge requests per NDJSON record on the largest file measured. */
  perRecord?: { file: string; eventline: Record<string, number>; raw: Record<string, number> };
}

export interface BenchResult {
  schema: 1;
  profile: Profile;
  machine: MachineInfo;
  startedAt: string;
  durationS: number;
  figures: {
    endToEnd?: EndToEndResult;
    largeNdjson?: LargeNdjsonResult;
    bundle?: BundleFigure;
    requests?: RequestsFigure;
    cost?: CostFigure;
    /** Figure 6, notifications: per notify policy, what 1,000 small IoT files publish and cost. */
    notifyPolicies?: NotifyPoliciesResult;
    emulators?: EmulatorsResult;
    queuePath?: QueuePathResult;
    /** Figure 9: the log and parquet decoders beside raw loops with the same libraries. */
    decodeFormats?: DecodeFormatsResult;
    /** Figure 10: peak RSS of the handler on small and large log, Parquet and `object` files. */
    workloadMemory?: WorkloadMemoryResult;
    /** Figure 11: each recipe on its own generator's sample through a local stack. */
    recipes?: RecipesResult;
    /** Figure 12: the operator's commands on a big ledger, beside a full Scan. */
    operatorCommands?: OperatorCommandsResult;
  };
  goals: Array<{ figure: FigureNumber; goal: string; measured: string; met: boolean | null }>;
}

interface ProfileSettings {
  files: number;
  runs: number;
  sequentialFiles: number;
  warmupFiles: number;
  putConcurrency: number;
  sizesMb: number[];
  runsFor(sizeMb: number): number;
  shapedSizesMb: number[];
  bundleRuns: number;
  bundleVariants: boolean;
  /** Figure 7: requests per measurement, and rounds. */
  emulatorRequests: number;
  emulatorRounds: number;
  /** Figure 9: ALB log lines, Parquet rows, runs. */
  formatLogLines: number;
  formatParquetRows: number;
  formatRuns: number;
  /** Figure 10: sizes in MB (small, large) per format, runs at each. */
  memoryLogMb: number[];
  memoryParquetMb: number[];
  memoryObjectMb: number[];
  memoryRuns: [number, number];
  /** Figure 11: the samples' scale (CSV rows, log records per file, readings per file) and runs. */
  recipeScale: number;
  recipeRuns: number;
}

const PROFILES: Record<Profile, ProfileSettings> = {
  full: {
    files: 600,
    runs: 5,
    sequentialFiles: 100,
    warmupFiles: 30,
    putConcurrency: 8,
    sizesMb: [10, 100],
    runsFor: (mb) => (mb <= 10 ? 3 : 1),
    shapedSizesMb: [10],
    bundleRuns: 21,
    bundleVariants: true,
    emulatorRequests: 300,
    emulatorRounds: 5,
    formatLogLines: 200_000,
    formatParquetRows: 200_000,
    formatRuns: 5,
    memoryLogMb: [10, 100, 1000],
    memoryParquetMb: [10, 100, 1000],
    memoryObjectMb: [10, 5000],
    memoryRuns: [3, 2],
    recipeScale: 2000,
    recipeRuns: 3,
  },
  quick: {
    files: 150,
    runs: 3,
    sequentialFiles: 30,
    warmupFiles: 10,
    putConcurrency: 8,
    sizesMb: [10],
    runsFor: () => 1,
    shapedSizesMb: [10],
    bundleRuns: 7,
    bundleVariants: true,
    emulatorRequests: 100,
    emulatorRounds: 3,
    formatLogLines: 50_000,
    formatParquetRows: 50_000,
    formatRuns: 3,
    memoryLogMb: [10, 200],
    memoryParquetMb: [10, 200],
    memoryObjectMb: [10, 1000],
    memoryRuns: [2, 1],
    recipeScale: 1000,
    recipeRuns: 2,
  },
  smoke: {
    files: 6,
    runs: 2,
    sequentialFiles: 2,
    warmupFiles: 2,
    putConcurrency: 4,
    sizesMb: [0.25],
    runsFor: () => 1,
    shapedSizesMb: [0.25],
    bundleRuns: 2,
    bundleVariants: false,
    emulatorRequests: 8,
    emulatorRounds: 2,
    formatLogLines: 2_000,
    formatParquetRows: 2_000,
    formatRuns: 2,
    memoryLogMb: [1, 4],
    memoryParquetMb: [1, 4],
    memoryObjectMb: [1, 4],
    memoryRuns: [1, 1],
    recipeScale: 50,
    recipeRuns: 1,
  },
};

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const settings = PROFILES[options.profile];
  const { progress } = options;
  const wants = (...figures: FigureNumber[]) => figures.some((f) => options.figures.includes(f));
  const started = Date.now();
  const machine = machineInfo();
  for (const line of describeMachine(machine)) progress.line(line);
  const config = parseConfig(userConfig);
  const result: BenchResult = {
    schema: 1,
    profile: options.profile,
    machine,
    startedAt: new Date(started).toISOString(),
    durationS: 0,
    figures: {},
    goals: [],
  };

  if (wants(1, 2, 5, 6)) {
    progress.begin(
      'Figures 1 & 2: end to end, small JSON files (eventline, seed baseline, seed hardened the standard way, raw limit, raw with eventline’s ledger calls)',
    );
    const e2e = await runEndToEnd({
      files: options.files ?? settings.files,
      runs: options.runs ?? settings.runs,
      sequentialFiles: settings.sequentialFiles,
      putConcurrency: settings.putConcurrency,
      warmupFiles: settings.warmupFiles,
      variants: ['eventline', 'baseline', 'hardened', 'raw', 'raw-ledger'],
      progress,
    });
    result.figures.endToEnd = e2e;
    const v = e2e.variants;
    progress.done(
      `files/s: eventline ${fmt(v.eventline?.filesPerSecond.median)}, baseline ${fmt(v.baseline?.filesPerSecond.median)}, hardened seed ${fmt(v.hardened?.filesPerSecond.median)}, raw ${fmt(v.raw?.filesPerSecond.median)}`,
    );
  }

  if (wants(8)) {
    progress.begin(
      'Figure 8: small JSON files through the local queue path (S3 → SQS → event source → worker instances) beside the direct in-process path, with the CPU of each process',
    );
    const queuePath = await runQueuePath({
      files: options.files ?? settings.files,
      runs: options.runs ?? settings.runs,
      sequentialFiles: settings.sequentialFiles,
      putConcurrency: settings.putConcurrency,
      warmupFiles: settings.warmupFiles,
      paths: ['queue-workers', 'direct-in-process'],
      progress,
    });
    result.figures.queuePath = queuePath;
    const q = queuePath.paths['queue-workers'];
    progress.done(
      `files/s: queue ${fmt(q?.filesPerSecond.median)}, direct in-process ${fmt(queuePath.paths['direct-in-process']?.filesPerSecond.median)}; instances ${fmt((q?.cpu.instancesShare?.median ?? Number.NaN) * 100, 0)}% of the CPU, ${fmt(q?.cpu.totalCores.median, 2)} cores in use`,
    );
  }

  if (wants(3, 5)) {
    progress.begin('Figure 3: large NDJSON, records/s and peak RSS (eventline vs raw BatchWriteItem loop)');
    const sizes = options.sizesMb ?? [...settings.sizesMb, ...(options.with1Gb ? [1024] : [])];
    result.figures.largeNdjson = await runLargeNdjson({
      sizesMb: sizes,
      runsFor: settings.runsFor,
      parallelism: config.writes.parallelism,
      shapedSizesMb: settings.shapedSizesMb,
      progress,
    });
    progress.done(`${sizes.length} size(s)`);
  }

  if (wants(4)) {
    progress.begin('Figure 4: Lambda bundle size and cold init');
    const bundle = await runBundle({
      runs: settings.bundleRuns,
      variants: settings.bundleVariants,
      progress,
    });
    result.figures.bundle = bundle;
    progress.done(`size ${bundle.sizeRatio}x naive, init ${bundle.initRatio.median}x naive`);
  }

  if (wants(7)) {
    progress.begin('Figure 7: the emulators alone beside moto_server, requests/s per operation');
    const emulators = await runEmulators({
      requests: settings.emulatorRequests,
      rounds: settings.emulatorRounds,
      progress,
    });
    result.figures.emulators = emulators;
    progress.done(
      `weakest: ${emulators.weakest.operation} ×${emulators.weakest.concurrency} at ${fmt(emulators.weakest.ratio, 2)}x moto`,
    );
  }

  if (wants(9)) {
    progress.begin('Figure 9: log and Parquet decoding, records/s beside a raw loop with the same library');
    const formats = await runDecodeFormats({
      logLines: settings.formatLogLines,
      parquetRows: settings.formatParquetRows,
      runs: settings.formatRuns,
      progress,
    });
    result.figures.decodeFormats = formats;
    progress.done(formats.formats.map((f) => `${f.format} ${fmt(f.ratio.median, 2)}x raw`).join(', '));
  }

  if (wants(10)) {
    progress.begin('Figure 10: peak RSS of the handler on small and large log, Parquet and object files');
    const memory = await runWorkloadMemory({
      logMb: settings.memoryLogMb,
      parquetMb: settings.memoryParquetMb,
      objectMb: settings.memoryObjectMb,
      runsSmall: settings.memoryRuns[0],
      runsLarge: settings.memoryRuns[1],
      // Lambda's heap flags for the default function.memoryMb, as `npm start`'s instances get them.
      memoryMb: parseConfig({}, 'bench defaults').function.memoryMb,
      progress,
    });
    result.figures.workloadMemory = memory;
    progress.done(memory.workloads.map((w) => `${w.workload} RSS ${fmt(w.rssGrowth, 2)}x`).join(', '));
  }

  if (wants(11)) {
    progress.begin("Figure 11: each recipe on its own generator's sample through a local stack");
    const recipes = await runRecipes({ scale: settings.recipeScale, runs: settings.recipeRuns, progress });
    result.figures.recipes = recipes;
    progress.done(
      recipes.recipes.map((r) => `${r.recipe} ${fmt(r.recordsPerSecond.median, 0)} records/s`).join(', '),
    );
  }

  if (wants(12)) {
    const items = options.operatorItems;
    result.figures.operatorCommands = await runFigure12({
      profile: options.profile,
      progress,
      ...(items ? { items } : {}),
    });
  }

  const e2e = result.figures.endToEnd;
  const ndjson = result.figures.largeNdjson;
  if (wants(5) && (e2e || ndjson)) {
    const requests: RequestsFigure = { perFile: {} };
    for (const [id, variant] of Object.entries(e2e?.variants ?? {}))
      requests.perFile[id] = variant.requestsPerFile;
    const largest = ndjson?.sizes.at(-1);
    if (largest) {
      requests.perRecord = {
        file: `${largest.label} NDJSON (${largest.records} records)`,
        eventline: largest.eventline.requestsPerRecord,
        raw: largest.raw.requestsPerRecord,
      };
    }
    result.figures.requests = requests;
  }
  if (wants(6) && e2e) {
    const cost = estimateCost(e2e, config);
    if (cost) result.figures.cost = cost;
  }
  if (wants(6)) {
    progress.begin(
      'Figure 6, notifications: small IoT files per notify policy (each, failures, none, a 60 s digest)',
    );
    const notify = await runNotifyPolicies({
      filesPerPolicy: options.profile === 'smoke' ? 50 : options.profile === 'quick' ? 300 : 1000,
      putConcurrency: settings.putConcurrency,
      progress,
      ...(options.profile === 'smoke' ? { digestSeconds: 5 } : {}),
    });
    withPolicyCosts(notify, result.figures.cost);
    result.figures.notifyPolicies = notify;
    progress.done(
      notify.policies
        .map(
          (p) =>
            `${p.policy}: ${fmt(p.notificationsPerThousandFiles)} per 1,000 files${p.countedOnce ? '' : ' (NOT counted once)'}`,
        )
        .join('; '),
    );
  }

  result.goals = goals(result);
  result.durationS = Math.round((Date.now() - started) / 1000);
  await writeJson(options.out, result);
  return result;
}

const fmt = (v: number | undefined, digits = 1) => (v === undefined ? 'n/a' : formatNumber(v, digits));

function goals(result: BenchResult): BenchResult['goals'] {
  const out: BenchResult['goals'] = [];
  const { endToEnd, largeNdjson, bundle, cost, emulators } = result.figures;
  if (endToEnd?.speedupVsBaseline) {
    const x = endToEnd.speedupVsBaseline.median;
    out.push({ figure: 1, goal: 'files/s ≥ 5x the seed baseline', measured: `${fmt(x, 2)}x`, met: x >= 5 });
  }
  if (endToEnd?.speedupVsHardened) {
    const x = endToEnd.speedupVsHardened.median;
    out.push({
      figure: 1,
      goal: 'files/s ≥ 1.0x the seed hardened the standard way',
      measured: `${fmt(x, 2)}x`,
      met: x >= 1,
    });
  }
  const perFile = endToEnd?.variants.eventline?.requestsPerFile;
  if (perFile) {
    const requests = Object.entries(perFile)
      .filter(([op]) => op !== 's3:PUT')
      .reduce((sum, [, n]) => sum + n, 0);
    out.push({
      figure: 5,
      goal: 'requests per new small JSON file ≤ 5 (the upload excluded)',
      measured: fmt(requests, 2),
      met: requests <= 5.05,
    });
  }
  if (endToEnd?.fractionOfRaw) {
    const x = endToEnd.fractionOfRaw.median;
    out.push({
      figure: 2,
      goal: 'files/s ≥ 85% of the raw limit',
      measured: `${fmt(x * 100, 0)}%`,
      met: x >= 0.85,
    });
  }
  if (largeNdjson && largeNdjson.sizes.length > 0) {
    const largest = largeNdjson.sizes.at(-1)!;
    const x = largest.fractionOfRaw.median;
    out.push({
      figure: 3,
      goal: 'records/s ≥ 80% of a raw BatchWriteItem loop',
      measured: `${fmt(x * 100, 0)}% at ${largest.label}`,
      met: x >= 0.8,
    });
    const peak = largest.eventline.peakRssMb.median;
    out.push({
      figure: 3,
      goal: 'peak RSS < 256 MB',
      measured: `${fmt(peak, 0)} MB at ${largest.label}`,
      met: peak < 256,
    });
    if (largeNdjson.rssGrowth !== undefined) {
      out.push({
        figure: 3,
        goal: `peak RSS at ${largest.label} ≤ 1.2x that at ${largeNdjson.sizes[0]!.label}`,
        measured: `${fmt(largeNdjson.rssGrowth, 2)}x`,
        met: largeNdjson.rssGrowth <= 1.2,
      });
    }
    const w = largest.eventline.writeRequestsPerRecord;
    out.push({
      figure: 3,
      goal: 'DynamoDB write requests per record ≤ 0.05',
      measured: fmt(w, 4),
      met: w <= 0.05,
    });
  }
  if (bundle) {
    out.push({
      figure: 4,
      goal: 'bundle size ≤ 0.75x the naive SDK v3 build',
      measured: `${fmt(bundle.sizeRatio, 2)}x`,
      met: bundle.sizeRatio <= 0.75,
    });
    out.push({
      figure: 4,
      goal: 'cold init ≤ 0.75x the naive SDK v3 build',
      measured: `${fmt(bundle.initRatio.median, 2)}x`,
      met: bundle.initRatio.median <= 0.75,
    });
  }
  if (emulators) {
    const below = emulators.operations.filter((o) => o.ratio.median < 2);
    out.push({
      figure: 7,
      goal: 'every emulator operation ≥ 2x moto_server’s requests/s (sequential and 8 in flight)',
      measured: `weakest ${emulators.weakest.operation} ×${emulators.weakest.concurrency}: ${fmt(emulators.weakest.ratio, 2)}x; ${below.length} of ${emulators.operations.length} below 2x`,
      met: below.length === 0,
    });
  }
  for (const f of result.figures.decodeFormats?.formats ?? []) {
    out.push({
      figure: 9,
      goal: `${f.format}: records/s ≥ 0.8x a raw loop with the same library building the same items`,
      measured: `${fmt(f.ratio.median, 2)}x (${f.file})`,
      met: f.ratio.median >= 0.8,
    });
  }
  for (const w of result.figures.workloadMemory?.workloads ?? []) {
    const [small, large] = [w.sizes[0]!, w.sizes.at(-1)!];
    out.push({
      figure: 10,
      goal: `${w.workload}: peak RSS growth ≤ ${w.goalRssGrowth}x from ${small.label} to ${large.label}`,
      measured: `${fmt(w.rssGrowth, 2)}x (${fmt(small.peakRssMb.median, 0)} → ${fmt(large.peakRssMb.median, 0)} MB)${w.rssGrowthFromMiddle ? `; ${fmt(w.rssGrowthFromMiddle, 2)}x from ${w.sizes[1]!.label}` : ''}${w.liveGrowth ? `; live after a GC ${fmt(small.liveMb, 0)} → ${fmt(large.liveMb, 0)} MB` : ''}`,
      met: w.rssGrowth <= w.goalRssGrowth,
    });
    if (large.fractionOfRaw) {
      out.push({
        figure: 10,
        goal: `${w.workload}: throughput ≥ 0.8x a raw GetObject + SHA-256 loop at ${large.label}`,
        measured: `${fmt(large.fractionOfRaw.median, 2)}x (${fmt(large.mbPerSecond.median, 0)} vs ${fmt(large.raw!.mbPerSecond.median, 0)} MB/s)`,
        met: large.fractionOfRaw.median >= 0.8,
      });
    }
  }
  const notify = result.figures.notifyPolicies;
  if (notify) {
    const each = notify.policies.find((p) => p.policy === 'each');
    out.push({
      figure: 6,
      goal: "notify: 'each' publishes one notification per file, 'failures' one per failed file, 'none' none, a 60 s digest at most one a minute; every file's outcome counted once in the ledger (a digest's: in exactly one window, each window published once)",
      measured: notify.policies
        .map(
          (p) =>
            `${p.policy} ${fmt(p.notificationsPerThousandFiles)}/1,000 files (${p.failed} of ${p.files} failed)`,
        )
        .join(', '),
      met:
        notify.policies.every((p) => p.countedOnce) &&
        each?.notificationsPerThousandFiles === 1000 &&
        (notify.policies.find((p) => p.policy === 'digest')?.notifications ?? 0) > 0,
    });
  }
  if (cost) {
    out.push({
      figure: 6,
      goal: 'cost per million files ≤ 1.7x the bare seed',
      measured: `$${fmt(cost.eventline.usdPerMillionFiles, 2)} vs $${fmt(cost.baseline.usdPerMillionFiles, 2)} (${fmt(cost.ratio, 2)}x)`,
      met: cost.ratio <= 1.7,
    });
    if (cost.hardened) {
      const x = cost.eventline.usdPerMillionFiles / cost.hardened.usdPerMillionFiles;
      out.push({
        figure: 6,
        goal: 'cost per million files ≤ 1.0x the seed hardened the standard way',
        measured: `$${fmt(cost.eventline.usdPerMillionFiles, 2)} vs $${fmt(cost.hardened.usdPerMillionFiles, 2)} (${fmt(x, 2)}x)`,
        met: x <= 1,
      });
    }
  }
  if (result.figures.operatorCommands) out.push(operatorGoal(result.figures.operatorCommands));
  return out;
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path.replace(/\.json$/, '')}.tmp.json`;
  await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(temp, path);
}

export { PROFILES, Progress };
