import { execFileSync } from 'node:child_process';
import { mkdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { configDefines, parseConfig } from '@eventline/config';
import userConfig from '../eventline.config.ts';
import { benchNode, coldStart } from './figures/bundle-size.ts';
import { bundle } from './lib/bundle.ts';
import { ratio, summarize } from './lib/stats.ts';

/**
 * Figure 4 before and after a change: the Lambda entry of an earlier commit (`--before`, default the
 * parent of issue 17's work) beside this checkout's and the naive SDK v3 build, bundled like infra
 * bundles them and cold-started interleaved (order alternating) on the bench's node. The earlier
 * tree comes from `git archive` into a temp dir, using this checkout's node_modules.
 *   npx tsx bench/bundle-before-after.mts --before 1c70f00 --runs 21
 */
const { values } = parseArgs({
  options: { before: { type: 'string', default: '1c70f00' }, runs: { type: 'string', default: '21' } },
});
const runs = Number(values.runs);
const repo = new URL('..', import.meta.url).pathname;
const dir = join(tmpdir(), `eventline-before-after-${process.pid}`);
await mkdir(join(dir, 'tree'), { recursive: true });
try {
  const archive = execFileSync('git', ['archive', values.before, 'src', 'eventline.config.ts'], {
    cwd: repo,
  });
  execFileSync('tar', ['-x', '-C', join(dir, 'tree')], { input: archive });
  await symlink(join(repo, 'node_modules'), join(dir, 'tree', 'node_modules'));
  // An entry that reads a define'd config gets this checkout's (ignored by one that does not).
  const define = configDefines(parseConfig(userConfig));
  const built = {
    naive: await bundle(join(repo, 'bench/baseline/naive-bundle-entry.ts'), join(dir, 'out/naive/index.mjs')),
    before: await bundle(join(dir, 'tree/src/lambda/index.ts'), join(dir, 'out/before/index.mjs'), {
      define,
    }),
    after: await bundle(join(repo, 'packages/lambda/src/index.ts'), join(dir, 'out/after/index.mjs'), {
      define,
    }),
  };
  const names = ['naive', 'before', 'after'] as const;
  const node = benchNode();
  const wall = { naive: [] as number[], before: [] as number[], after: [] as number[] };
  const cpu = { naive: [] as number[], before: [] as number[], after: [] as number[] };
  for (const name of names) await coldStart(built[name].outfile, node.path);
  for (let i = 0; i < runs; i++) {
    for (const name of i % 2 ? names : [...names].reverse()) {
      const sample = await coldStart(built[name].outfile, node.path);
      wall[name].push(sample.initMs);
      cpu[name].push(sample.cpuMs);
    }
  }
  const per = (series: Record<string, number[]>, a: string, b: string) => {
    const { median, min, max } = summarize(series[a]!.map((x, i) => ratio(x, series[b]![i]!)));
    return { median, min, max };
  };
  const result = {
    before: values.before,
    runs,
    node: `${node.version} (${node.source})`,
    kib: Object.fromEntries(names.map((n) => [n, Math.round(built[n].bytes / 102.4) / 10])),
    initMsMedian: Object.fromEntries(names.map((n) => [n, summarize(wall[n]).median])),
    initCpuMsMedian: Object.fromEntries(names.map((n) => [n, summarize(cpu[n]).median])),
    sizeRatioToNaive: {
      before: ratio(built.before.bytes, built.naive.bytes),
      after: ratio(built.after.bytes, built.naive.bytes),
    },
    initRatio: {
      beforeToNaive: per(wall, 'before', 'naive'),
      afterToNaive: per(wall, 'after', 'naive'),
      afterToBefore: per(wall, 'after', 'before'),
    },
    initCpuRatio: {
      beforeToNaive: per(cpu, 'before', 'naive'),
      afterToNaive: per(cpu, 'after', 'naive'),
      afterToBefore: per(cpu, 'after', 'before'),
    },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
