/**
 * npm run test:ddb-diff -- [--runs 5000] [--seed 27] [--shrink 3] [--verbose]
 *
 * The long differential run: random requests (about --runs of them, in scenarios of 1-8 on fresh
 * tables) from a fixed --seed, sent to the emulator and to Amazon's DynamoDB Local (Java), answers
 * compared as harness.ts says; then the hand-written invalid and boundary list (invalid.ts).
 * Prints the agreement %, the divergences grouped by kind, and for the --shrink most frequent
 * kinds the smallest scenario fast-check shrinks them to.
 *
 * Agreement is counted per request: the same normalised answer from both (harness.ts). A
 * difference known.ts recognises (a recorded difference, listed in the README's fidelity section
 * with its reason) is still a difference in the first figure; the second counts it apart.
 */
import { parseArgs } from 'node:util';
import { startDynamoEmulator } from '../../src/index.ts';
import { startTarget } from '../conformance/targets.ts';
import { runInvalidList } from './invalid.ts';
import { knownDifference } from './known.ts';
import { groups, type Measurement, measure, percent, shrink } from './measure.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5000' },
    seed: { type: 'string', default: '27' },
    shrink: { type: 'string', default: '3' },
    verbose: { type: 'boolean', default: false },
  },
  strict: true,
});
const runs = Number(values.runs);
const seed = Number(values.seed);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: a positive integer, got "${values.runs}"`);
if (!Number.isInteger(seed)) throw new Error(`--seed: an integer, got "${values.seed}"`);

function explained(m: Measurement): string {
  const known = m.divergences.filter((d) => knownDifference(d)).length;
  return `  of the ${m.divergences.length} differences, ${known} are recorded differences (README, fidelity: each with its reason), ${m.divergences.length - known} unexplained; with the recorded ones set apart: ${m.agreed} of ${m.requests - known} agree, ${percent({ requests: m.requests - known, agreed: m.agreed })}%`;
}

/** Scenarios average 4.5 requests. */
const scenarios = Math.max(1, Math.round(runs / 4.5));
const emulator = await startDynamoEmulator({ ttlSweepIntervalMs: 0 });
const reference = await startTarget('ddblocal');
try {
  const started = Date.now();
  const result = await measure(seed, scenarios, emulator.url, reference.url, (done) => {
    if (done % 100 === 0) process.stderr.write(`  ${done}/${scenarios} scenarios\n`);
  });
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(
    `random: ${result.agreed} of ${result.requests} requests agree with DynamoDB Local: ${percent(result)}% (seed ${seed}, ${scenarios} scenarios, ${seconds} s)`,
  );
  console.log(explained(result));
  const kinds = groups(result.divergences);
  for (const [signature, list] of kinds) {
    const known = list.filter((d) => knownDifference(d)).length;
    console.log(
      `  ${list.length} × ${signature}${known ? ` (${known} known: ${[...new Set(list.map((d) => knownDifference(d)?.name).filter(Boolean))].join('; ')})` : ''}`,
    );
    if (values.verbose)
      for (const d of list.slice(0, 3))
        console.log(
          `      ${JSON.stringify(d.request.params)}\n        emulator ${JSON.stringify(d.emulator)}\n        ddblocal ${JSON.stringify(d.reference)}`,
        );
  }
  const invalid = await runInvalidList(emulator.url, reference.url);
  console.log(
    `invalid and boundary list: ${invalid.agreed} of ${invalid.requests} agree: ${percent(invalid)}%`,
  );
  console.log(explained(invalid));
  for (const d of invalid.divergences) {
    console.log(`  ${knownDifference(d) ? `known (${knownDifference(d)?.name})` : 'UNKNOWN'}:`);
    console.log(
      `  ${d.signature}\n      ${JSON.stringify(d.request.params)}\n        emulator ${JSON.stringify(d.emulator)}\n        ddblocal ${JSON.stringify(d.reference)}`,
    );
  }
  for (const [signature] of kinds.slice(0, Number(values.shrink))) {
    const found = await shrink(seed, scenarios, signature, emulator.url, reference.url);
    if (!found) continue;
    console.log(`\nsmallest scenario for "${signature}" (${found.scenario.table} table):`);
    for (const r of found.results) {
      console.log(`  ${r.agree ? 'same' : 'DIFF'} ${r.request.op} ${JSON.stringify(r.request.params)}`);
      if (!r.agree)
        console.log(
          `      emulator ${JSON.stringify(r.emulator)}\n      ddblocal ${JSON.stringify(r.reference)}`,
        );
    }
  }
} finally {
  await emulator.close();
  await reference.close();
}
