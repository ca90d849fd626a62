import type { Route } from '@eventline/config/runtime';
import { type CsvError, parse } from 'csv-parse';
import { PermanentError, type Position, RecordError } from '../errors.ts';
import { convertCell as convert, setField } from './cells.ts';
import { MAX_LINE_CHARS } from './json.ts';
import { LineIndex, utf8Chunks } from './text.ts';
import type { Decoded, DecoderOptions, ResumePoint } from './types.ts';

/**
 * `csv`: a header row, then one record per row, parsed by csv-parse as the bytes stream in (one
 * chunk of records in memory at a time). The route sets the delimiter, the quote (doubled to
 * escape itself, as RFC 4180 does with `"`) and column types:
 * - `number` keeps the exact decimal text (LosslessNumber); `+1`, `.5` and `1.` are normalised to
 *   JSON's spelling, an empty cell is null, anything else is a record error naming line and column;
 * - `boolean` takes true/false in any case (empty: null); `json` parses the cell as JSON (empty:
 *   null); other columns stay strings.
 * A row whose field count differs from the header's is a record error and the rest goes on; blank
 * lines are skipped. Broken quoting fails the file (the parser cannot tell where the next record
 * starts), naming the line of the record it is in; the records before it were read.
 * Lines are physical lines of the file (quoted newlines included), the line a record starts on.
 * Every record carries its resume point (the byte its row starts at, exact from csv-parse's byte
 * count), so a paused file resumes with a ranged read there, its header's columns in the checkpoint.
 */

export { normaliseNumber } from './cells.ts';

type ColumnType = Route['csv']['types'][string];

interface ParsedRow {
  fields: string[];
  /** Byte offset just past the row (its record delimiter included). */
  end: number;
}

function checkHeader(header: string[], types: Record<string, ColumnType>, key: string): void {
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (name === '') {
      throw new PermanentError('bad-csv-header', `${key}: header column ${i + 1} has no name`, {
        position: { line: 1, column: i + 1 },
      });
    }
    if (seen.has(name)) {
      throw new PermanentError('bad-csv-header', `${key}: header column "${name}" appears twice`, {
        position: { line: 1, column: i + 1, field: name },
      });
    }
    seen.add(name);
  });
  const missing = Object.keys(types).filter((name) => !seen.has(name));
  if (missing.length > 0) {
    throw new PermanentError(
      'bad-csv-header',
      `${key}: the route types column(s) ${missing.map((m) => `"${m}"`).join(', ')} that the header does not have (header: ${header.join(', ')})`,
      { position: { line: 1 } },
    );
  }
}

export async function* decodeCsv(
  source: AsyncIterable<Uint8Array>,
  { route, key, resume }: DecoderOptions,
): AsyncGenerator<Decoded> {
  const { delimiter, quote, types } = route.csv;
  const rows: ParsedRow[] = [];
  const parser = parse({
    delimiter,
    quote,
    escape: quote,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
    max_record_size: MAX_LINE_CHARS,
    // Rows are taken here, in order, and not pushed through the stream: the loop below reads them
    // after each chunk, so memory holds one chunk's rows.
    on_record: (fields: string[], context) => {
      rows.push({ fields, end: context.bytes });
      return null;
    },
  });
  parser.on('error', () => {
    // Reported through the write/end callbacks below.
  });
  const lines = new LineIndex();
  // A resumed read starts after the header: the checkpoint carries its columns.
  let header: string[] | undefined = resume?.columns;
  let columnTypes: Array<ColumnType | undefined> = header?.map((name) => types[name]) ?? [];
  const linesBefore = resume?.line ?? 0;
  const bom = { bytes: 0 };
  /** Byte offset (in csv-parse's input, which has no BOM) where the next row starts. */
  let start = 0;
  let index = resume?.index ?? 0;

  const malformed = (error: unknown): PermanentError => {
    const line = linesBefore + lines.lineAt(start);
    const reason = ((error as CsvError).message ?? String(error)).replace(/,? (at|on) line \d+/, '');
    return new PermanentError(
      'malformed-csv',
      `${key}: malformed CSV in the record starting at line ${line} (the records before it were read): ${reason}`,
      { cause: error, position: { line, index } },
    );
  };

  function* drain(): Generator<Decoded> {
    for (const row of rows) {
      const line = linesBefore + lines.lineAt(start);
      // Row ends come from csv-parse's `info.bytes`, the byte just past the row's record delimiter
      // (CRLF, LF or CR, quoted newlines inside the row); the BOM utf8Chunks dropped is added back.
      const resumeAt: ResumePoint = { byte: bom.bytes + start, line: line - 1, index };
      start = row.end;
      const { fields } = row;
      if (fields.length === 1 && fields[0] === '') continue; // a blank line
      if (!header) {
        checkHeader(fields, types, key);
        header = fields;
        columnTypes = header.map((name) => types[name]);
        continue;
      }
      resumeAt.columns = header;
      const position: Position = { line, index: index++ };
      if (fields.length !== header.length) {
        yield {
          error: new RecordError(
            'column-count',
            `${key}: line ${line}: expected ${header.length} fields as in the header, got ${fields.length}`,
            { position },
          ),
          resumeAt,
        };
        continue;
      }
      const value: Record<string, unknown> = {};
      let failure: RecordError | undefined;
      for (let i = 0; i < fields.length; i++) {
        const name = header[i]!;
        const type = columnTypes[i];
        const converted = type ? convert(fields[i]!, type) : { value: fields[i] };
        if ('problem' in converted) {
          failure = new RecordError(
            converted.code,
            `${key}: line ${line}, column ${i + 1} ("${name}"): ${converted.problem}`,
            { position: { ...position, column: i + 1, field: name } },
          );
          break;
        }
        setField(value, name, converted.value);
      }
      yield failure ? { error: failure, resumeAt } : { value, position, resumeAt };
    }
    rows.length = 0;
  }

  const write = (chunk: Buffer) =>
    new Promise<void>((resolve, reject) => {
      parser.write(chunk, (error) => (error ? reject(error) : resolve()));
    });

  try {
    for await (const text of utf8Chunks(source, key, { midFile: resume !== undefined, bom })) {
      const bytes = Buffer.from(text, 'utf8');
      lines.append(bytes);
      let failure: unknown;
      await write(bytes).catch((error: unknown) => {
        failure = error;
      });
      yield* drain();
      if (failure) throw malformed(failure);
    }
    let failure: unknown;
    await new Promise<void>((resolve, reject) => {
      parser.end((error?: Error | null) => (error ? reject(error) : resolve()));
    }).catch((error: unknown) => {
      failure = error;
    });
    yield* drain();
    if (failure) throw malformed(failure);
  } finally {
    parser.destroy();
  }
}
