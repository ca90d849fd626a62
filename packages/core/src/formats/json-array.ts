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

  constructor(private readonly objectKey: string) {}

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

function syntaxError(key: string, error: unknown, where: string, index: number): PermanentError {
  const e = error as Partial<VerifierError>;
  const reason = (e.message ?? String(error))
    .replace(/^ERROR at \d+ \(\d+, \d+\): /, '')
    .replace(/^\w+ cannot parse input: /, '');
  const at = e.line !== undefined ? ` at line ${e.line}, column ${e.pos}` : '';
  return new PermanentError('malformed-json', `${key}: malformed JSON${at}, ${where}: ${reason}`, {
    cause: error,
    position: e.line !== undefined ? { line: e.line, column: e.pos ?? 0, index } : { index },
  });
}

export async function* decodeJsonArray(
  source: AsyncIterable<Uint8Array>,
  { key, route }: DecoderOptions,
): AsyncGenerator<Decoded> {
  // `cloudtrail` is json-array with its records at `Records`; any route may name a records path.
  const recordsPath = route.jsonArray.recordsPath || (route.format === 'cloudtrail' ? 'Records' : '');
  const path = recordsPath ? new RecordsPath(recordsPath, key) : undefined;
  const verify = jsonVerifier();
  const tokenize = jsonParser({ streamValues: false });
  const builder = new ElementBuilder(key);
  let consumed = 0;
  let blank = true;

  function* feed(text: string): Generator<Decoded> {
    const tokens = tokenize(text);
    if (tokens === none) return;
    for (const token of getManyValues(tokens)) {
      const inArray = path ? path.push(token) : token;
      if (!inArray) continue;
      const decoded = builder.push(inArray);
      if (decoded) yield decoded;
    }
  }

  for await (const text of utf8Chunks(source, key)) {
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
      throw syntaxError(key, error, where, builder.index);
    }
    consumed += text.length;
    yield* feed(text);
  }
  if (blank) return;
  try {
    verify(END);
  } catch (error) {
    throw syntaxError(key, error, 'the file ends before the array is closed', builder.index);
  }
  yield* feed(END);
  path?.finish();
}
