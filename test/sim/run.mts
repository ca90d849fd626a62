/**
 * The simulator's long runs: `npm run test:sim -- --runs 100000 [--seed N] [--minutes M] [--only I1,I3]
 * [--actors all|overwrite,faults,...] [--explore]`. Without --explore it is fast-check's property
 * (stops at the first violation, shrinks it, prints the seed and path to replay); with --explore it
 * runs every plan and counts violations per invariant. Either way it reports runs per minute and the
 * number of distinct schedules explored.
 *
 * `--tier real` is the slower tier: each plan runs twice under one schedule, over the fake DynamoDB
 * and over the project's DynamoDB and S3 emulators (in this process), and a difference between what the two
 * end with fails the run (drift.ts), as does a violation on the emulator's side. `--seed S --path P`
 * replays its failures too.
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { RealTier } from './drift.ts';
import { INVARIANTS, type InvariantId } from './invariants.ts';
import { type Actor, type Plan, planArbitrary, type RunResult, runPlan } from './sim.ts';
import { ALL_ACTORS, HOLDING } from './tiers.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000' },
    seed: { type: 'string' },
    path: { type: 'string' },
    minutes: { type: 'string' },
    only: { type: 'string' },
    actors: { type: 'string', default: 'all' },
    explore: { type: 'boolean', default: false },
    tier: { type: 'string', default: 'fake' },
  },
});
if (values.tier !== 'fake' && values.tier !== 'real') {
  console.error(
    `--tier ${values.tier}: fake (the fakes alone) or real (also the DynamoDB and S3 emulators, compared)`,
  );
  process.exit(2);
}
const tier = values.tier === 'real' ? await RealTier.start() : undefined;
let drifted = 0;
const runs = Number(values.runs);
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
const only = new Set((values.only?.split(',') ?? HOLDING) as InvariantId[]);
const actors = new Set<Actor>(values.actors === 'all' ? ALL_ACTORS : (values.actors!.split(',') as Actor[]));
const stopAt = values.minutes ? Date.now() + Number(values.minutes) * 60_000 : Number.POSITIVE_INFINITY;
const schedules = new Set<string>();
const counts = new Map<string, { n: number; example: string }>();
let done = 0;
const digests = { plans: 0, windows: 0, published: 0, republished: 0 };
/** Hole 12: plans in which a newer version was deferred behind an older claim, and deferrals in all. */
const deferred = { plans: 0, deliveries: 0, direct: 0, directDeferred: 0 };
const started = Date.now();

/** One plan on the slower tier: both tiers under the scheduler of seed `s`, their endings compared. */
async function onBothTiers(plan: Plan, s: number, emulator: RealTier): Promise<RunResult> {
  const run = await emulator.run(plan, s);
  if (run.differences.length > 0) {
    drifted += 1;
    const text = `the fake and the emulator end differently:\n${run.differences.join('\n')}`;
    if (!values.explore) throw new Error(`${text}\n--- what happened (fake) ---\n${run.fake.schedule}`);
    console.log(text);
  }
  return run.real;
}

async function check(run: () => Promise<RunResult>): Promise<boolean> {
  {
    if (Date.now() > stopAt) return true;
    const result = await run();
    done += 1;
    if (result.digests) {
      digests.plans += 1;
      digests.windows += result.digests.windows;
      digests.published += result.digests.published;
      digests.republished += result.digests.republished;
    }
    if (result.deferrals > 0) {
      deferred.plans += 1;
      deferred.deliveries += result.deferrals;
      if (result.world.direct) deferred.directDeferred += 1;
    }
    if (result.world.direct) deferred.direct += 1;
    schedules.add(createHash('sha1').update(result.schedule).digest('hex'));
    const relevant = result.violations.filter((v) => only.has(v.invariant));
    // Counted per plan: a plan that breaks an invariant twice counts once.
    const seen = new Set<string>();
    for (const v of result.violations) {
      if (seen.has(v.invariant)) continue;
      seen.add(v.invariant);
      const entry = counts.get(v.invariant) ?? { n: 0, example: `${v.detail}\n${result.schedule}` };
      entry.n += 1;
      counts.set(v.invariant, entry);
    }
    if (values.explore) return true;
    if (relevant.length > 0) {
      throw new Error(
        `${relevant.map((v) => `${v.invariant} (${INVARIANTS[v.invariant]}): ${v.detail}`).join('\n')}\n--- schedule ---\n${result.schedule}`,
      );
    }
    return true;
  }
}

// The fast tier's property is as it was (its seeds and paths replay); the slower tier's draws a
// scheduler seed instead of a scheduler, to make one scheduler per tier from it.
const second: fc.Arbitrary<fc.Scheduler | number> = tier ? fc.integer() : fc.scheduler();
const property = fc.asyncProperty(planArbitrary(actors), second, (plan, scheduler) =>
  check(() =>
    typeof scheduler === 'number' && tier
      ? onBothTiers(plan, scheduler, tier)
      : runPlan(plan, scheduler as fc.Scheduler),
  ),
);

const outcome = await fc.check(property, {
  numRuns: runs,
  seed,
  ...(values.path ? { path: values.path } : {}),
  endOnFailure: values.explore,
});
await tier?.close();
const minutes = (Date.now() - started) / 60_000;
if (tier)
  console.log(`tier real (DynamoDB and S3 emulators): ${drifted} plan(s) ended differently from the fake`);
console.log(
  `seed ${seed}: ${done} run(s) in ${minutes.toFixed(2)} min = ${Math.round(done / minutes)} runs/min, ${schedules.size} distinct schedules`,
);
console.log(
  `digest routes: ${digests.plans} plan(s), ${digests.windows} window(s), ${digests.published} digest(s) published, ${digests.republished} window(s) published again before marked sent (W1)`,
);
console.log(
  `hole 12: ${deferred.plans} plan(s) deferred a newer version behind an older claim, ${deferred.deliveries} deferral(s); direct mode's wait: ${deferred.direct} plan(s), ${deferred.directDeferred} deferring`,
);
for (const [id, { n, example }] of [...counts].sort()) {
  console.log(
    `${id} ${only.has(id as InvariantId) ? '(checked)' : '(open)'}: ${n} run(s) violate "${INVARIANTS[id as InvariantId]}"`,
  );
  if (values.explore) console.log(`  e.g. ${example.split('\n').slice(0, 40).join('\n       ')}`);
}
if (outcome.failed) {
  console.log(fc.defaultReportMessage(outcome));
  process.exitCode = 1;
} else {
  console.log(`no violation of ${[...only].join(', ')}`);
}
