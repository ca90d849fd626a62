/**
 * The tokens of DynamoDB's expression language, its placeholders (ExpressionAttributeNames and
 * Values, and the "unused" check), its limits and the error an invalid expression raises.
 */
import type { AttributeValue } from './values.ts';

export class ExpressionError extends Error {
  override name = 'ExpressionError';
}

export interface Placeholders {
  names?: Record<string, string>;
  values?: Record<string, AttributeValue>;
  /** Filled as placeholders are used (for the "unused" check). */
  usedNames: Set<string>;
  usedValues: Set<string>;
}

export function placeholders(params: Record<string, unknown>): Placeholders {
  return {
    names: params.ExpressionAttributeNames as Record<string, string> | undefined,
    values: params.ExpressionAttributeValues as Record<string, AttributeValue> | undefined,
    usedNames: new Set(),
    usedValues: new Set(),
  };
}

/** After every expression of a request is parsed: names or values defined but never used are refused. */
export function checkUnused(p: Placeholders): void {
  const names = Object.keys(p.names ?? {}).filter((n) => !p.usedNames.has(n));
  if (names.length)
    throw new ExpressionError(
      `Value provided in ExpressionAttributeNames unused in expressions: keys: {${names.join(', ')}}`,
    );
  const values = Object.keys(p.values ?? {}).filter((v) => !p.usedValues.has(v));
  if (values.length)
    throw new ExpressionError(
      `Value provided in ExpressionAttributeValues unused in expressions: keys: {${values.join(', ')}}`,
    );
}

export const MAX_BYTES = 4096;
export const MAX_DEPTH = 32;
export const MAX_IN = 100;
export const MAX_OPERATORS = 300;
export const COMPARATORS = new Set(['=', '<>', '<', '<=', '>', '>=']);
export const CONDITION_FUNCTIONS = new Set([
  'attribute_exists',
  'attribute_not_exists',
  'attribute_type',
  'begins_with',
  'contains',
]);
export const ALL_FUNCTIONS = new Set([...CONDITION_FUNCTIONS, 'size', 'if_not_exists', 'list_append']);

export interface Token {
  t: 'name' | 'attr' | 'value' | 'index' | 'punct' | 'end';
  s: string;
}

const TOKEN =
  /\s*(?:(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|([A-Za-z_][A-Za-z0-9_]*)|(\[\s*\d+\s*\])|(<>|<=|>=|[=<>(),.+-])|(\S))/y;

export function tokenize(text: string, what: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) {
      if (/^\s*$/.test(text.slice(start))) break;
      throw new ExpressionError(
        `Invalid ${what}: Syntax error; token: "${text.slice(start).trim()[0]}", near: "${text.slice(start, start + 10).trim()}"`,
      );
    }
    if (m[1]) tokens.push({ t: 'attr', s: m[1] });
    else if (m[2]) tokens.push({ t: 'value', s: m[2] });
    else if (m[3]) tokens.push({ t: 'name', s: m[3] });
    else if (m[4]) tokens.push({ t: 'index', s: m[4].replace(/[\s[\]]/g, '') });
    else if (m[5]) tokens.push({ t: 'punct', s: m[5] });
    else if (m[6])
      throw new ExpressionError(
        `Invalid ${what}: Syntax error; token: "${m[6]}", near: "${text.slice(start, start + 10).trim()}"`,
      );
  }
  tokens.push({ t: 'end', s: '<EOF>' });
  return tokens;
}
