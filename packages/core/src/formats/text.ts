import { PermanentError } from '../errors.ts';

/**
 * Text helpers shared by the text formats: strict UTF-8 decoding, line splitting and line numbers
 * of byte offsets.
 */

/** UTF-8's byte order mark, dropped at the start of a file. */
const BOM = [0xef, 0xbb, 0xbf];

export interface Utf8Options {
  /** Input that starts mid-file (a resumed read): a leading U+FEFF there is text, not a BOM. */
  midFile?: boolean;
  /** Set to the BOM's length in bytes (3) when one was dropped, before the first text is yielded. */
  bom?: { bytes: number };
}

/**
 * UTF-8 decoding shared by the text formats: strict (invalid bytes are an error naming the byte
 * offset, never replaced silently) and BOM-tolerant (a leading U+FEFF is dropped). Re-encoding the
 * text gives back the input bytes exactly, less the BOM: decoders count byte offsets on it.
 */
export async function* utf8Chunks(
  source: AsyncIterable<Uint8Array>,
  key: string,
  options: Utf8Options = {},
): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: options.midFile === true });
  let offset = 0;
  const head: number[] = [];
  for await (const chunk of source) {
    for (let i = 0; head.length < BOM.length && i < chunk.length; i++) head.push(chunk[i]!);
    if (options.bom && !options.midFile) {
      options.bom.bytes = head.length === BOM.length && head.every((b, i) => b === BOM[i]) ? BOM.length : 0;
    }
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch (error) {
      throw new PermanentError(
        'invalid-utf8',
        `${key}: invalid UTF-8 in bytes ${offset}..${offset + chunk.length}`,
        {
          cause: error,
        },
      );
    }
    offset += chunk.length;
    if (text) yield text;
  }
  let rest: string;
  try {
    rest = decoder.decode();
  } catch (error) {
    throw new PermanentError(
      'invalid-utf8',
      `${key}: invalid UTF-8 at the end of the file (byte ${offset})`,
      {
        cause: error,
      },
    );
  }
  if (rest) yield rest;
}

export interface TextLine {
  text: string;
  line: number;
  tooLong?: true;
}

/**
 * Splits text into lines (LF or CRLF) with 1-based numbers (after `linesBefore`, for a resumed read),
 * chunk by chunk and synchronously (a decoder loops over a chunk's lines without an await per line).
 * A line longer than `maxLine` characters is not buffered: it is reported once, as `tooLong`, when
 * it ends, so memory stays bounded.
 */
export class LineSplitter {
  private buffer = '';
  private line: number;
  private skipping = false;

  constructor(
    private readonly maxLine: number,
    linesBefore = 0,
  ) {
    this.line = linesBefore;
  }

  /** The lines that `chunk` ends. */
  push(chunk: string): TextLine[] {
    const out: TextLine[] = [];
    let start = 0;
    let nl = chunk.indexOf('\n');
    while (nl !== -1) {
      this.line += 1;
      if (this.skipping) {
        this.skipping = false;
        out.push({ text: '', line: this.line, tooLong: true });
      } else {
        const text = this.buffer + chunk.slice(start, nl);
        this.buffer = '';
        out.push({ text: text.endsWith('\r') ? text.slice(0, -1) : text, line: this.line });
      }
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
    }
    if (!this.skipping) {
      this.buffer += chunk.slice(start);
      if (this.buffer.length > this.maxLine) {
        this.buffer = '';
        this.skipping = true;
      }
    }
    return out;
  }

  /** The last line, when the text does not end with a line break. */
  end(): TextLine[] {
    if (this.skipping) return [{ text: '', line: this.line + 1, tooLong: true }];
    if (this.buffer.length === 0) return [];
    const text = this.buffer;
    return [{ text: text.endsWith('\r') ? text.slice(0, -1) : text, line: this.line + 1 }];
  }
}

/** The lines of a stream of text, one at a time (see LineSplitter). */
export async function* lines(
  chunks: AsyncIterable<string>,
  maxLine: number,
  linesBefore = 0,
): AsyncGenerator<TextLine> {
  const splitter = new LineSplitter(maxLine, linesBefore);
  for await (const chunk of chunks) yield* splitter.push(chunk);
  yield* splitter.end();
}

/** Converts a character offset in `text` to a 1-based line and column. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lastNl = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line += 1;
      lastNl = i;
    }
  }
  return { line, column: offset - lastNl };
}

/**
 * Physical line numbers of byte offsets in a stream, for decoders whose parser reports offsets but
 * counts lines its own way (csv-parse counts a CRLF inside a quoted field as two lines). A line
 * ends at LF, CRLF or a lone CR. Offsets must be asked in increasing order; bytes before the last
 * offset asked are dropped, so memory holds at most the chunks not yet passed.
 */
export class LineIndex {
  private readonly chunks: Buffer[] = [];
  /** Absolute offset of chunks[0]. */
  private base = 0;
  /** Bytes before this offset are counted. */
  private counted = 0;
  private breaks = 0;
  private lastByte = -1;

  append(chunk: Buffer): void {
    if (chunk.length > 0) this.chunks.push(chunk);
  }

  /** The 1-based line that the byte at `offset` is on (the line a record starting there starts on). */
  lineAt(offset: number): number {
    while (this.counted < offset && this.chunks.length > 0) {
      const chunk = this.chunks[0]!;
      const from = this.counted - this.base;
      const to = Math.min(chunk.length, offset - this.base);
      this.count(chunk.subarray(from, to));
      this.counted = this.base + to;
      if (to === chunk.length) {
        this.base += chunk.length;
        this.chunks.shift();
      }
    }
    return this.breaks + 1;
  }

  private count(bytes: Buffer): void {
    if (bytes.length === 0) return;
    for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) {
      const previous = i > 0 ? bytes[i - 1] : this.lastByte;
      if (previous !== 13) this.breaks += 1;
    }
    for (let i = bytes.indexOf(13); i !== -1; i = bytes.indexOf(13, i + 1)) this.breaks += 1;
    this.lastByte = bytes[bytes.length - 1]!;
  }
}
