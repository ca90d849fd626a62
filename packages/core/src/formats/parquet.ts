import * as zlib from 'node:zlib';
import type {
  AsyncBuffer,
  Compressors,
  FileMetaData,
  ParquetParsers,
  SchemaElement,
  SchemaTree,
} from 'hyparquet';
import { parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { decompressLz4, decompressLz4Raw, decompressZstd } from 'hyparquet-compressors';
import { LosslessNumber } from 'lossless-json';
import { EventlineError, PermanentError } from '../errors.ts';
import type { Decoded, DecoderOptions } from './types.ts';

/**
 * `parquet`: a Parquet file (what Firehose, Glue and Spark write) read by ranged GETs through hyparquet:
 * the footer first (its last 512 KiB, once more when the metadata is larger), then one row group at a
 * time (only its column chunks, one GET each run of them), decoded a window of rows at a time (about
 * WINDOW_BYTES of its uncompressed data), so memory holds one row group's compressed bytes and one
 * window's rows, never the file or a whole row group decoded. A row group is the
 * checkpoint: every record's resume point names its row, and a paused file resumes in the row group that
 * holds it (hyparquet reads only the row groups from there on), never from the start.
 *
 * Values as the ledger's other formats keep them: INT64 and DECIMAL as exact decimal numbers
 * (LosslessNumber, not floats), timestamps as ISO 8601 strings at their own precision (micro- and
 * nanoseconds kept), DATE as `YYYY-MM-DD`, structs and MAPs as maps, LISTs as lists, UTF-8 text as
 * strings and other binary values as base64 strings.
 */

/** A file read by byte ranges: its size and the bytes in [start, end). */
export interface RangeReader {
  byteLength: number;
  read(start: number, end: number): Promise<Uint8Array>;
}

/** What a decimal column's values are divided by: 10^scale. */
interface DecimalColumn {
  scale: number;
}

/**
 * Decompressors hyparquet leaves to the caller (it has SNAPPY itself): GZIP and BROTLI from node:zlib,
 * LZ4 (Hadoop's framing and the raw block format) and LZ4_RAW from hyparquet-compressors, ZSTD from
 * node:zlib where it has it (Node ≥ 22.15, Lambda's Node 24), else hyparquet-compressors' (fzstd).
 */
const compressors: Compressors = {
  GZIP: (input) => zlib.gunzipSync(input),
  BROTLI: (input) => zlib.brotliDecompressSync(input),
  LZ4: (input, length) => decompressLz4(input, length),
  LZ4_RAW: (input, length) => decompressLz4Raw(input, length),
};
const zstd = (zlib as { zstdDecompressSync?: (input: Uint8Array) => Uint8Array }).zstdDecompressSync;
compressors.ZSTD = zstd ? (input) => zstd(input) : (input) => decompressZstd(input);

/** ISO 8601 at the unit's precision from an integer count since the epoch (`digits`: 3, 6 or 9). */
function isoFrom(count: bigint, digits: number): string {
  const per = 10n ** BigInt(digits);
  let seconds = count / per;
  let fraction = count % per;
  if (fraction < 0n) {
    fraction += per;
    seconds -= 1n;
  }
  const whole = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${whole}.${fraction.toString().padStart(digits, '0')}Z`;
}

const parsers: Partial<ParquetParsers> = {
  timestampFromMilliseconds: (millis) => isoFrom(BigInt(millis), 3),
  timestampFromMicroseconds: (micros) => isoFrom(BigInt(micros), 6),
  timestampFromNanoseconds: (nanos) => isoFrom(BigInt(nanos), 9),
  dateFromDays: (days) => new Date(Number(days) * 86_400_000).toISOString().slice(0, 10),
};

/**
 * hyparquet turns DECIMAL into a float (inexact past 15 digits): the annotation is taken off the
 * metadata's schema here, so the unscaled integers come through as stored, and kept aside by element.
 */
function takeDecimals(metadata: FileMetaData): Map<SchemaElement, DecimalColumn> {
  const decimals = new Map<SchemaElement, DecimalColumn>();
  metadata.schema = metadata.schema.map((element) => {
    const logical = element.logical_type;
    if (element.converted_type !== 'DECIMAL' && logical?.type !== 'DECIMAL') return element;
    const scale = logical?.type === 'DECIMAL' ? logical.scale : (element.scale ?? 0);
    const plain: SchemaElement = { ...element };
    delete plain.converted_type;
    delete plain.logical_type;
    decimals.set(plain, { scale });
    return plain;
  });
  return decimals;
}

/** A big-endian two's complement integer (FIXED_LEN_BYTE_ARRAY and BYTE_ARRAY decimals). */
function signedBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  if (bytes.length > 0 && (bytes[0]! & 0x80) !== 0) value -= 1n << BigInt(bytes.length * 8);
  return value;
}

/** The exact decimal text of unscaled × 10^-scale. */
function decimalText(unscaled: bigint, scale: number): string {
  if (scale <= 0) return (unscaled * 10n ** BigInt(-scale)).toString();
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One value of a schema node as the ledger keeps it (see the module comment). */
function convert(node: SchemaTree, value: unknown, decimals: Map<SchemaElement, DecimalColumn>): unknown {
  if (value === null || value === undefined) return null;
  const { element, children } = node;
  if (children.length === 0) {
    const decimal = decimals.get(element);
    if (decimal) {
      const unscaled = value instanceof Uint8Array ? signedBigInt(value) : BigInt(value as number | bigint);
      return new LosslessNumber(decimalText(unscaled, decimal.scale));
    }
    if (typeof value === 'bigint') return new LosslessNumber(value.toString());
    if (value instanceof Uint8Array) {
      try {
        return utf8.decode(value);
      } catch {
        return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
      }
    }
    if (value instanceof Date) return value.toISOString();
    return value;
  }
  if (element.converted_type === 'LIST' || element.logical_type?.type === 'LIST') {
    // <list> (repeated group) <element>, or a two-level list whose repeated node is the element.
    const repeated = children[0]!;
    const item = repeated.children.length === 1 ? repeated.children[0]! : repeated;
    return (value as unknown[]).map((each) => convert(item, each, decimals));
  }
  if (element.converted_type === 'MAP' || element.logical_type?.type === 'MAP') {
    const valueNode = children[0]!.children[1];
    const out: Record<string, unknown> = {};
    for (const [name, each] of Object.entries(value as Record<string, unknown>)) {
      out[name] = valueNode ? convert(valueNode, each, decimals) : null;
    }
    return out;
  }
  if (element.repetition_type === 'REPEATED' && Array.isArray(value)) {
    return value.map((each) => convertStruct(node, each, decimals));
  }
  return convertStruct(node, value, decimals);
}

function convertStruct(
  node: SchemaTree,
  value: unknown,
  decimals: Map<SchemaElement, DecimalColumn>,
): Record<string, unknown> | null {
  if (value === null || value === undefined) return null;
  const row = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const child of node.children) {
    const name = child.element.name;
    if (name === '__proto__') {
      Object.defineProperty(out, name, {
        value: convert(child, row[name], decimals),
        writable: true,
        enumerable: true,
        configurable: true,
      });
    } else out[name] = convert(child, row[name], decimals);
  }
  return out;
}

/** A failure of the file itself, named: I/O errors (eventline's own, from the reader) pass through. */
function badFile(key: string, where: string, error: unknown): unknown {
  if (error instanceof EventlineError) return error;
  return new PermanentError(
    'bad-parquet',
    `${key}: not a readable Parquet file: ${where}${(error as Error).message}`,
    {
      cause: error,
    },
  );
}

/**
 * Decoded rows held at once: a row group is decoded a window of rows at a time, each window about this
 * many bytes of the group's uncompressed column data (a Firehose or Spark row group is often 128 MB;
 * its rows decoded at once would be several times that in memory).
 */
export const WINDOW_BYTES = 4 * 1024 * 1024;

/** Rows per window of a row group of `rows` rows and `uncompressedBytes` of column data (at least 1). */
export function windowRows(rows: number, uncompressedBytes: number): number {
  if (!(uncompressedBytes > WINDOW_BYTES) || rows <= 1) return Math.max(1, rows);
  return Math.max(1, Math.floor((rows * WINDOW_BYTES) / uncompressedBytes));
}

/**
 * The file as one row group's windows read it: each byte range is fetched once (a window asks for the
 * same whole column chunks as the one before) and kept until the next row group, which starts afresh.
 */
function groupRanges(file: AsyncBuffer): AsyncBuffer {
  const fetched = new Map<string, Promise<ArrayBuffer>>();
  return {
    byteLength: file.byteLength,
    slice: (start, end) => {
      const range = `${start}-${end ?? file.byteLength}`;
      let bytes = fetched.get(range);
      if (!bytes) {
        bytes = Promise.resolve(file.slice(start, end));
        fetched.set(range, bytes);
      }
      return bytes;
    },
  };
}

/**
 * Reads the file's records from `options.resume.index` (the row to start from; 0 without one).
 * Each record's resume point is its row: `byte` the start of its row group, `index` the row.
 */
export async function* decodeParquet(file: RangeReader, options: DecoderOptions): AsyncGenerator<Decoded> {
  const { key } = options;
  const buffer: AsyncBuffer = {
    byteLength: file.byteLength,
    slice: async (start, end) => {
      const bytes = await file.read(start, end ?? file.byteLength);
      // hyparquet wants an ArrayBuffer of exactly the range.
      return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
        ? (bytes.buffer as ArrayBuffer)
        : (bytes.slice().buffer as ArrayBuffer);
    },
  };
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(buffer, { parsers });
  } catch (error) {
    throw badFile(key, `its footer: `, error);
  }
  const decimals = takeDecimals(metadata);
  let tree: SchemaTree;
  try {
    tree = parquetSchema(metadata);
  } catch (error) {
    throw badFile(key, 'its schema: ', error);
  }
  const from = options.resume?.index ?? 0;
  let groupStart = 0;
  for (const [g, group] of metadata.row_groups.entries()) {
    const rows = Number(group.num_rows);
    const groupEnd = groupStart + rows;
    if (groupEnd <= from || rows === 0) {
      groupStart = groupEnd;
      continue;
    }
    const byte = Number(
      group.columns[0]?.meta_data?.dictionary_page_offset ??
        group.columns[0]?.meta_data?.data_page_offset ??
        0,
    );
    // This row group's byte ranges, fetched once for all its windows and dropped with the group.
    const file = groupRanges(buffer);
    const step = windowRows(rows, Number(group.total_byte_size));
    for (let windowStart = Math.max(groupStart, from); windowStart < groupEnd; windowStart += step) {
      const windowEnd = Math.min(groupEnd, windowStart + step);
      let objects: Record<string, unknown>[];
      try {
        objects = await parquetReadObjects({
          file,
          metadata,
          rowStart: windowStart,
          rowEnd: windowEnd,
          // Whole column chunks (the same ranges for every window of the group, fetched once).
          useOffsetIndex: false,
          utf8: false,
          parsers,
          compressors,
        });
      } catch (error) {
        throw badFile(key, `row group ${g} (rows ${groupStart}–${groupEnd - 1}): `, error);
      }
      if (objects.length !== windowEnd - windowStart) {
        throw new PermanentError(
          'bad-parquet',
          `${key}: not a readable Parquet file: row group ${g} holds ${objects.length} rows from row ${windowStart} to ${windowEnd - 1}, its metadata says ${windowEnd - windowStart}`,
        );
      }
      for (const [i, object] of objects.entries()) {
        const index = windowStart + i;
        objects[i] = undefined as unknown as Record<string, unknown>; // released as it goes
        yield {
          value: convertStruct(tree, object, decimals),
          position: { index },
          resumeAt: { byte, line: 0, index },
        };
      }
    }
    groupStart = groupEnd;
  }
}
