import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchNode, coldStart } from './figures/bundle-size.ts';
import { bundle } from './lib/bundle.ts';
import { ratio, summarize } from './lib/stats.ts';

/**
 * Figure 4's "signed fetch" question (issue 17): the naive build's three calls made with fetch and
 * @smithy/signature-v4 (bench/baseline/signed-fetch-entry.ts) beside the naive SDK v3 build, bundled
 * exactly as the real handler is and cold-started interleaved on the bench's node (Node 24 when at
 * hand, see benchNode). With figure 4's "eventline −SDK v3" variant (everything but the client
 * layer) it bounds what moving eventline to a signed-fetch client could reach.
 *   npx tsx bench/signed-fetch-probe.mts --runs 21
 */
const { values } = parseArgs({ options: { runs: { type: 'string', default: '21' } } });
const runs = Number(values.runs);
const dir = join(tmpdir(), `eventline-signed-fetch-probe-${process.pid}`);
await mkdir(dir, { recursive: true });
try {
  const probe = await bundle(
    new URL('./baseline/signed-fetch-entry.ts', import.meta.url).pathname,
    join(dir, 'signed', 'index.mjs'),
  );
  const naive = await bundle(
    new URL('./baseline/naive-bundle-entry.ts', import.meta.url).pathname,
    join(dir, 'naive', 'index.mjs'),
  );
  const node = benchNode();
  const samples = { naive: [] as number[], signed: [] as number[] };
  await coldStart(naive.outfile, node.path);
  await coldStart(probe.outfile, node.path);
  for (let i = 0; i < runs; i++) {
    samples.naive.push((await coldStart(naive.outfile, node.path)).initMs);
    samples.signed.push((await coldStart(probe.outfile, node.path)).initMs);
  }
  const result = {
    runs,
    node,
    naive: { bytes: naive.bytes, initMs: summarize(samples.naive) },
    signedFetch: { bytes: probe.bytes, initMs: summarize(samples.signed) },
    sizeRatio: ratio(probe.bytes, naive.bytes),
    initRatio: summarize(samples.signed.map((x, i) => ratio(x, samples.naive[i]!))),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
