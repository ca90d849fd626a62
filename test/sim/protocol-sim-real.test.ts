import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealTier } from './drift.ts';
import { planArbitrary } from './sim.ts';
import { ALL_ACTORS } from './tiers.ts';

/**
 * The simulator's slower tier (docs/protocol.md, "Verification"): plans of the fast tier run twice
 * under one schedule, once over the fakes and once with DynamoDB and S3's reads on the project's
 * emulators in this process; the two must end the same (ledger items, announcements, dead letters, invariant
 * verdicts, the port calls made). A difference is a fake that drifted from AWS's semantics
 * (or an emulator that did): it prints both sides and fast-check's seed and path, replayed with
 * `npm run test:sim -- --tier real --seed S --path P`.
 */

const RUNS = 40;
let tier: RealTier;

beforeAll(async () => {
  tier = await RealTier.start();
});

afterAll(async () => {
  await tier?.close();
});

describe('the fakes against the emulators (DynamoDB, S3 reads)', () => {
  it(`ends ${RUNS} plans (every actor, faults, digests) the same on both`, async () => {
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(planArbitrary(new Set(ALL_ACTORS)), fc.integer(), async (plan, schedulerSeed) => {
        const run = await tier.run(plan, schedulerSeed);
        compared += 1;
        if (run.differences.length > 0) {
          throw new Error(
            `the fake and the emulator end differently:\n${run.differences.join('\n')}\n--- what happened (fake) ---\n${run.fake.schedule}`,
          );
        }
      }),
      { numRuns: RUNS, seed: 22_004 },
    );
    expect(compared).toBeGreaterThanOrEqual(RUNS);
  }, 120_000);
});
