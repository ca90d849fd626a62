import type { RouteInput } from '@eventline/config';
import { type Decoded, type Decoder, decodeCsv, decodeJsonArray } from '@eventline/core/formats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAll, exact } from '../fixtures/formats/harness.ts';

/**
 * The byte checkpoints of CSV and JSON arrays (issue 22, hole 1): every record a decoder yields
 * carries the byte and line where a read that handles it first would start. Resuming the decoder
 * there, on the bytes from that offset, must give exactly the records that followed in the whole
 * read: the same values, positions (lines and indexes), errors and resume points. fast-check
 * explores the inputs that make offsets hard: multi-byte UTF-8 (2, 3 and 4 bytes), CRLF, LF and CR
 * rows, quoted newlines and delimiters, a BOM, nested arrays and objects, strings full of brackets,
 * commas and escapes, and chunk boundaries anywhere (inside a character, inside a CRLF).
 */

const BOM = '\uFEFF';

/** What must match between the whole read's tail and the resumed read, offsets made absolute. */
function comparable(decoded: Decoded, base: number) {
  const resumeAt = decoded.resumeAt && { ...decoded.resumeAt, byte: decoded.resumeAt.byte + base };
  if ('error' in decoded) {
    return { error: [decoded.error.code, decoded.error.message, decoded.error.position], resumeAt };
  }
  return { value: exact(decoded.value), position: decoded.position, resumeAt };
}

async function checkResumes(
  decoder: Decoder,
  text: string,
  options: { route?: RouteInput; chunkSize: number; resumeChunkSize: number },
) {
  const bytes = Buffer.from(text, 'utf8');
  const whole = await decodeAll(decoder, bytes, options);
  expect(whole.thrown).toBeUndefined();
  let resumed = 0;
  for (let i = 0; i < whole.all.length; i++) {
    const at = whole.all[i]!.resumeAt;
    expect(at).toBeDefined();
    const rest = await decodeAll(decoder, bytes.subarray(at!.byte), {
      ...options,
      chunkSize: options.resumeChunkSize,
      resume: { line: at!.line, index: at!.index, ...(at!.columns ? { columns: at!.columns } : {}) },
    });
    expect(rest.thrown).toBeUndefined();
    expect(rest.all.map((d) => comparable(d, at!.byte))).toEqual(
      whole.all.slice(i).map((d) => comparable(d, 0)),
    );
    resumed += 1;
  }
  return resumed;
}

const chunkSize = fc.integer({ min: 1, max: 97 });

describe('CSV resume points', () => {
  const cell = fc.oneof(
    fc.constantFrom('', 'a', 'ü', '日本', '😀', '1.5', '+2', 'x y', 'a"b'),
    fc.string({ unit: 'grapheme', maxLength: 6 }).map((s) => s.replace(/[",\r\n]/g, '')),
    // Quoted: the delimiter, doubled quotes and every kind of newline inside.
    fc
      .array(fc.constantFrom('a', ',', '""', '\n', '\r\n', '\r', 'é', '𝄞', ' '), { maxLength: 6 })
      .map((parts) => `"${parts.join('')}"`),
  );
  const row = fc.array(cell, { minLength: 1, maxLength: 4 });
  const file = fc.record({
    bom: fc.boolean(),
    eol: fc.constantFrom('\n', '\r\n', '\r'),
    rows: fc.array(fc.oneof({ weight: 5, arbitrary: row }, { weight: 1, arbitrary: fc.constant([]) }), {
      minLength: 1,
      maxLength: 12,
    }),
    trailing: fc.boolean(),
  });
  const route: RouteInput = { format: 'csv', csv: { types: { n: 'number' } } };

  it('resumes at every record, with the same records, lines and errors after it', async () => {
    await fc.assert(
      fc.asyncProperty(file, chunkSize, chunkSize, async (f, size, resumeSize) => {
        // Three columns; rows of other lengths are record errors, `n` typed so bad numbers are too.
        const lines = ['n,b,c', ...f.rows.map((cells) => cells.join(','))];
        const text = `${f.bom ? BOM : ''}${lines.join(f.eol)}${f.trailing ? f.eol : ''}`;
        await checkResumes(decodeCsv, text, { route, chunkSize: size, resumeChunkSize: resumeSize });
      }),
      { numRuns: 150 },
    );
  });

  it('points just past a quoted newline and a 4-byte character at a CRLF row end', async () => {
    const text = `${BOM}id,note\r\n1,"line one\r\nline two 😀"\r\n2,ü\r\n`;
    const { records } = await decodeAll(decodeCsv, text, { route: { format: 'csv' }, chunkSize: 3 });
    const bytes = Buffer.from(text, 'utf8');
    expect(records.map((r) => r.resumeAt)).toEqual([
      { byte: bytes.indexOf('1,"'), line: 1, index: 0, columns: ['id', 'note'] },
      { byte: bytes.indexOf('2,ü'), line: 3, index: 1, columns: ['id', 'note'] },
    ]);
    expect(records.map((r) => r.position.line)).toEqual([2, 4]);
  });
});

describe('JSON array resume points', () => {
  const string = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 8 }),
    fc.constantFrom('[', ']', '{', '}', ',', '\\', '"', '\\"', '\\\\', ',]', 'é😀日'),
  );
  const leaf = fc.oneof(
    string,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
  );
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(string, tie('value'), { maxKeys: 4 }),
    ),
  }));
  const element = fc.oneof(
    { weight: 4, arbitrary: fc.dictionary(string, value, { minKeys: 1, maxKeys: 4 }) },
    { weight: 1, arbitrary: value },
  );
  const file = fc.record({
    bom: fc.boolean(),
    elements: fc.array(element, { minLength: 1, maxLength: 8 }),
    indent: fc.constantFrom(0, 1, 2, '\t'),
    gap: fc.constantFrom('', ' ', '\n', '\r\n', '\n  '),
  });

  it('resumes at every element, nested arrays and objects included, with the same elements after it', async () => {
    await fc.assert(
      fc.asyncProperty(file, chunkSize, chunkSize, async (f, size, resumeSize) => {
        const body = f.elements.map((e) => JSON.stringify(e, null, f.indent)).join(`${f.gap},${f.gap}`);
        const text = `${f.bom ? BOM : ''}${f.gap}[${f.gap}${body}${f.gap}]${f.gap}`;
        await checkResumes(decodeJsonArray, text, { chunkSize: size, resumeChunkSize: resumeSize });
      }),
      { numRuns: 150 },
    );
  });

  it('numbers a syntax error after a resume by the line of the file', async () => {
    const text = '[\n{"a":1},\n{"a":2},\n{"a":}\n]';
    const whole = await decodeAll(decodeJsonArray, text, { chunkSize: 5 });
    const at = whole.records[1]!.resumeAt!;
    const rest = await decodeAll(decodeJsonArray, Buffer.from(text).subarray(at.byte), {
      resume: { line: at.line, index: 1 },
    });
    expect(rest.records.map((r) => exact(r.value))).toEqual([{ a: 'n:2' }]);
    expect((rest.thrown as Error).message).toMatch(/at line 4,/);
    expect((whole.thrown as Error).message).toMatch(/at line 4,/);
    expect((rest.thrown as Error).message).toMatch(/in record 2 /);
  });
});
