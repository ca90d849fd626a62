import { Readable } from 'node:stream';
import type { Format, Route } from '@eventline/config/runtime';
import { ConfigError } from '@eventline/config/runtime';
import { PermanentError } from '../errors.ts';
import { decodeJson, decodeNdjson } from './json.ts';
import type { Decoder } from './types.ts';

export * from './types.ts';

/**
 * One decoder per format. JSON Lines is `ndjson`: a route with suffix `.jsonl` (or `.jsonl.gz`) and
 * format `ndjson` reads it; routing is by suffix, the format name only picks the decoder.
 */
/**
 * The Lambda bundle defines these from the config's routes (packages/config/src/bundled.ts): a format no route
 * uses is then left out of the bundle altogether (esbuild drops the dead branch and its import).
 * Unbundled (the local stack, tests) they are undefined and every format is there.
 */
declare const EVENTLINE_FORMAT_CSV: boolean | undefined;
declare const EVENTLINE_FORMAT_JSON_ARRAY: boolean | undefined;
declare const EVENTLINE_FORMAT_LOG: boolean | undefined;
declare const EVENTLINE_FORMAT_OBJECT: boolean | undefined;

/** A decoder whose module is imported when its first file arrives, not at start. */
function lazy(load: () => Promise<Decoder>): Decoder {
  return async function* (source, options) {
    const decode = await load();
    yield* decode(source, options);
  };
}

function notBundled(format: Format): Decoder {
  // biome-ignore lint/correctness/useYield: it only throws, as a decoder that cannot start
  return async function* () {
    throw new ConfigError(
      `routes: format "${format}" is not in this bundle, which holds the formats of the routes it was synthesized with; synthesize and deploy again`,
      { problems: [{ setting: 'routes.format', message: `"${format}" bundled` }] },
    );
  };
}

const jsonArray = (format: Format): Decoder =>
  typeof EVENTLINE_FORMAT_JSON_ARRAY === 'undefined' || EVENTLINE_FORMAT_JSON_ARRAY
    ? lazy(async () => (await import('./json-array.ts')).decodeJsonArray)
    : notBundled(format);

/** Parquet is read by ranged GETs, not streamed: ingest opens it itself (../parquet-input.ts). */
// biome-ignore lint/correctness/useYield: it only throws, a programming error
async function* parquetIsNotStreamed(): AsyncGenerator<never> {
  throw new Error('format "parquet" is read by ranged GETs (openParquet), not as a stream');
}

const decoders: Record<Format, Decoder> = {
  parquet: parquetIsNotStreamed,
  json: decodeJson,
  ndjson: decodeNdjson,
  'json-array': jsonArray('json-array'),
  cloudtrail: jsonArray('cloudtrail'),
  log:
    typeof EVENTLINE_FORMAT_LOG === 'undefined' || EVENTLINE_FORMAT_LOG
      ? lazy(async () => (await import('./log.ts')).decodeLog)
      : notBundled('log'),
  object:
    typeof EVENTLINE_FORMAT_OBJECT === 'undefined' || EVENTLINE_FORMAT_OBJECT
      ? lazy(async () => (await import('./object.ts')).decodeObject)
      : notBundled('object'),
  csv:
    typeof EVENTLINE_FORMAT_CSV === 'undefined' || EVENTLINE_FORMAT_CSV
      ? lazy(async () => (await import('./csv.ts')).decodeCsv)
      : notBundled('csv'),
};

export function decoderFor(format: Format): Decoder {
  return decoders[format];
}

/** Default size limits: one JSON document is read whole, so it is kept small; streams are not. */
export function maxBytesFor(route: Route): number {
  if (route.maxFileBytes !== undefined) return route.maxFileBytes;
  return route.format === 'json' ? 10 * 1024 * 1024 : 5 * 1024 ** 4;
}

/** The size limit as an error names it: its bytes and the setting it comes from. */
export function limitText(route: Route): string {
  const max = maxBytesFor(route);
  if (route.maxFileBytes !== undefined)
    return `the limit of ${max} bytes (maxFileBytes of route "${route.id}")`;
  return `the default limit of ${max} bytes for format ${route.format}${route.format === 'json' ? ' (a json file is read whole)' : ''}: raise it with maxFileBytes on route "${route.id}"${route.format === 'json' ? ', or send large files as json-array or ndjson, which are streamed' : ''}`;
}

/** Passes bytes through, counting them, and fails the file when it grows past `max`. */
export async function* limitBytes(
  source: AsyncIterable<Uint8Array>,
  max: number,
  key: string,
  counter: { bytes: number },
  what = 'file',
  limit = `the route's limit of ${max} bytes`,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    counter.bytes += chunk.length;
    if (counter.bytes > max) {
      throw new PermanentError('too-large', `${key}: ${what} is larger than ${limit}`);
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
  // zlib is loaded with the first gzip file: most deployments never read one.
  const { createGunzip } = await import('node:zlib');
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
