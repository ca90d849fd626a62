import { readFileSync } from 'node:fs';
import { routeSchema } from '@eventline/config';
import { decodeParquet } from '@eventline/core/formats';
import { describe, expect, it } from 'vitest';

/**
 * Parquet's LZ4 and ZSTD codecs on real files from apache/parquet-testing (data/, commit
 * 1a2a75127be06fc0123f03ebd36c966f7beda27d, Apache-2.0; copied to test/fixtures/formats/parquet):
 * LZ4_RAW, LZ4 with Hadoop's framing, LZ4 without it (both codec id LZ4), and ZSTD, which node:zlib
 * lacks before Node 22.15 (this repository's Node 20 reads it with hyparquet-compressors' fzstd).
 */
async function rows(name: string): Promise<unknown[]> {
  const bytes = new Uint8Array(
    readFileSync(new URL(`../fixtures/formats/parquet/${name}.parquet`, import.meta.url)),
  );
  const file = {
    byteLength: bytes.length,
    read: async (start: number, end: number) => bytes.slice(start, end),
  };
  const route = routeSchema.parse({ format: 'parquet', suffix: '.parquet' });
  const out: unknown[] = [];
  for await (const decoded of decodeParquet(file, { route, key: `${name}.parquet` })) {
    if ('error' in decoded) throw new Error(decoded.error.message);
    out.push(JSON.parse(JSON.stringify(decoded.value)));
  }
  return out;
}

describe('parquet codecs on real files', () => {
  it.each(['lz4_raw_compressed', 'hadoop_lz4_compressed', 'non_hadoop_lz4_compressed'])(
    '%s: its 4 rows, INT64 exact',
    async (name) => {
      const read = await rows(name);
      expect(read).toHaveLength(4);
      expect(read[0]).toEqual({ c0: { value: '1593604800', isLosslessNumber: true }, c1: 'abc', v11: 42 });
      expect(read[3]).toEqual({ c0: { value: '1593604801', isLosslessNumber: true }, c1: 'def', v11: 7.7 });
    },
  );

  it('byte_stream_split.zstd: ZSTD pages (with BYTE_STREAM_SPLIT floats), its 300 rows', async () => {
    const read = await rows('byte_stream_split.zstd');
    expect(read).toHaveLength(300);
    expect(read[0]).toEqual({ f32: 1.764052391052246, f64: -1.3065268517353166 });
    expect(read[299]).toEqual({ f32: 0.3700558841228485, f64: -0.17858909208732915 });
  });
});
