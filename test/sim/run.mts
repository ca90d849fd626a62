/**
 * The simulator's long runs: `npm run test:sim -- --runs 100000 [--seed N] [--minutes M] [--only I1,I3]
 * [--actors all|overwrite,faults,...] [--explore]`. Without --explore it is fast-check's property
 * (stops at the first violation, shrinks it, prints the seed and path to replay); with --explore it
 * runs every plan and counts violations per invariant. Either way it reports runs per minute and the
 * number of distinct schedules explored.
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { INVARIANTS, type InvariantId } from './invariants.ts';
import { type Actor, planArbitrary, runPlan } from './sim.ts';
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
  },
});
const runs = Number(values.runs);
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
const only = new Set((values.only?.split(',') ?? HOLDING) as InvariantId[]);
const actors = new Set<Actor>(values.actors === 'all' ? ALL_ACTORS : (values.actors!.split(',') as Actor[]));
const stopAt = values.minutes ? Date.now() + Number(values.minutes) * 60_000 : Number.POSITIVE_INFINITY;
const schedules = new Set<string>();
const counts = new Map<string, { n: number; example: string }>();
let done = 0;
const digests = { plans: 0, windows: 0, published: 0, republished: 0 };
const started = Date.now();

const property = fc.asyncProperty(planArbitrary(actors), fc.scheduler(), async (plan, scheduler) => {
  if (Date.now() > stopAt) return true;
  const result = await runPlan(plan, scheduler);
  done += 1;
  if (result.digests) {
    digests.plans += 1;
    digests.windows += result.digests.windows;
    digests.published += result.digests.published;
    digests.republished += result.digests.republished;
  }
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
});

const outcome = await fc.check(property, {
  numRuns: runs,
  seed,
  ...(values.path ? { path: values.path } : {}),
  endOnFailure: values.explore,
});
const minutes = (Date.now() - started) / 60_000;
console.log(
  `seed ${seed}: ${done} run(s) in ${minutes.toFixed(2)} min = ${Math.round(done / minutes)} runs/min, ${schedules.size} distinct schedules`,
);
console.log(
  `digest routes: ${digests.plans} plan(s), ${digests.windows} window(s), ${digests.published} digest(s) published, ${digests.republished} window(s) published again before marked sent (W1)`,
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
