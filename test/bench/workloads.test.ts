import { describe, expect, it } from 'vitest';
import { runRecipes } from '../../bench/figures/recipes.ts';
import { runWorkloadMemory } from '../../bench/figures/workload-memory.ts';
import { Progress } from '../../bench/lib/progress.ts';

/**
 * Keeps figures 10 and 11 of `npm run bench` from rotting (tiny sizes). Figure 10: each workload's handler runs in its
 * child process on each size, reads every record the file holds (the figure throws otherwise), and
 * the figure is made of numbers. Figure 11: each recipe's files all reach PROCESSED (the figure
 * throws otherwise) with the records its generator says. Nothing here asserts a memory size or a speed.
 */
describe('bench figure 10 (peak RSS per workload format), tiny sizes', () => {
  it('measures log, parquet and object at each size, object beside the raw SHA-256 loop', async () => {
    // Act
    const result = await runWorkloadMemory({
      logMb: [1, 2],
      parquetMb: [1, 2],
      objectMb: [1, 3],
      runsSmall: 1,
      runsLarge: 1,
      memoryMb: 512,
      progress: new Progress({ silent: true }),
    });
    // Assert
    expect(result.workloads.map((w) => w.workload)).toEqual(['log', 'parquet', 'object']);
    for (const w of result.workloads) {
      expect(w.sizes, w.workload).toHaveLength(2);
      expect(Number.isFinite(w.rssGrowth), w.workload).toBe(true);
      for (const size of w.sizes) {
        expect(size.records, `${w.workload} ${size.label}`).toBeGreaterThan(0);
        expect(size.peakRssMb.median).toBeGreaterThan(size.startRssMb.median * 0.5);
        if (w.workload === 'object') {
          expect(Number.isFinite(size.fractionOfRaw?.median)).toBe(true);
          expect(size.raw?.mbPerSecond.median).toBeGreaterThan(0);
        } else expect(size.liveMb).toBeGreaterThan(0);
      }
    }
  }, 240_000);
});

describe('bench figure 11 (the recipes), a small sample', () => {
  it('runs each recipe on its generator sample to the end and counts its records and requests', async () => {
    // Act
    const result = await runRecipes({ scale: 20, runs: 1, progress: new Progress({ silent: true }) });
    // Assert
    expect(result.recipes.map((r) => r.recipe)).toEqual(['orders', 'security-logs', 'iot', 'uploads']);
    const stored = Object.fromEntries(result.recipes.map((r) => [r.recipe, r.records]));
    // orders: 3 JSON orders + 20 export rows, 2 of them rejected; iot: 4 × 20 readings, 1 in 20 dropped.
    expect(stored).toEqual({ orders: 21, 'security-logs': 60, iot: 76, uploads: 7 });
    for (const r of result.recipes) {
      expect(r.filesPerSecond.median, r.recipe).toBeGreaterThan(0);
      expect(r.requestsPerFile['s3:GET'], r.recipe).toBeGreaterThanOrEqual(1);
    }
  }, 240_000);
});
