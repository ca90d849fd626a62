/**
 * The differential test's fast tier: seeded random requests and the hand-written invalid and
 * boundary list, each sent to the emulator and to Amazon's DynamoDB Local (Java, started here),
 * answers compared as harness.ts says. Any divergence that is neither a recorded contradiction
 * whose emulator answer is checked to be AWS's (recorded.ts) nor a kept difference (known.ts) fails, with the request and both answers. The long run is `npm run test:ddb-diff`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoEmulator, startDynamoEmulator } from '../../src/index.ts';
import { type Endpoint, startTarget } from '../conformance/targets.ts';
import { invalidListLength, runInvalidList } from './invalid.ts';
import { explain } from './known.ts';
import { type Measurement, measure, percent } from './measure.ts';

const SEEDS = [27, 5, 2026];
const SCENARIOS_PER_SEED = 25;

let emulator: DynamoEmulator;
let reference: Endpoint;

beforeAll(async () => {
  emulator = await startDynamoEmulator({ ttlSweepIntervalMs: 0 });
  reference = await startTarget('ddblocal');
}, 120_000);

afterAll(async () => {
  await emulator?.close();
  await reference?.close();
});

function unexplained(result: Measurement): string[] {
  return result.divergences
    .filter((d) => !explain(d))
    .map(
      (d) =>
        `${d.signature}\n  request  ${JSON.stringify(d.request)}\n  emulator ${JSON.stringify(d.emulator)}\n  ddblocal ${JSON.stringify(d.reference)}`,
    );
}

describe('DynamoDB differential test: the emulator answers as DynamoDB Local does', () => {
  for (const seed of SEEDS) {
    it(`random requests, seed ${seed}`, async () => {
      const result = await measure(seed, SCENARIOS_PER_SEED, emulator.url, reference.url);
      console.log(`seed ${seed}: ${result.agreed} of ${result.requests} agree (${percent(result)}%)`);
      expect(result.requests).toBeGreaterThan(SCENARIOS_PER_SEED);
      expect(unexplained(result)).toEqual([]);
    }, 120_000);
  }

  it('the invalid and boundary request list', async () => {
    const result = await runInvalidList(emulator.url, reference.url);
    console.log(`invalid list: ${result.agreed} of ${result.requests} agree (${percent(result)}%)`);
    expect(result.requests).toBe(invalidListLength);
    expect(unexplained(result)).toEqual([]);
  }, 120_000);
});
