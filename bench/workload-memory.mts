/**
 * Figure 10 alone (bench/figures/workload-memory.ts): peak RSS of the handler on a small and a large
 * object per workload format, and `object` beside a raw GetObject + SHA-256 loop.
 * Run: `npx tsx bench/workload-memory.mts [log-mb,log-mb] [parquet-mb,parquet-mb] [object-mb,object-mb] [runs-small] [runs-large] [memory-mb]`
 * (default: 10,100,1000 10,100,1000 10,5000 3 2 512, the full sizes; sizes in MB of 10^6 bytes; the
 * child runs with Lambda's heap flags for a function of memory-mb, 0 for plain node).
 */
import { parseConfig } from '@eventline/config';
import { runWorkloadMemory } from './figures/workload-memory.ts';
import { Progress } from './lib/progress.ts';

const pair = (text: string | undefined, fallback: number[]): number[] => {
  if (!text) return fallback;
  const sizes = text.split(',').map(Number);
  if (sizes.length < 2 || sizes.some((x) => !(x > 0)))
    throw new Error(`expected two or more sizes in MB like 10,100,1000, got "${text}"`);
  return sizes;
};
const result = await runWorkloadMemory({
  logMb: pair(process.argv[2], [10, 100, 1000]),
  parquetMb: pair(process.argv[3], [10, 100, 1000]),
  objectMb: pair(process.argv[4], [10, 5000]),
  runsSmall: Number(process.argv[5] ?? 3),
  runsLarge: Number(process.argv[6] ?? 2),
  memoryMb: Number(process.argv[7] ?? parseConfig({}, 'bench defaults').function.memoryMb),
  progress: new Progress(),
});
console.log(
  result.memoryMb > 0
    ? `node flags of a ${result.memoryMb} MB Lambda function: ${result.nodeFlags.join(' ')}`
    : 'plain node (no heap flags)',
);
for (const w of result.workloads) {
  const [small, large] = [w.sizes[0]!, w.sizes.at(-1)!];
  console.log(
    `${w.workload} (${w.what}): peak RSS ${Math.round(small.peakRssMb.median)} MB at ${small.label}, ${Math.round(large.peakRssMb.median)} MB at ${large.label}: ${w.rssGrowth.toFixed(2)}x (goal ≤ ${w.goalRssGrowth}x)${w.rssGrowthFromMiddle ? `, ${w.rssGrowthFromMiddle.toFixed(2)}x from ${w.sizes[1]!.label}` : ''}${w.liveGrowth ? `; live memory after a GC ${Math.round(small.liveMb!)} → ${Math.round(large.liveMb!)} MB (${w.liveGrowth.toFixed(2)}x)` : ''}; ${Math.round(large.mbPerSecond.median)} MB/s at ${large.label}${large.fractionOfRaw ? `, ${large.fractionOfRaw.median.toFixed(2)}x a raw GetObject + SHA-256 loop (${Math.round(large.raw!.mbPerSecond.median)} MB/s; goal ≥ 0.8x)` : ''}`,
  );
}
