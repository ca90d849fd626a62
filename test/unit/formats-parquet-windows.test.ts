import { routeSchema } from '@eventline/config';
import { decodeParquet, WINDOW_BYTES, windowRows } from '@eventline/core/formats';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it, vi } from 'vitest';

// hyparquet's own reader, wrapped to see the row range of each decode (it still does the reading).
const decodes = vi.hoisted(() => [] as Array<{ rowStart?: number; rowEnd?: number }>);
vi.mock('hyparquet', async (importOriginal) => {
  const real = await importOriginal<typeof import('hyparquet')>();
  return {
    ...real,
    parquetReadObjects: (options: Parameters<typeof real.parquetReadObjects>[0]) => {
      decodes.push({ rowStart: options.rowStart, rowEnd: options.rowEnd });
      return real.parquetReadObjects(options);
    },
  };
});

/**
 * The Parquet decoder's memory bound: a row group is decoded a window of rows at a time (about
 * WINDOW_BYTES of its uncompressed data), never whole, and its byte ranges are fetched once for all
 * its windows. No memory is measured here: the bound is the window's row count, asserted.
 */
describe('parquet row windows', () => {
  it('windows hold about WINDOW_BYTES of a row group, at least one row; a small group is one window', () => {
    expect(windowRows(10_000, 10 * WINDOW_BYTES)).toBe(1_000);
    expect(windowRows(131_072, 128 * 1024 * 1024)).toBe(4_096);
    expect(windowRows(3, 100 * WINDOW_BYTES)).toBe(1);
    expect(windowRows(500, WINDOW_BYTES)).toBe(500);
    expect(windowRows(500, 1024)).toBe(500);
  });

  it('reads a row group larger than a window in windows, every row once and in order, each range fetched once', async () => {
    // Two row groups of 1,500 rows with 4 KiB of text each: about 6 MiB uncompressed a group, two windows.
    const rows = 3_000;
    const text = (i: number) => `${String(i).padStart(6, '0')}${'x'.repeat(4090)}`;
    const bytes = new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: 'id', data: Array.from({ length: rows }, (_, i) => `r-${i}`) },
          { name: 'text', data: Array.from({ length: rows }, (_, i) => text(i)) },
        ],
        rowGroupSize: 1_500,
        codec: 'UNCOMPRESSED',
      }),
    );
    const reads = new Map<string, number>();
    const file = {
      byteLength: bytes.length,
      read: async (start: number, end: number) => {
        const range = `${start}-${end}`;
        reads.set(range, (reads.get(range) ?? 0) + 1);
        return bytes.slice(start, end);
      },
    };
    const route = routeSchema.parse({ format: 'parquet', suffix: '.parquet' });

    const seen: number[] = [];
    for await (const decoded of decodeParquet(file, { route, key: 'big.parquet' })) {
      if ('error' in decoded) throw new Error(decoded.error.message);
      const value = decoded.value as { id: string; text: string };
      expect(value.id).toBe(`r-${decoded.position.index}`);
      expect(value.text).toBe(text(decoded.position.index!));
      seen.push(decoded.position.index!);
    }

    expect(seen).toEqual(Array.from({ length: rows }, (_, i) => i));
    // Each decode is one window, within one row group, never a whole group of 1,500 rows.
    expect(decodes.length).toBeGreaterThanOrEqual(4);
    for (const { rowStart = 0, rowEnd = 0 } of decodes) {
      expect(rowEnd - rowStart).toBeLessThan(1_500);
      expect(Math.floor(rowStart / 1_500)).toBe(Math.floor((rowEnd - 1) / 1_500));
    }
    expect([...reads.values()].every((n) => n === 1)).toBe(true);
  });
});
