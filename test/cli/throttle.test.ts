import { Progress, Throttle } from '@eventline/cli';
import { describe, expect, it } from 'vitest';

/** Backfill's pacing and progress, on a manual clock: what it waits, never how long a run takes. */

function manual() {
  let now = 1_000_000;
  const slept: number[] = [];
  return {
    clock: () => now,
    sleep: async (ms: number) => {
      slept.push(ms);
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
    slept,
  };
}

describe('Throttle', () => {
  it('lets the first batch go at once, then holds each batch until it fits under the rate', async () => {
    const t = manual();
    const throttle = new Throttle(10, t.clock, t.sleep);
    expect(await throttle.take(10)).toBe(0);
    expect(await throttle.take(10)).toBe(1000);
    t.advance(300);
    expect(await throttle.take(5)).toBe(700);
    expect(await throttle.take(5)).toBe(500);
    expect(t.slept).toEqual([1000, 700, 500]);
  });

  it('does not wait when the sender is slower than the rate', async () => {
    const t = manual();
    const throttle = new Throttle(2, t.clock, t.sleep);
    await throttle.take(1);
    t.advance(5000);
    expect(await throttle.take(1)).toBe(0);
    expect(t.slept).toEqual([]);
  });
});

describe('Progress', () => {
  it('prints at most once per interval, and always when forced', () => {
    const t = manual();
    const lines: string[] = [];
    const progress = new Progress((l) => lines.push(l), 1000, t.clock);
    progress.tick(() => 'a');
    progress.tick(() => 'b');
    t.advance(999);
    progress.tick(() => 'c');
    t.advance(1);
    progress.tick(() => 'd');
    progress.tick(() => 'done', true);
    expect(lines).toEqual(['a', 'd', 'done']);
  });
});
