import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Format, Route } from '@eventline/config/schema.ts';
import { PermanentError } from '../errors.ts';
import { decodeCsv } from './csv.ts';
import { decodeJson, decodeNdjson } from './json.ts';
import { decodeJsonArray } from './json-array.ts';
import type { Decoder } from './types.ts';

export * from './types.ts';

/**
 * One decoder per format. JSON Lines is `ndjson`: a route with suffix `.jsonl` (or `.jsonl.gz`) and
 * format `ndjson` reads it; routing is by suffix, the format name only picks the decoder.
 */
const decoders: Record<Format, Decoder> = {
  json: decodeJson,
  'json-array': decodeJsonArray,
  ndjson: decodeNdjson,
  csv: decodeCsv,
};

export function decoderFor(format: Format): Decoder {
  return decoders[format];
}

/** Default size limits: one JSON document is read whole, so it is kept small; streams are not. */
export function maxBytesFor(route: Route): number {
  if (route.maxFileBytes !== undefined) return route.maxFileBytes;
  return route.format === 'json' ? 10 * 1024 * 1024 : 5 * 1024 ** 4;
}

/** Passes bytes through, counting them, and fails the file when it grows past `max`. */
export async function* limitBytes(
  source: AsyncIterable<Uint8Array>,
  max: number,
  key: string,
  counter: { bytes: number },
  what = 'file',
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    counter.bytes += chunk.length;
    if (counter.bytes > max) {
      throw new PermanentError(
        'too-large',
        `${key}: ${what} is larger than the route's limit of ${max} bytes`,
      );
    }
    yield chunk;
  }
}

const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Decompresses when the route says gzip, or (auto) when the object starts with gzip's magic bytes.
 * The bytes decide rather than the `.gz` suffix or a `Content-Encoding: gzip` header: every gzip
 * stream starts with 1f 8b and valid UTF-8 text never does (8b cannot follow 1f), while a suffix or a
 * header can be wrong (a `.gz` key holding plain text is read as the text it is).
 */
export async function* maybeGunzip(
  source: AsyncIterable<Uint8Array>,
  options: { compression: Route['compression']; key: string; contentEncoding?: string },
): AsyncGenerator<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  let head: Uint8Array = new Uint8Array(0);
  while (head.length < GZIP_MAGIC.length) {
    const next = await iterator.next();
    if (next.done) break;
    head = head.length === 0 ? next.value : Buffer.concat([head, next.value]);
  }
  if (head.length === 0) return;
  const rest: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => iterator,
  };
  let gzip = options.compression === 'gzip';
  if (options.compression === 'auto') gzip = head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  async function* all() {
    yield head;
    yield* rest;
  }
  if (!gzip) {
    yield* all();
    return;
  }
  const gunzip = createGunzip();
  const input = Readable.from(all());
  input.on('error', (error) => gunzip.destroy(error));
  input.pipe(gunzip);
  try {
    for await (const chunk of gunzip) yield chunk as Uint8Array;
  } catch (error) {
    if (error instanceof PermanentError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code?.startsWith('Z_')) {
      throw new PermanentError(
        'bad-gzip',
        `${options.key}: not a valid gzip stream (${(error as Error).message})`,
        {
          cause: error,
        },
      );
    }
    throw error;
  } finally {
    input.destroy();
  }
}
