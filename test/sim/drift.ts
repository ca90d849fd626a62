/**
 * Drift detection between the simulator's tiers: one plan, one schedule (the same scheduler seed,
 * the same seeded Math.random) run over the fakes and over the DynamoDB and S3 emulators
 * (real-dynamo.ts, real-s3.ts); what each ends with (the ledger's items normalised, the announcements, the dead
 * letters, the invariant verdicts, the sequence of port calls) must be the same. Any difference is
 * the fake (or the emulator) answering otherwise than the other, reported with both sides.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { DynamoTier } from './real-dynamo.ts';
import { S3Tier } from './real-s3.ts';
import { type Plan, type RunResult, runPlan } from './sim.ts';

export interface Ending {
  /** The ledger's items by pk, normalised (numbers as numbers, sets sorted, keys sorted). */
  items: Map<string, string>;
  published: string[];
  letters: string[];
  violations: string[];
  /** What happened, in order, with error texts cut to the error's name (the services word them differently). */
  log: string[];
}

/** A value with its object keys sorted and its sets as sorted arrays, as JSON. */
function canonical(value: unknown): string {
  const walk = (v: unknown): unknown => {
    if (v instanceof Set) return [...v].map(walk).sort();
    if (Array.isArray(v)) return v.map(walk);
    if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, walk((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(walk(value));
}

export function endingOf(result: RunResult): Ending {
  const { world } = result;
  const items = new Map<string, string>();
  // `w`, a write's random id (dynamo-ledger.ts), named by first appearance: equal where it was equal.
  const writeIds = new Map<string, string>();
  for (const pk of [...world.dynamo.items.keys()].sort()) {
    const plain = unmarshall(world.dynamo.items.get(pk)!);
    if (typeof plain.w === 'string') {
      if (!writeIds.has(plain.w)) writeIds.set(plain.w, `w${writeIds.size + 1}`);
      plain.w = writeIds.get(plain.w);
    }
    items.set(pk, canonical(plain));
  }
  return {
    items,
    published: world.published.map((p) => canonical(p)).sort(),
    letters: [...world.filesDlq.messages.map((m) => m.body), ...world.replayedLetters.map(canonical)].sort(),
    violations: result.violations.map((v) => `${v.invariant}: ${v.detail}`).sort(),
    log: world.log.map((line) => line.replace(/ failed: ([A-Za-z]+).*$/, ' failed: $1')),
  };
}

function listDifference(what: string, fake: string[], real: string[]): string[] {
  const onlyFake = fake.filter((x) => !real.includes(x));
  const onlyReal = real.filter((x) => !fake.includes(x));
  if (onlyFake.length === 0 && onlyReal.length === 0 && fake.length === real.length) return [];
  return [
    `${what}: ${fake.length} with the fake, ${real.length} with the emulator`,
    ...onlyFake.slice(0, 5).map((x) => `  fake only:     ${x}`),
    ...onlyReal.slice(0, 5).map((x) => `  emulator only: ${x}`),
  ];
}

/** The differences between two endings, in words; empty when the tiers agree. */
export function differences(fake: Ending, real: Ending): string[] {
  const out: string[] = [];
  for (const pk of new Set([...fake.items.keys(), ...real.items.keys()])) {
    const a = fake.items.get(pk);
    const b = real.items.get(pk);
    if (a !== b) out.push(`item ${pk}:`, `  fake:     ${a ?? 'none'}`, `  emulator: ${b ?? 'none'}`);
  }
  out.push(...listDifference('announcements', fake.published, real.published));
  out.push(...listDifference('dead letters', fake.letters, real.letters));
  out.push(...listDifference('invariant violations', fake.violations, real.violations));
  const at = fake.log.findIndex((line, i) => line !== real.log[i]);
  if (at >= 0 || fake.log.length !== real.log.length) {
    const from = at >= 0 ? at : Math.min(fake.log.length, real.log.length);
    out.push(
      `what happened differs from line ${from + 1}:`,
      `  fake:     ${fake.log.slice(from, from + 3).join(' | ') || 'nothing more'}`,
      `  emulator: ${real.log.slice(from, from + 3).join(' | ') || 'nothing more'}`,
    );
  }
  return out;
}

/** The scheduler that seed makes: two made from one seed order the same calls the same way. */
export function schedulerOf(seed: number): fc.Scheduler {
  const [scheduler] = fc.sample(fc.scheduler(), { numRuns: 1, seed });
  return scheduler!;
}

export interface TierRun {
  fake: RunResult;
  real: RunResult;
  differences: string[];
}

/** The emulators of the slower tier, started once for a run: a fresh table and bucket per plan. */
export class RealTier {
  private constructor(
    private readonly dir: string,
    private readonly dynamo: DynamoTier,
    private readonly s3: S3Tier,
  ) {}

  static async start(): Promise<RealTier> {
    const dir = await mkdtemp(join(tmpdir(), 'eventline-sim-'));
    return new RealTier(dir, await DynamoTier.start(), await S3Tier.start(join(dir, 's3')));
  }

  /** Runs `plan` under the schedule of `schedulerSeed` on both tiers and compares their endings. */
  async run(plan: Plan, schedulerSeed: number): Promise<TierRun> {
    const fake = await runPlan(plan, schedulerOf(schedulerSeed));
    const dynamo = await this.dynamo.table();
    try {
      const s3 = await this.s3.bucket(plan.versioned);
      const real = await runPlan(plan, schedulerOf(schedulerSeed), undefined, { dynamo, s3 });
      return { fake, real, differences: differences(endingOf(fake), endingOf(real)) };
    } finally {
      await this.dynamo.drop(dynamo);
    }
  }

  async close(): Promise<void> {
    await this.dynamo.close();
    await this.s3.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}
