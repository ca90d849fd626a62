import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { LosslessNumber, stringify } from 'lossless-json';

/** Output for people (tables) or scripts (`--json`); progress always on stderr. */

/** DynamoDB numbers (NumberValue) as exact JSON numbers, recursively. */
export function exactValue(value: unknown): unknown {
  if (value instanceof NumberValue) return new LosslessNumber(value.toString());
  if (value instanceof Set) return [...value].map(exactValue);
  if (Array.isArray(value)) return value.map(exactValue);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'object' && value !== null && !(value instanceof LosslessNumber)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = exactValue(v);
    return out;
  }
  return value;
}

/** JSON text with numbers exactly as stored. */
export const exact = (value: unknown): string => stringify(exactValue(value)) ?? '';

export interface Output {
  json: boolean;
  write(text: string): void;
  progress(text: string): void;
}

export const processOutput = (json: boolean): Output => ({
  json,
  write: (text) => process.stdout.write(text),
  progress: (text) => process.stderr.write(`${text}\n`),
});

/** A cell as text: numbers exact, objects as compact JSON. */
export function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (value instanceof NumberValue) return value.toString();
  if (typeof value === 'object') return exact(value);
  return String(value);
}

/** A table of rows under `columns`, each column as wide as its widest cell (the last one free). */
export function table(columns: string[], rows: unknown[][]): string {
  const text = rows.map((row) => row.map((v) => cell(v).replace(/\s+/g, ' ')));
  const widths = columns.map((c, i) => Math.max(c.length, ...text.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(columns), ...text.map(line)].join('\n')}\n`;
}

/** Prints `value` as JSON for scripts, or the people's rendering. */
export function emit(out: Output, value: unknown, forPeople: () => string): void {
  out.write(out.json ? `${exact(value)}\n` : forPeople());
}
