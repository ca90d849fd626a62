import { describe, expect, it } from 'vitest';
import { runWorkloadMemory } from '../../bench/figures/workload-memory.ts';
import { Progress } from '../../bench/lib/progress.ts';

/**
 * Keeps figure 10 of `npm run bench` from rotting (tiny sizes): each workload's handler runs in its
 * child process on each size, reads every record the file holds (the figure throws otherwise), and
 * the figure is made of numbers. Nothing here asserts a memory size or a speed.
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
