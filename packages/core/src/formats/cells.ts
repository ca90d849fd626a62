import { isNumber, LosslessNumber, parse as parseJson } from 'lossless-json';

/**
 * Typed cells shared by the delimited formats (csv, log): a cell's text turned into a number (the
 * exact decimal text, LosslessNumber), a boolean or parsed JSON, or a problem to report with the
 * line and field. Kept apart from csv.ts so that `log` does not pull csv-parse into a bundle.
 */

export type CellType = 'string' | 'number' | 'boolean' | 'json';

const NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?([eE][+-]?\d+)?$/;

/** The JSON spelling of a decimal number cell, or undefined when it is not one. */
export function normaliseNumber(cell: string): string | undefined {
  const match = NUMBER.exec(cell.trim());
  if (!match) return undefined;
  const [, sign = '', int = '', frac = '', exp = ''] = match;
  if (int === '' && frac === '') return undefined;
  const text = `${sign === '-' ? '-' : ''}${int.replace(/^0+(?=\d)/, '') || '0'}${frac ? `.${frac}` : ''}${exp}`;
  return isNumber(text) ? text : undefined;
}

/** A cell as its column type says; an empty cell of a typed column is null. */
export function convertCell(
  cell: string,
  type: CellType,
): { value: unknown } | { problem: string; code: string } {
  if (type === 'string') return { value: cell };
  if (cell.trim() === '') return { value: null };
  switch (type) {
    case 'number': {
      // Most cells of a log are already JSON's spelling of their number (status codes, byte counts,
      // `0.001` seconds): LosslessNumber checks that spelling itself, so it is checked once, not twice.
      // Other spellings (`+1`, `007`, `.5`, ` 3 `) throw there and are normalised below.
      try {
        return { value: new LosslessNumber(cell) };
      } catch {}
      const text = normaliseNumber(cell);
      return text === undefined
        ? { code: 'bad-number', problem: `${JSON.stringify(cell)} is not a number` }
        : { value: new LosslessNumber(text) };
    }
    case 'boolean': {
      const lower = cell.trim().toLowerCase();
      if (lower === 'true' || lower === 'false') return { value: lower === 'true' };
      return { code: 'bad-boolean', problem: `${JSON.stringify(cell)} is not true or false` };
    }
    case 'json':
      try {
        return { value: parseJson(cell) };
      } catch (error) {
        return { code: 'bad-json', problem: `not valid JSON: ${(error as Error).message}` };
      }
  }
}

/** Sets a field as JSON.parse would: `__proto__` is an own property, never the prototype. */
export function setField(target: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__') {
    Object.defineProperty(target, name, { value, writable: true, enumerable: true, configurable: true });
  } else target[name] = value;
}
