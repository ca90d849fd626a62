/**
 * Figure 9 alone (bench/figures/decode-formats.ts): the `log` and `parquet` decoders' records/s
 * beside a raw loop with the same library building the same items. `npm run bench -- --only 9` runs
 * it with the other figures' reporting; this prints it directly.
 * Run: `npx tsx bench/log-formats.mts [log-lines] [parquet-rows] [runs]`.
 */
import { runDecodeFormats } from './figures/decode-formats.ts';
import { Progress } from './lib/progress.ts';

const result = await runDecodeFormats({
  logLines: Number(process.argv[2] ?? 200_000),
  parquetRows: Number(process.argv[3] ?? 100_000),
  runs: Number(process.argv[4] ?? 3),
  progress: new Progress(),
});
for (const f of result.formats) {
  console.log(
    `${f.format}: ${f.file} (${f.mb} MB): eventline ${Math.round(f.eventlinePerSecond.median)} records/s, raw loop ${Math.round(f.rawPerSecond.median)} records/s, median ratio ${f.ratio.median.toFixed(2)}x (goal ≥ 0.8x)`,
  );
}
