import { PermanentError, type Position, RecordError } from '../errors.ts';
import { convertCell, setField } from './cells.ts';
import { MAX_LINE_CHARS } from './json.ts';
import { type LogSettings, logSettings } from './log-settings.ts';
import { LineSplitter, type TextLine, utf8Chunks } from './text.ts';
import type { Decoded, DecoderOptions } from './types.ts';

/**
 * `log`: delimited log lines, one record per line, streamed line by line (memory holds one line).
 * The route's `log.preset` gives AWS's field lists and quoting (ALB, CLB, S3 server access logs,
 * VPC Flow Logs, CloudFront standard logs); `generic` takes delimiter, quote and field names from
 * the route. A quoted field runs to the first quote followed by the delimiter or the line's end (a
 * backslash escapes the next character), so a stray quote inside a user agent does not end it.
 * A field equal to `nullValue` (AWS's `-`) is null; typed fields become exact numbers, booleans or
 * JSON. A line that cannot be split or typed is a record error naming line, column and field; the
 * rest goes on. A header line (VPC Flow Logs in S3) or CloudFront's `#Fields:` names the fields.
 *
 * Records are whole lines, so the byte offset after each record is the offset after its line:
 * ingestion's line-end tracker turns a record's line into the byte where a continuation resumes.
 */

export type SplitResult = { fields: string[] } | { problem: string; column: number };

/**
 * Splits one line into its fields. Quoted (and, with `brackets`, `[...]`) fields lose their quotes;
 * inside them a backslash escapes the next character.
 */
export function splitLine(
  text: string,
  delimiter: string,
  quote: string | undefined,
  brackets: boolean,
): SplitResult {
  const fields: string[] = [];
  const n = text.length;
  let i = 0;
  for (;;) {
    const open = text[i];
    const close = open === quote && quote !== undefined ? quote : brackets && open === '[' ? ']' : undefined;
    if (close !== undefined) {
      const start = i;
      let value = '';
      let from = i + 1;
      let j = from;
      let closed = false;
      while (j < n) {
        const c = text.charCodeAt(j);
        if (c === 92 /* \ */ && j + 1 < n) {
          value += text.slice(from, j) + text[j + 1];
          j += 2;
          from = j;
          continue;
        }
        if (text[j] === close && (j + 1 === n || text.startsWith(delimiter, j + 1))) {
          value += text.slice(from, j);
          closed = true;
          break;
        }
        j += 1;
      }
      if (!closed) return { problem: `the ${open} opened here is never closed`, column: start + 1 };
      fields.push(value);
      i = j + 1;
    } else {
      const end = text.indexOf(delimiter, i);
      fields.push(end === -1 ? text.slice(i) : text.slice(i, end));
      if (end === -1) return { fields };
      i = end;
    }
    if (i >= n) return { fields };
    i += delimiter.length;
  }
}

function checkFields(names: readonly string[], settings: LogSettings, key: string, line: number): void {
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (name === '' || seen.has(name)) {
      throw new PermanentError(
        'bad-log-header',
        `${key}: line ${line}: field ${i + 1} ${name === '' ? 'has no name' : `"${name}" appears twice`}`,
        { position: { line, column: i + 1 } },
      );
    }
    seen.add(name);
  });
  const missing = Object.keys(settings.routeTypes).filter((name) => !seen.has(name));
  if (missing.length > 0) {
    throw new PermanentError(
      'bad-log-header',
      `${key}: the route's log.types name field(s) ${missing.map((m) => `"${m}"`).join(', ')} that the log does not have (fields: ${names.join(' ')})`,
      { position: { line } },
    );
  }
}

/** Each chunk's lines, then the last line's (a file not ending with a line break). */
async function* batches(chunks: AsyncIterable<string>, splitter: LineSplitter): AsyncGenerator<TextLine[]> {
  for await (const chunk of chunks) yield splitter.push(chunk);
  yield splitter.end();
}

export async function* decodeLog(
  source: AsyncIterable<Uint8Array>,
  { route, key, resume }: DecoderOptions,
): AsyncGenerator<Decoded> {
  const settings = logSettings(route);
  const { delimiter, quote, brackets, nullValue, types } = settings;
  let fields = settings.fields;
  let exact = settings.fieldsFromRoute || route.log.preset === 'generic';
  let needHeader = settings.header;
  let checked = false;
  // A resumed read (headerless logs only, see logResumable) numbers lines and records on.
  let index = resume?.index ?? 0;

  const takeHeader = (names: string[], line: number): void => {
    if (settings.fieldsFromRoute && names.join('\u0000') !== fields!.join('\u0000')) {
      throw new PermanentError(
        'bad-log-header',
        `${key}: line ${line}: the header names fields "${names.join(' ')}", the route's log.fields are "${fields!.join(' ')}"`,
        { position: { line } },
      );
    }
    checkFields(names, settings, key, line);
    fields = names;
    exact = true;
    checked = true;
  };

  const chunks = utf8Chunks(source, key, { midFile: resume !== undefined });
  const splitter = new LineSplitter(MAX_LINE_CHARS, resume?.line);
  // The lines of each chunk in a plain loop: no await per line (the log decoder's hot path).
  for await (const batch of batches(chunks, splitter))
    for (const { text, line, tooLong } of batch) {
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
      if (text.trim() === '') continue;
      if (settings.directives && text.startsWith('#')) {
        if (text.startsWith('#Fields:')) takeHeader(text.slice('#Fields:'.length).trim().split(/\s+/), line);
        continue;
      }
      if (needHeader) {
        needHeader = false;
        takeHeader(text.trim().split(delimiter), line);
        continue;
      }
      if (!fields) {
        throw new PermanentError(
          'bad-log-header',
          `${key}: line ${line}: a record before the line naming the fields`,
          {
            position: { line },
          },
        );
      }
      if (!checked) {
        checkFields(fields, settings, key, line);
        checked = true;
      }
      const position: Position = { line, index: index++ };
      const split = splitLine(text, delimiter, quote, brackets);
      if ('problem' in split) {
        yield {
          error: new RecordError(
            'unclosed-quote',
            `${key}: line ${line}, column ${split.column}: ${split.problem}`,
            {
              position: { ...position, column: split.column },
            },
          ),
        };
        continue;
      }
      const cells = split.fields;
      const tooFew = cells.length < (exact ? fields.length : settings.minFields);
      if (tooFew || (exact && cells.length > fields.length)) {
        const expected = exact ? `${fields.length}` : `at least ${settings.minFields}`;
        yield {
          error: new RecordError(
            'field-count',
            `${key}: line ${line}: expected ${expected} fields, got ${cells.length}`,
            {
              position,
            },
          ),
        };
        continue;
      }
      const value: Record<string, unknown> = {};
      let failure: RecordError | undefined;
      const count = Math.min(cells.length, fields.length);
      for (let i = 0; i < count; i++) {
        const name = fields[i]!;
        const cell = cells[i]!;
        if (cell === nullValue) {
          setField(value, name, null);
          continue;
        }
        const type = types[name];
        if (type === undefined || type === 'string') {
          setField(value, name, cell);
          continue;
        }
        const converted = convertCell(cell, type);
        if ('problem' in converted) {
          failure = new RecordError(
            converted.code,
            `${key}: line ${line}, field ${i + 1} ("${name}"): ${converted.problem}`,
            {
              position: { ...position, column: i + 1, field: name },
            },
          );
          break;
        }
        setField(value, name, converted.value);
      }
      if (failure) {
        yield { error: failure };
        continue;
      }
      if (cells.length > fields.length) value._extra = cells.slice(fields.length);
      yield { value, position };
    }
}
