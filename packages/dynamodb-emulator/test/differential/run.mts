/**
 * npm run test:ddb-diff -- [--runs 5000] [--seed 27] [--shrink 3] [--verbose]
 *
 * The long differential run: random requests (about --runs of them, in scenarios of 1-8 on fresh
 * tables) from a fixed --seed, sent to the emulator and to Amazon's DynamoDB Local (Java), answers
 * compared as harness.ts says; then the hand-written invalid and boundary list (invalid.ts).
 * Prints the agreement %, the divergences grouped by kind, and for the --shrink most frequent
 * kinds the smallest scenario fast-check shrinks them to.
 *
 * Agreement is counted per request: the same normalised answer from both (harness.ts). Two figures:
 * raw agreement with DynamoDB Local; and agreement where a recorded contradiction (recorded.ts:
 * DynamoDB Local contradicts AWS's documentation or a recorded AWS answer, and the emulator's answer
 * is checked to be AWS's) counts for AWS. A difference kept by choice (known.ts) counts in neither.
 */
import { parseArgs } from 'node:util';
import { startDynamoEmulator } from '../../src/index.ts';
import { startTarget } from '../conformance/targets.ts';
import { runInvalidList } from './invalid.ts';
import { explain, figures } from './known.ts';
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
  const f = figures(m);
  return [
    `  raw: ${m.agreed} of ${m.requests} agree with DynamoDB Local: ${percent(m)}%`,
    `  recorded contradictions counted for AWS: ${f.agreedOrAws} of ${m.requests}: ${percent({ requests: m.requests, agreed: f.agreedOrAws })}% (${f.aws} answers where DynamoDB Local contradicts AWS and the emulator answers as AWS documents)`,
    `  other differences: ${f.kept} kept by choice or not yet owned (README, fidelity), ${f.unexplained} unexplained`,
  ].join('\n');
}
const label = (d: Measurement['divergences'][number]) => {
  const e = explain(d);
  return e ? `${e.kind === 'aws' ? 'recorded contradiction' : 'kept'}: ${e.name}` : 'UNEXPLAINED';
};

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
  console.log(`random: ${result.requests} requests (seed ${seed}, ${scenarios} scenarios, ${seconds} s)`);
  console.log(explained(result));
  const kinds = groups(result.divergences);
  for (const [signature, list] of kinds) {
    const labels = [...new Set(list.map(label))].join('; ');
    console.log(`  ${list.length} × ${signature} (${labels})`);
    if (values.verbose)
      for (const d of list.slice(0, 3))
        console.log(
          `      ${JSON.stringify(d.request.params)}\n        emulator ${JSON.stringify(d.emulator)}\n        ddblocal ${JSON.stringify(d.reference)}`,
        );
  }
  const invalid = await runInvalidList(emulator.url, reference.url);
  console.log(`invalid and boundary list: ${invalid.requests} requests`);
  console.log(explained(invalid));
  for (const d of invalid.divergences) {
    console.log(`  ${label(d)}:`);
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
