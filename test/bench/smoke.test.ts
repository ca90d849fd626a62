import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BenchResult, runBench } from '../../bench/bench.ts';
import { Progress } from '../../bench/lib/progress.ts';
import { renderSummary } from '../../bench/lib/report.ts';

/**
 * Keeps `npm run bench` from rotting: the smoke profile runs every figure on a few files and small
 * sizes (figure 7 with a few requests per operation, moto_server beside the emulators; figure 8 through
 * the queue path with worker instances). Nothing here asserts a timing; only that every figure is present and made of numbers.
 */
let dir: string;
let result: BenchResult;
let written: BenchResult;

const isNumber = (value: unknown) => typeof value === 'number' && Number.isFinite(value);
const summaryOk = (summary: { median: number; min: number; max: number; runs: number[] }) =>
  isNumber(summary.median) &&
  isNumber(summary.min) &&
  isNumber(summary.max) &&
  summary.runs.length > 0 &&
  summary.runs.every(isNumber);

beforeAll(async () => {
  // Prepare
  dir = await mkdtemp(join(tmpdir(), 'eventline-bench-smoke-'));
  const out = join(dir, 'results.json');
  // Act
  result = await runBench({
    profile: 'smoke',
    figures: [1, 2, 3, 4, 5, 6, 7, 8, 9],
    with1Gb: false,
    out,
    progress: new Progress({ silent: true }),
  });
  written = JSON.parse(await readFile(out, 'utf8')) as BenchResult;
}, 360_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('npm run bench (smoke profile)', () => {
  it('writes the same result it returns, with the machine it ran on', () => {
    expect(written).toEqual(result);
    expect(written.machine.node).toBe(process.version);
    expect(written.machine.host.cores).toBeGreaterThan(0);
  });

  it('figures 1 and 2: files/s and latencies for eventline, the seed baseline and the raw limit', () => {
    const e2e = written.figures.endToEnd!;
    for (const id of ['eventline', 'baseline', 'raw'] as const) {
      const v = e2e.variants[id]!;
      expect(summaryOk(v.filesPerSecond), id).toBe(true);
      expect(summaryOk(v.burstLatencyP50Ms) && summaryOk(v.burstLatencyP99Ms), id).toBe(true);
      expect(summaryOk(v.unloadedLatencyP50Ms) && summaryOk(v.unloadedLatencyP99Ms), id).toBe(true);
      expect(isNumber(v.handlerMs.p50) && isNumber(v.handlerMs.mean), id).toBe(true);
      expect(v.failedInvocations, id).toBe(0);
    }
    expect(summaryOk(e2e.speedupVsBaseline!)).toBe(true);
    expect(summaryOk(e2e.fractionOfRaw!)).toBe(true);
  });

  it('figure 3: records/s, peak RSS and write requests per record beside the raw loop', () => {
    const size = written.figures.largeNdjson!.sizes[0]!;
    expect(size.records).toBeGreaterThan(100);
    for (const variant of [size.eventline, size.raw, size.rawShaped!]) {
      expect(summaryOk(variant.recordsPerSecond)).toBe(true);
      expect(summaryOk(variant.peakRssMb)).toBe(true);
      expect(isNumber(variant.writeRequestsPerRecord)).toBe(true);
    }
    expect(summaryOk(size.fractionOfRaw)).toBe(true);
  });

  it('figure 9: the log and parquet decoders beside raw loops, the same records on both sides', () => {
    const formats = written.figures.decodeFormats!.formats;
    expect(formats.map((f) => f.format)).toEqual(['log', 'parquet']);
    for (const f of formats) {
      expect(f.records, f.format).toBeGreaterThan(1000);
      expect(
        summaryOk(f.eventlinePerSecond) && summaryOk(f.rawPerSecond) && summaryOk(f.ratio),
        f.format,
      ).toBe(true);
    }
  });

  it('figure 4: bundle sizes and cold inits of eventline, the naive build and an empty node', () => {
    const bundle = written.figures.bundle!;
    expect(bundle.entries.map((e) => e.name)).toEqual(['empty', 'naive', 'eventline']);
    for (const entry of bundle.entries) expect(summaryOk(entry.initMs), entry.name).toBe(true);
    expect(bundle.entries[1]!.bytes).toBeGreaterThan(0);
    expect(bundle.entries[2]!.bytes).toBeGreaterThan(0);
    expect(isNumber(bundle.sizeRatio)).toBe(true);
    expect(summaryOk(bundle.initRatio)).toBe(true);
  });

  it('figure 5: requests per file by service for each handler, and per record', () => {
    const requests = written.figures.requests!;
    for (const id of ['eventline', 'baseline', 'raw']) {
      expect(requests.perFile[id]?.['s3:GET'], id).toBe(1);
      expect(requests.perFile[id]?.['sns:Publish'], id).toBe(1);
      expect(Object.values(requests.perFile[id]!).every(isNumber), id).toBe(true);
    }
    expect(isNumber(requests.perRecord!.eventline['dynamodb:BatchWriteItem'])).toBe(true);
  });

  it('figure 6: a cost per million files for eventline and the baseline, line by line', () => {
    const cost = written.figures.cost!;
    for (const estimate of [cost.eventline, cost.baseline]) {
      expect(estimate.lines.length).toBeGreaterThan(3);
      expect(estimate.lines.every((l) => isNumber(l.perFile) && isNumber(l.usdPerMillion))).toBe(true);
      expect(estimate.usdPerMillionFiles).toBeGreaterThan(0);
    }
    expect(isNumber(cost.ratio)).toBe(true);
  });

  it('figure 6, notifications: what each notify policy publishes, every outcome counted once, priced', () => {
    const notify = written.figures.notifyPolicies!;
    const by = Object.fromEntries(notify.policies.map((p) => [p.policy, p]));
    expect(Object.keys(by)).toEqual(['each', 'failures', 'none', 'digest']);
    for (const p of notify.policies) {
      expect(p.countedOnce, `${p.policy}: ${p.problems.join('; ')}`).toBe(true);
      expect(isNumber(p.usdPerMillionFiles)).toBe(true);
    }
    expect(by.each?.notificationsPerThousandFiles).toBe(1000);
    expect(by.failures?.notifications).toBe(by.failures?.failed);
    expect(by.none?.notifications).toBe(0);
    expect(by.none?.usdPerMillionFiles).toBeLessThan(by.each?.usdPerMillionFiles ?? 0);
    // A digest: at least one, far fewer than the files (each file in exactly one window: countedOnce).
    expect(by.digest?.notifications).toBeGreaterThan(0);
    expect(by.digest?.notifications).toBeLessThan(by.digest?.files ?? 0);
  });

  it('figure 7: requests/s of every emulator operation beside moto_server, one and 8 in flight', () => {
    const emulators = written.figures.emulators!;
    const operations = emulators.operations.map((o) => `${o.operation}@${o.concurrency}`);
    for (const op of [
      's3:PutObject',
      's3:GetObject',
      's3:ListObjectsV2',
      'dynamodb:PutItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:BatchWriteItem',
      'sns:Publish',
      'sqs:SendMessage',
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
    ]) {
      expect(operations).toContain(`${op}@1`);
      expect(operations).toContain(`${op}@8`);
    }
    for (const o of emulators.operations) {
      const at = `${o.operation}@${o.concurrency}`;
      expect(summaryOk(o.eventline) && summaryOk(o.moto) && summaryOk(o.ratio), at).toBe(true);
      expect(o.failed.eventline, `${at}: ${o.firstErrors?.eventline}`).toBe(0);
    }
    expect(written.goals.some((g) => g.figure === 7)).toBe(true);
  });

  it('figure 8: the queue path beside the direct in-process path, with the CPU of main process and instances', () => {
    const figure = written.figures.queuePath!;
    expect(figure.settings.batchSize).toBeGreaterThan(0);
    for (const id of ['queue-workers', 'direct-in-process'] as const) {
      const path = figure.paths[id]!;
      expect(summaryOk(path.filesPerSecond), id).toBe(true);
      expect(summaryOk(path.burstLatencyP50Ms) && summaryOk(path.burstLatencyP95Ms), id).toBe(true);
      expect(summaryOk(path.unloadedLatencyP50Ms), id).toBe(true);
      expect(path.failedInvocations, id).toBe(0);
      expect(path.requestsPerFile['s3:PUT'], id).toBe(1);
      expect(path.requestsPerFile['s3:GET'], id).toBe(1);
      expect(path.requestsPerFile['sns:Publish'], id).toBe(1);
      const cpu = path.cpu;
      for (const summary of [
        cpu.mainS,
        cpu.instancesS!,
        cpu.mainCores,
        cpu.instancesCores!,
        cpu.totalCores,
        cpu.cpuMsPerFile,
      ])
        expect(summaryOk(summary), id).toBe(true);
      expect(summaryOk(cpu.instancesShare!) && summaryOk(cpu.mainShare), id).toBe(true);
      expect(cpu.mainS.median, id).toBeGreaterThan(0);
    }
    // The queue path: messages through SQS on the edge, handler CPU in worker processes.
    const queue = figure.paths['queue-workers']!;
    expect(queue.requestsPerFileByService.sqs).toBeGreaterThan(0);
    expect(queue.batches!.count).toBeGreaterThan(0);
    expect(queue.cpu.instancesSeen).toBeGreaterThan(0);
    expect(queue.cpu.instancesS!.median).toBeGreaterThan(0);
    expect(queue.cpu.instancesShare!.median).toBeGreaterThan(0);
    // The direct in-process path: no instance, every CPU second in this process.
    const direct = figure.paths['direct-in-process']!;
    expect(direct.requestsPerFileByService.sqs ?? 0).toBe(0);
    expect(direct.cpu.instancesSeen).toBe(0);
    expect(direct.cpu.instancesS!.median).toBe(0);
    expect(summaryOk(figure.queueVsDirect!)).toBe(true);
  });

  it('renders every figure in the summary', () => {
    const summary = renderSummary(written);
    for (const heading of [
      'Figures 1 & 2',
      'Figure 3',
      'Figure 4',
      'Figure 5',
      'Figure 6',
      'Figure 7',
      'Figure 8',
    ]) {
      expect(summary).toContain(heading);
    }
  });
});
