import { gzipSync } from 'node:zlib';
import { FORMATS, routeSchema } from '@eventline/config';
import { decoderFor, limitBytes, maxBytesFor, maybeGunzip, PermanentError } from '@eventline/core';
import { decodeNdjson } from '@eventline/core/formats';
import { describe, expect, it } from 'vitest';
import { chunked, fixture } from '../fixtures/formats/harness.ts';

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of source) parts.push(chunk);
  return Buffer.concat(parts);
}

async function failure(source: AsyncIterable<Uint8Array>): Promise<unknown> {
  try {
    await collect(source);
  } catch (error) {
    return error;
  }
  return undefined;
}

const plain = Buffer.from('{"id":1}\n{"id":2}\n');
const gzipped = gzipSync(plain);

describe('maybeGunzip', () => {
  it('detects gzip from the magic bytes (compression auto), even split over 1-byte chunks', async () => {
    const bytewise = await collect(
      maybeGunzip(chunked(gzipped, 1), { compression: 'auto', key: 'a.ndjson' }),
    );
    const named = await collect(maybeGunzip(chunked(gzipped), { compression: 'auto', key: 'a.ndjson.gz' }));

    expect(bytewise).toEqual(plain);
    expect(named).toEqual(plain);
  });

  it('reads plain bytes as plain even when the suffix or Content-Encoding claims gzip', async () => {
    const misnamed = await collect(maybeGunzip(chunked(plain), { compression: 'auto', key: 'a.ndjson.gz' }));
    const mislabelled = await collect(
      maybeGunzip(chunked(plain), { compression: 'auto', key: 'a.ndjson', contentEncoding: 'gzip' }),
    );

    expect(misnamed).toEqual(plain);
    expect(mislabelled).toEqual(plain);
  });

  it('passes plain bytes through, and gzip bytes untouched when compression is none', async () => {
    const passthrough = await collect(
      maybeGunzip(chunked(plain, 1), { compression: 'auto', key: 'a.ndjson' }),
    );
    const untouched = await collect(maybeGunzip(chunked(gzipped), { compression: 'none', key: 'a.gz' }));

    expect(passthrough).toEqual(plain);
    expect(untouched).toEqual(gzipped);
  });

  it('reads an empty object as no bytes', async () => {
    expect(await collect(maybeGunzip(chunked(''), { compression: 'gzip', key: 'a.gz' }))).toEqual(
      Buffer.alloc(0),
    );
  });

  it('fails a truncated gzip stream as bad-gzip', async () => {
    const big = gzipSync(Buffer.from('{"id":"x"}\n'.repeat(10_000)));
    const truncated = big.subarray(0, big.length - 20);

    const error = await failure(maybeGunzip(chunked(truncated, 1024), { compression: 'auto', key: 't.gz' }));

    expect(error).toBeInstanceOf(PermanentError);
    expect((error as PermanentError).code).toBe('bad-gzip');
    expect((error as PermanentError).message).toContain('t.gz: not a valid gzip stream');
  });

  it('fails corrupted gzip data and forced gzip on plain bytes as bad-gzip', async () => {
    const corrupted = Buffer.from(gzipped);
    corrupted[12] = (corrupted[12] ?? 0) ^ 0xff;

    const corrupt = await failure(maybeGunzip(chunked(corrupted), { compression: 'auto', key: 'c.gz' }));
    const forced = await failure(maybeGunzip(chunked(plain), { compression: 'gzip', key: 'p.ndjson' }));

    expect((corrupt as PermanentError).code).toBe('bad-gzip');
    expect((forced as PermanentError).code).toBe('bad-gzip');
  });

  it('feeds a decoder: gzip NDJSON fixture decodes like the plain one', async () => {
    const data = await fixture('readings.ndjson');
    const route = routeSchema.parse({ format: 'ndjson', suffix: '.ndjson.gz' });
    const decode = async (bytes: Uint8Array) => {
      const out: unknown[] = [];
      const source = maybeGunzip(chunked(bytes, 7), { compression: 'auto', key: 'r.ndjson.gz' });
      for await (const d of decodeNdjson(source, { route, key: 'r.ndjson.gz' })) out.push(d);
      return out;
    };

    expect(await decode(gzipSync(data))).toEqual(await decode(data));
  });
});

describe('limitBytes and maxBytesFor', () => {
  it('fails a stream that grows past the limit', async () => {
    const counter = { bytes: 0 };

    const error = await failure(limitBytes(chunked('x'.repeat(100), 10), 50, 'big.ndjson', counter));

    expect((error as PermanentError).code).toBe('too-large');
    expect(counter.bytes).toBe(60);
  });

  it('keeps json files small by default and lets streamed formats be large', () => {
    expect(maxBytesFor(routeSchema.parse({ format: 'json' }))).toBe(10 * 1024 * 1024);
    expect(maxBytesFor(routeSchema.parse({ format: 'csv' }))).toBe(5 * 1024 ** 4);
    expect(maxBytesFor(routeSchema.parse({ format: 'ndjson', maxFileBytes: 1234 }))).toBe(1234);
  });
});

describe('decoder registry', () => {
  it('has a decoder for every format of the configuration schema', () => {
    for (const format of FORMATS) expect(typeof decoderFor(format)).toBe('function');
  });
});
