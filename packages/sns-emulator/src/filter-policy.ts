import { invalidParameter } from './errors.ts';
import type { MessageAttributes } from './types.ts';

/**
 * Subscription filter policies (FilterPolicy / FilterPolicyScope), the subset that covers common
 * use: exact strings and numbers, `prefix`, `suffix`, `equals-ignore-case`, `anything-but`
 * (value, list or prefix), `numeric` comparisons, `exists`, and `$or`. Every key of the policy must
 * match; within a key any condition may. A policy using anything else is rejected at Subscribe /
 * SetSubscriptionAttributes, so a subscription never silently receives what AWS would filter out.
 */

type Condition = string | number | boolean | null | { [operator: string]: unknown };
export type FilterPolicy = { [key: string]: Condition[] | FilterPolicy | FilterPolicy[] };
export type FilterScope = 'MessageAttributes' | 'MessageBody';

const OPERATORS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'numeric', 'exists']);
const NUMERIC_OPERATORS = new Set(['=', '<', '<=', '>', '>=']);

function reject(reason: string): never {
  throw invalidParameter(`Invalid parameter: FilterPolicy: ${reason}`);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses and checks a policy; empty text means "no policy". */
export function parseFilterPolicy(text: string, scope: FilterScope): FilterPolicy | undefined {
  if (text.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    reject('failed to parse JSON.');
  }
  if (!isObject(parsed)) reject('Filter policy must be a JSON object');
  if (Object.keys(parsed).length === 0) return undefined;
  checkPolicy(parsed, scope, 0);
  return parsed as FilterPolicy;
}

function checkPolicy(policy: Record<string, unknown>, scope: FilterScope, depth: number): void {
  for (const [key, value] of Object.entries(policy)) {
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2 || !value.every(isObject)) {
        reject('$or must be an array of at least two filter policies');
      }
      for (const branch of value as Record<string, unknown>[]) checkPolicy(branch, scope, depth);
    } else if (Array.isArray(value)) {
      if (value.length === 0) reject(`Empty arrays are not allowed (key ${key})`);
      for (const condition of value) checkCondition(key, condition);
    } else if (isObject(value) && scope === 'MessageBody' && depth < 5) {
      checkPolicy(value, scope, depth + 1);
    } else {
      reject(`Match value must be String, number, true, false, or null (key ${key})`);
    }
  }
}

function checkCondition(key: string, condition: unknown): void {
  if (condition === null || ['string', 'number', 'boolean'].includes(typeof condition)) return;
  if (!isObject(condition)) reject(`Match value must be String, number, true, false, or null (key ${key})`);
  const operators = Object.keys(condition);
  const operator = operators[0];
  if (operators.length !== 1 || operator === undefined || !OPERATORS.has(operator)) {
    reject(`Unrecognized match type ${operators.join(', ')}`);
  }
  const operand = condition[operator];
  if (operator === 'numeric') {
    if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0) {
      reject('Value of numeric must be an array of operator and number pairs');
    }
    for (let i = 0; i < operand.length; i += 2) {
      if (!NUMERIC_OPERATORS.has(String(operand[i])) || typeof operand[i + 1] !== 'number') {
        reject(`Unrecognized numeric range operator: ${String(operand[i])}`);
      }
    }
  } else if (operator === 'exists') {
    if (typeof operand !== 'boolean') reject('exists match pattern must be either true or false.');
  } else if (operator === 'anything-but') {
    const ok =
      typeof operand === 'string' ||
      typeof operand === 'number' ||
      (Array.isArray(operand) && operand.every((v) => typeof v === 'string' || typeof v === 'number')) ||
      (isObject(operand) && typeof operand.prefix === 'string' && Object.keys(operand).length === 1);
    if (!ok) reject('Value of anything-but must be an array or single string/number value.');
  } else if (typeof operand !== 'string') {
    reject(`${operator} match pattern must be a string`);
  }
}

/** A value found in the message: strings and numbers (arrays contribute each element). */
type Found = { present: false } | { present: true; values: Array<string | number | boolean | null> };

function matchCondition(condition: Condition, found: Found): boolean {
  if (isObject(condition) && 'exists' in condition) return condition.exists === found.present;
  if (!found.present) return false;
  return found.values.some((value) => matchValue(condition, value));
}

function matchValue(condition: Condition, value: string | number | boolean | null): boolean {
  if (!isObject(condition)) {
    if (typeof condition === 'number') return toNumber(value) === condition;
    return condition === value;
  }
  const [operator, operand] = Object.entries(condition)[0] ?? [];
  const text = typeof value === 'string' ? value : undefined;
  switch (operator) {
    case 'prefix':
      return text?.startsWith(String(operand)) === true;
    case 'suffix':
      return text?.endsWith(String(operand)) === true;
    case 'equals-ignore-case':
      return text?.toLowerCase() === String(operand).toLowerCase();
    case 'anything-but': {
      if (isObject(operand)) return text !== undefined && !text.startsWith(String(operand.prefix));
      const excluded = Array.isArray(operand) ? operand : [operand];
      return !excluded.some((e) => (typeof e === 'number' ? toNumber(value) === e : e === value));
    }
    case 'numeric': {
      const n = toNumber(value);
      if (n === undefined || !Array.isArray(operand)) return false;
      for (let i = 0; i < operand.length; i += 2) {
        const bound = operand[i + 1] as number;
        const ok =
          operand[i] === '='
            ? n === bound
            : operand[i] === '<'
              ? n < bound
              : operand[i] === '<='
                ? n <= bound
                : operand[i] === '>'
                  ? n > bound
                  : n >= bound;
        if (!ok) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

function attributeValues(attributes: MessageAttributes | undefined, name: string): Found {
  const attribute = attributes?.[name];
  if (!attribute || attribute.DataType.startsWith('Binary')) return { present: false };
  const value = attribute.StringValue ?? '';
  if (attribute.DataType === 'String.Array') {
    try {
      const array: unknown = JSON.parse(value);
      if (Array.isArray(array)) {
        return {
          present: true,
          values: array.filter((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v)),
        };
      }
    } catch {
      // not an array: matched as a plain string below
    }
  }
  return {
    present: true,
    values: [attribute.DataType.startsWith('Number') ? (toNumber(value) ?? value) : value],
  };
}

function bodyValues(node: unknown): Found {
  if (node === undefined) return { present: false };
  const values = (Array.isArray(node) ? node : [node]).filter(
    (v): v is string | number | boolean | null =>
      v === null || ['string', 'number', 'boolean'].includes(typeof v),
  );
  return { present: true, values };
}

function matchPolicy(
  policy: FilterPolicy,
  lookup: (key: string) => Found,
  nested: (key: string) => unknown,
): boolean {
  return Object.entries(policy).every(([key, value]) => {
    if (key === '$or') {
      return (value as FilterPolicy[]).some((branch) => matchPolicy(branch, lookup, nested));
    }
    if (Array.isArray(value)) {
      const found = lookup(key);
      return (value as Condition[]).some((condition) => matchCondition(condition, found));
    }
    const child = nested(key);
    return isObject(child) && matchBody(value as FilterPolicy, child);
  });
}

function matchBody(policy: FilterPolicy, body: Record<string, unknown>): boolean {
  return matchPolicy(
    policy,
    (key) => bodyValues(body[key]),
    (key) => body[key],
  );
}

/** True when the message passes the policy (no policy passes everything). */
export function matchesFilterPolicy(
  policy: FilterPolicy | undefined,
  scope: FilterScope,
  message: { body: string; attributes: MessageAttributes | undefined },
): boolean {
  if (!policy) return true;
  if (scope === 'MessageAttributes') {
    return matchPolicy(
      policy,
      (key) => attributeValues(message.attributes, key),
      () => undefined,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(message.body);
  } catch {
    return false;
  }
  return isObject(body) && matchBody(policy, body);
}
