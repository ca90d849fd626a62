import { parse } from 'lossless-json';
import { PermanentError, RecordError } from '../errors.ts';
import { lineColumn, lines, utf8Chunks } from './text.ts';
import type { Decoded, DecoderOptions } from './types.ts';

/** Longest NDJSON line accepted; a record must fit in a DynamoDB item (400 KB) or S3 overflow anyway. */
export const MAX_LINE_CHARS = 16 * 1024 * 1024;

function parsePosition(message: string): number | undefined {
  const match = /at position (\d+)/.exec(message);
  return match ? Number(match[1]) : undefined;
}

/** Parses JSON text keeping every number's exact decimal text. */
export function parseExact(text: string): unknown {
  return parse(text);
}

/** `json`: the whole file is one JSON value (the seed's format). */
export async function* decodeJson(
  source: AsyncIterable<Uint8Array>,
  { key }: DecoderOptions,
): AsyncGenerator<Decoded> {
  let text = '';
  for await (const chunk of utf8Chunks(source, key)) text += chunk;
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '')
    throw new PermanentError('empty-file', `${key}: the file is empty; expected a JSON object`);
  let value: unknown;
  try {
    value = parseExact(text);
  } catch (error) {
    const message = (error as Error).message;
    const offset = parsePosition(message);
    const position = offset === undefined ? undefined : lineColumn(text, offset);
    const where = position ? ` at line ${position.line}, column ${position.column}` : '';
    throw new PermanentError(
      'malformed-json',
      `${key}: malformed JSON${where}: ${message.replace(/ at position \d+$/, '')}`,
      {
        cause: error,
        ...(position ? { position } : {}),
      },
    );
  }
  yield { value, position: { line: 1, index: 0 } };
}

/** `ndjson` / JSON Lines: one JSON value per line; a bad line is a record error, the rest goes on. */
export async function* decodeNdjson(
  source: AsyncIterable<Uint8Array>,
  { key, resume }: DecoderOptions,
): AsyncGenerator<Decoded> {
  let index = resume?.index ?? 0;
  const chunks = utf8Chunks(source, key, { midFile: resume !== undefined });
  for await (const { text, line, tooLong } of lines(chunks, MAX_LINE_CHARS, resume?.line)) {
    const body = line === 1 && !resume && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    if (tooLong) {
      yield {
        error: new RecordError(
          'line-too-long',
          `${key}: line ${line} is longer than ${MAX_LINE_CHARS} characters`,
          {
            position: { line },
          },
        ),
      };
      continue;
    }
    if (body.trim() === '') continue;
    try {
      yield { value: parseExact(body), position: { line, index: index++ } };
    } catch (error) {
      const message = (error as Error).message;
      const offset = parsePosition(message);
      const column = offset === undefined ? undefined : offset + 1;
      yield {
        error: new RecordError(
          'malformed-json',
          `${key}: line ${line}${column ? `, column ${column}` : ''}: malformed JSON: ${message.replace(/ at position \d+$/, '')}`,
          { cause: error, position: column ? { line, column } : { line } },
        ),
      };
    }
  }
}
