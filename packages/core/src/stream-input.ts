import type { Route } from '@eventline/config/runtime';
import type { UseCaseContext } from './context.ts';
import { PermanentError, TransientError } from './errors.ts';
import type { ObjectEvent } from './events.ts';
import { decoderFor, limitBytes, limitText, maybeGunzip } from './formats/index.ts';
import { logResumable } from './formats/log-settings.ts';
import type { Decoded, DecoderResume } from './formats/types.ts';
import type { Checkpoint } from './ports.ts';

/**
 * The input of a streamed route (every format but `parquet`): one GET of the object, from its start
 * or from a checkpoint's byte, decompressed, size-limited, and handed to the route's decoder.
 */

/** What ingest reads records from, whatever the format. */
export interface FileInput {
  records: AsyncIterable<Decoded>;
  /** The version S3 served, once known. */
  readonly versionId?: string | undefined;
  /** The object's bytes as the outcome counts them. */
  bytes(): number;
  /** Whether the object is gzip (a checkpoint then counts inflated bytes). */
  gzip?(): boolean;
  /** Line ends of a line-per-record format, for a checkpoint after the last line handled. */
  lineEnds?: LineEnds | undefined;
  /** Where the resume points' `byte` count from. */
  base: number;
}

/**
 * Byte offsets of line ends in the (uncompressed) stream, so a paused NDJSON file resumes with a
 * ranged GET just after the last line handled. Only the line ends not yet handled are kept.
 */
export class LineEnds {
  private readonly ends: Array<{ line: number; after: number }> = [];
  private line = 0;

  constructor(private offset: number) {}

  async *track(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) {
        this.line += 1;
        this.ends.push({ line: this.line, after: this.offset + i + 1 });
      }
      this.offset += chunk.length;
      yield chunk;
    }
  }

  /** The offset just after (relative) line `line`, dropping the ends before it. */
  after(line: number): number | undefined {
    while (this.ends.length > 0 && this.ends[0]!.line < line) this.ends.shift();
    const end = this.ends[0];
    return end?.line === line ? end.after : undefined;
  }
}

/**
 * Passes the decompressed bytes on from `offset`, dropping those before it (a gzip object resumed
 * by inflating it again: DEFLATE has no seek). `check` runs per chunk dropped and throws when the
 * segment's time is up, so a prefix too long to inflate again ends the segment as no progress.
 */
export async function* discardPrefix(
  source: AsyncIterable<Uint8Array>,
  offset: number,
  key: string,
  check: () => void,
): AsyncGenerator<Uint8Array> {
  let left = offset;
  for await (const chunk of source) {
    if (left === 0) {
      yield chunk;
      continue;
    }
    check();
    if (chunk.length <= left) {
      left -= chunk.length;
      continue;
    }
    yield chunk.subarray(left);
    left = 0;
  }
  if (left > 0) {
    throw new PermanentError(
      'changed-object',
      `${key}: the decompressed object ends ${left} bytes before its checkpoint at byte ${offset}`,
    );
  }
}

/** A segment that reached no new record: a failed attempt, retried as one (never a free handoff). */
export function noProgress(event: ObjectEvent, segment: number, doing: string): TransientError {
  return new TransientError(
    'no-progress',
    `${event.key}: continuation ${segment} made no progress: its time ran out ${doing}, before a new record`,
  );
}

export async function openStream(
  ctx: UseCaseContext,
  event: ObjectEvent,
  route: Route,
  max: number,
  options: {
    resume?: Checkpoint;
    decoderResume?: DecoderResume;
    served?: (versionId: string) => void;
    /** True when the segment's time to reach its checkpoint is up. */
    unreachable: () => boolean;
  },
): Promise<FileInput> {
  const { resume } = options;
  // Where this segment starts (see ports.ts Checkpoint): at a byte offset of the decompressed file,
  // by a ranged GET, or for a gzip object by inflating it again and discarding the bytes before;
  // a checkpoint from before byte offsets (no `offset`) re-reads and skips `records`.
  const at = resume?.offset;
  const fromByte = at && !resume?.inflated ? at : undefined;
  const opened = await ctx.source.open(event, fromByte ? { fromByte } : undefined);
  if (opened.versionId && opened.versionId !== 'null') options.served?.(opened.versionId);
  const total = (opened.contentLength ?? 0) + (fromByte ?? 0);
  if (opened.contentLength !== undefined && total > max) {
    throw new PermanentError('too-large', `${event.key}: ${total} bytes is over ${limitText(route)}`);
  }
  const raw = { bytes: 0 };
  let firstBytes: Uint8Array | undefined;
  async function* sniff(source: AsyncIterable<Uint8Array>) {
    for await (const chunk of source) {
      firstBytes ??= chunk;
      yield chunk;
    }
  }
  const segment = resume?.segments ?? 1;
  const decompressed = limitBytes(
    maybeGunzip(sniff(limitBytes(opened.body, max, event.key, raw, 'file', limitText(route))), {
      // An `object` route records the bytes as stored: a gzip file is a gzip file.
      compression: fromByte || route.format === 'object' ? 'none' : route.compression,
      key: event.key,
      ...(opened.contentEncoding && !fromByte ? { contentEncoding: opened.contentEncoding } : {}),
    }),
    max,
    event.key,
    { bytes: 0 },
    'decompressed file',
    limitText(route),
  );
  const input =
    at && resume?.inflated
      ? discardPrefix(decompressed, at, event.key, () => {
          if (options.unreachable()) throw noProgress(event, segment, `inflating it again up to byte ${at}`);
        })
      : decompressed;
  // One record per line: a paused file resumes at the byte after its last line handled (a log
  // whose fields come from a header line re-reads and skips instead).
  const lineEnds =
    route.format === 'ndjson' || (route.format === 'log' && logResumable(route))
      ? new LineEnds(at ?? 0)
      : undefined;
  const records = decoderFor(route.format)(lineEnds ? lineEnds.track(input) : input, {
    route,
    key: event.key,
    object: opened,
    ...(options.decoderResume ? { resume: options.decoderResume } : {}),
  });
  return {
    records,
    versionId: opened.versionId,
    bytes: () => raw.bytes + (fromByte ?? 0),
    gzip: () => firstBytes !== undefined && firstBytes[0] === 0x1f && firstBytes[1] === 0x8b,
    lineEnds,
    base: at ?? 0,
  };
}
