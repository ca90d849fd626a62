import type { Route } from '@eventline/config/runtime';
import type { Position, RecordError } from '../errors.ts';

/** One record out of a file: its value (numbers as exact LosslessNumber) and where it was. */
export interface DecodedRecord {
  value: unknown;
  position: Position;
  /** Set when a route's transform made several records of this one: which (0-based). */
  part?: number;
}

/** A record that could not be read; the file goes on (or fails, by the route's `onInvalid`). */
export interface DecodeFailure {
  error: RecordError;
}

export type Decoded = DecodedRecord | DecodeFailure;

export interface DecoderOptions {
  route: Route;
  /** Object key, for messages. */
  key: string;
}

/**
 * A decoder turns the (already decompressed) bytes of a file into records, streaming: it never
 * holds more than one record (plus a bounded read-ahead) in memory. A problem that makes the rest
 * of the file unreadable is thrown as a PermanentError naming the position.
 */
export type Decoder = (source: AsyncIterable<Uint8Array>, options: DecoderOptions) => AsyncIterable<Decoded>;

export const isFailure = (d: Decoded): d is DecodeFailure => 'error' in d;
