import { LosslessNumber } from 'lossless-json';
import { getManyValues, none } from 'stream-chain/defs.js';
import { jsonParser, type Token } from 'stream-json/core/parser.js';
import { jsonVerifier, type VerifierError } from 'stream-json/core/utils/verifier.js';
import { PermanentError, RecordError } from '../errors.ts';
import { MAX_LINE_CHARS } from './json.ts';
import { RecordsPath } from './records-path.ts';
import { utf8Chunks } from './text.ts';
import type { Decoded, DecoderOptions } from './types.ts';

/**
 * `json-array`: one top-level JSON array, streamed element by element with stream-json's tokenizer,
 * so memory holds one element, not the file. Numbers are kept as their exact decimal text
 * (LosslessNumber), which stream-json's own Assembler cannot do (it offers floats or plain strings).
 *
 * stream-json's verifier runs over the same text first: it names the exact line and column of a
 * syntax error, and only the text before the error is handed to the tokenizer, so every element
 * before a syntax error is read (and written) and the error names the element it is in. A syntax
 * error fails the file (the rest cannot be read reliably); a bad element (not an object, too large,
 * too deep) is a record error and the rest goes on. An empty or blank file holds no records.
 * With a records path (`jsonArray.recordsPath`, `Records` for format `cloudtrail`) the array is
 * found inside a JSON object (records-path.ts) and the rest of the document is skipped.
 *
 * Each element carries its resume point, just past the comma before it (or the `[`): a paused file
 * resumes with a ranged read there, the reader putting back a `[` so the rest parses as an array.
 */

/** Largest element accepted, in characters of its tokens; larger ones are skipped as record errors. */
export const MAX_ELEMENT_CHARS = MAX_LINE_CHARS;
/** Deepest nesting inside one element; DynamoDB stores 32 levels, this only guards the decoder. */
export const MAX_ELEMENT_DEPTH = 128;

type Container = Record<string, unknown> | unknown[];
/** stream-chain's end-of-input marker: its flushable stages take it in place of their input type. */
const END = none as unknown as string;
type Problem = { code: string; message: string };

/** Builds array elements from tokens, holding at most one element. */
class ElementBuilder {
  index = 0;
  private started = false;
  private closed = false;
  private stack: Container[] = [];
  private key: string | undefined;
  private chars = 0;
  /** While skipping a bad element: its open nesting and why it is skipped. */
  private skipDepth = 0;
  private problem: Problem | undefined;

  constructor(
    private readonly objectKey: string,
    firstIndex = 0,
  ) {
    this.index = firstIndex;
  }

  get complete(): boolean {
    return this.closed;
  }

  /** Consumes one token; returns an element (or the failure of one) when it completes. */
  push(token: Token): Decoded | undefined {
    if (!this.started) {
      if (token.name !== 'startArray') {
        throw new PermanentError(
          'not-an-array',
          `${this.objectKey}: expected a JSON array (format json-array), found ${describe(token)}`,
          { position: { index: 0 } },
        );
      }
      this.started = true;
      return undefined;
    }
    if (this.closed) return undefined;
    if (this.problem) return this.skip(token);
    if (this.stack.length === 0) {
      if (token.name === 'endArray') {
        this.closed = true;
        return undefined;
      }
      this.chars = 0;
    }
    this.chars += 1 + ('value' in token && typeof token.value === 'string' ? token.value.length : 0);
    if (this.chars > MAX_ELEMENT_CHARS) {
      return this.startSkipping(token, {
        code: 'record-too-large',
        message: `element is larger than ${MAX_ELEMENT_CHARS} characters`,
      });
    }
    switch (token.name) {
      case 'keyValue':
        this.key = token.value;
        return undefined;
      case 'stringValue':
        return this.add(token.value);
      case 'numberValue':
        return this.add(new LosslessNumber(token.value));
      case 'nullValue':
        return this.add(null);
      case 'trueValue':
        return this.add(true);
      case 'falseValue':
        return this.add(false);
      case 'startObject':
      case 'startArray': {
        if (this.stack.length >= MAX_ELEMENT_DEPTH) {
          return this.startSkipping(token, {
            code: 'too-deep',
            message: `element is nested deeper than ${MAX_ELEMENT_DEPTH} levels`,
          });
        }
        const container: Container = token.name === 'startObject' ? {} : [];
        if (this.stack.length > 0) this.add(container);
        this.stack.push(container);
        return undefined;
      }
      case 'endObject':
      case 'endArray': {
        const done = this.stack.pop();
        return this.stack.length === 0 ? this.element(done) : undefined;
      }
      default:
        return undefined;
    }
  }

  private add(value: unknown): Decoded | undefined {
    const parent = this.stack.at(-1);
    if (parent === undefined) return this.element(value);
    if (Array.isArray(parent)) parent.push(value);
    else {
      const key = this.key ?? '';
      this.key = undefined;
      // As JSON.parse does: "__proto__" is an own property, never the prototype.
      if (key === '__proto__') {
        Object.defineProperty(parent, key, { value, writable: true, enumerable: true, configurable: true });
      } else parent[key] = value;
    }
    return undefined;
  }

  private element(value: unknown): Decoded {
    return { value, position: { index: this.index++ } };
  }

  private startSkipping(token: Token, problem: Problem): Decoded | undefined {
    this.problem = problem;
    this.skipDepth = this.stack.length;
    this.stack = [];
    this.key = undefined;
    return this.skip(token);
  }

  private skip(token: Token): Decoded | undefined {
    if (token.name === 'startObject' || token.name === 'startArray') this.skipDepth += 1;
    else if (token.name === 'endObject' || token.name === 'endArray') this.skipDepth -= 1;
    else if (token.name === 'keyValue' || this.skipDepth > 0) return undefined;
    if (this.skipDepth > 0) return undefined;
    const { code, message } = this.problem!;
    this.problem = undefined;
    const position = { index: this.index++ };
    return {
      error: new RecordError(code, `${this.objectKey}: record ${position.index}: ${message}`, { position }),
    };
  }
}

function describe(token: Token): string {
  switch (token.name) {
    case 'startObject':
      return 'an object';
    case 'stringValue':
      return 'a string';
    case 'numberValue':
      return 'a number';
    default:
      return token.name.replace(/Value$/, '');
  }
}

function syntaxError(
  key: string,
  error: unknown,
  where: string,
  index: number,
  linesBefore = 0,
): PermanentError {
  const e = error as Partial<VerifierError>;
  // A resumed read counts lines from its start: the file's numbering continues after linesBefore.
  const line = e.line === undefined ? undefined : e.line + linesBefore;
  const reason = (e.message ?? String(error))
    .replace(/^ERROR at \d+ \(\d+, \d+\): /, '')
    .replace(/^\w+ cannot parse input: /, '');
  const at = line !== undefined ? ` at line ${line}, column ${e.pos}` : '';
  return new PermanentError('malformed-json', `${key}: malformed JSON${at}, ${where}: ${reason}`, {
    cause: error,
    position: line !== undefined ? { line, column: e.pos ?? 0, index } : { index },
  });
}

/**
 * Counts the bytes and lines of the text the tokenizer is given and notes, in order, where each
 * element starts: just after the array's `[` and after each comma at the array's own depth, outside
 * strings. stream-json's tokens carry no offsets, so this scan is how a record's resume point is
 * known exactly; the nth start belongs to the nth element the builder completes.
 */
class ElementStarts {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private byte = 0;
  private line = 0;
  private readonly starts: Array<{ byte: number; line: number }> = [];
  private next = 0;

  /** `resumed`: the text starts inside the array, where element `0` (of this read) starts. */
  constructor(resumed: boolean, linesBefore: number) {
    this.line = linesBefore;
    if (resumed) {
      this.depth = 1;
      this.starts.push({ byte: 0, line: this.line });
    }
  }

  scan(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      // UTF-8 length of this UTF-16 unit (a surrogate pair is 4 bytes, 2 per half).
      this.byte += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3;
      if (c === 10) this.line += 1;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 92) this.escaped = true;
        else if (c === 34) this.inString = false;
        continue;
      }
      if (c === 34) this.inString = true;
      else if (c === 91 || c === 123) {
        this.depth += 1;
        if (this.depth === 1 && c === 91) this.starts.push({ byte: this.byte, line: this.line });
      } else if (c === 93 || c === 125) this.depth -= 1;
      else if (c === 44 && this.depth === 1) this.starts.push({ byte: this.byte, line: this.line });
    }
  }

  /** The start of the next element completed. */
  take(): { byte: number; line: number } | undefined {
    const start = this.starts[this.next];
    if (start === undefined) return undefined;
    this.next += 1;
    if (this.next > 64) {
      this.starts.splice(0, this.next);
      this.next = 0;
    }
    return start;
  }
}

export async function* decodeJsonArray(
  source: AsyncIterable<Uint8Array>,
  { key, route, resume }: DecoderOptions,
): AsyncGenerator<Decoded> {
  // `cloudtrail` is json-array with its records at `Records`; any route may name a records path.
  const recordsPath = route.jsonArray.recordsPath || (route.format === 'cloudtrail' ? 'Records' : '');
  const path = recordsPath ? new RecordsPath(recordsPath, key) : undefined;
  const verify = jsonVerifier();
  const tokenize = jsonParser({ streamValues: false });
  const builder = new ElementBuilder(key, resume?.index);
  const linesBefore = resume?.line ?? 0;
  // Resume points need the array at the top: with a records path a paused file re-reads and skips.
  const starts = path ? undefined : new ElementStarts(resume !== undefined, linesBefore);
  const bom = { bytes: 0 };
  let consumed = 0;
  let blank = resume === undefined;

  function* feed(text: string): Generator<Decoded> {
    if (text !== END) starts?.scan(text);
    const tokens = tokenize(text);
    if (tokens === none) return;
    for (const token of getManyValues(tokens)) {
      const inArray = path ? path.push(token) : token;
      if (!inArray) continue;
      const decoded = builder.push(inArray);
      if (!decoded) continue;
      const start = starts?.take();
      const index = 'error' in decoded ? decoded.error.position?.index : decoded.position.index;
      if (start) decoded.resumeAt = { byte: bom.bytes + start.byte, line: start.line, index: index ?? 0 };
      yield decoded;
    }
  }

  if (resume) {
    // The rest of the array, from an element's start: a `[` in front makes it an array again.
    verify('[');
    const tokens = tokenize('[');
    if (tokens !== none) for (const token of getManyValues(tokens)) builder.push(token);
    consumed = 1; // the verifier's offsets count the `[`
  }

  for await (const text of utf8Chunks(source, key, { midFile: resume !== undefined, bom })) {
    if (blank && text.trim() !== '') blank = false;
    try {
      verify(text);
    } catch (error) {
      const offset = (error as Partial<VerifierError>).offset;
      const before = offset === undefined ? '' : text.slice(0, Math.max(0, offset - consumed));
      try {
        yield* feed(before);
      } catch {
        // The verifier has the better message; the tokenizer only confirms it.
      }
      const where = builder.complete
        ? 'after the end of the array'
        : `in record ${builder.index} (the records before it were read)`;
      throw syntaxError(key, error, where, builder.index, linesBefore);
    }
    consumed += text.length;
    yield* feed(text);
  }
  if (blank) return;
  try {
    verify(END);
  } catch (error) {
    throw syntaxError(key, error, 'the file ends before the array is closed', builder.index, linesBefore);
  }
  yield* feed(END);
  path?.finish();
}
