/**
 * Figure 11 alone (bench/figures/recipes.ts): each recipe on its own generator's sample through a local
 * stack: files/s, records/s and requests per file. Run: `npx tsx bench/recipes.mts [scale] [runs]`
 * (default 2000 3: CSV rows, log records per file, readings per Parquet file; upload rounds scale/500).
 */
import { runRecipes } from './figures/recipes.ts';
import { Progress } from './lib/progress.ts';

const result = await runRecipes({
  scale: Number(process.argv[2] ?? 2000),
  runs: Number(process.argv[3] ?? 3),
  progress: new Progress(),
});
for (const r of result.recipes) {
  console.log(
    `${r.recipe} (${r.sample}): ${r.files} files, ${r.records} records stored, ${r.filesPerSecond.median.toFixed(1)} files/s, ${Math.round(r.recordsPerSecond.median)} records/s; requests per file: ${Object.entries(
      r.requestsPerFile,
    )
      .map(([op, n]) => `${op} ${n}`)
      .join(', ')}`,
  );
}
