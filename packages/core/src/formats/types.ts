import type { Route } from '@eventline/config/runtime';
import type { Position, RecordError } from '../errors.ts';
import type { OpenedObject } from '../ports.ts';

/**
 * Where a read that handles this record first would start: `byte` is the offset in the decoder's
 * input (the decompressed bytes it was given, a BOM included), `line` the physical lines before it.
 * A paused file checkpoints the resume point of the record it stops before; a decoder given the
 * bytes from there (and `DecoderResume`) reads exactly the records that followed.
 */
export interface ResumePoint {
  byte: number;
  line: number;
  /** The decoder's index of this record (the next index, resumed there). */
  index: number;
  /** CSV: the header's column names, which the resumed read takes instead of a header row. */
  columns?: string[];
}

/** One record out of a file: its value (numbers as exact LosslessNumber) and where it was. */
export interface DecodedRecord {
  value: unknown;
  position: Position;
  resumeAt?: ResumePoint;
  /** Set when a route's transform made several records of this one: which (0-based). */
  part?: number;
}

/** A record that could not be read; the file goes on (or fails, by the route's `onInvalid`). */
export interface DecodeFailure {
  error: RecordError;
  resumeAt?: ResumePoint;
}

export type Decoded = DecodedRecord | DecodeFailure;

export interface DecoderOptions {
  route: Route;
  /** What GetObject said of the object, for `object` records. */
  object?: Pick<OpenedObject, 'contentType' | 'eTag' | 'versionId' | 'metadata' | 'tagCount'>;
  /** Object key, for messages. */
  key: string;
  /** Set when the input starts at a checkpoint rather than at the file's first byte. */
  resume?: DecoderResume;
}

/** What a decoder resuming mid-file needs to number and read the rest as the whole file would. */
export interface DecoderResume {
  /** Physical lines before the resume point: numbering continues after it. */
  line: number;
  /** Records decoded before it: the 0-based index of the next. */
  index: number;
  /** CSV: the header's column names (the header itself is not read again). */
  columns?: string[];
}

/**
 * A decoder turns the (already decompressed) bytes of a file into records, streaming: it never
 * holds more than one record (plus a bounded read-ahead) in memory. A problem that makes the rest
 * of the file unreadable is thrown as a PermanentError naming the position.
 */
export type Decoder = (source: AsyncIterable<Uint8Array>, options: DecoderOptions) => AsyncIterable<Decoded>;

export const isFailure = (d: Decoded): d is DecodeFailure => 'error' in d;
