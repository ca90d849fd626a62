/**
 * Recorded contradictions: requests where DynamoDB Local answers otherwise than AWS documents (in
 * the documentation's words, or a recorded response of AWS itself), and the emulator follows AWS.
 * Each record says how to recognise the case (`applies`: the request and DynamoDB Local's answer)
 * and checks by machine that the emulator's answer is the one AWS documents (`answersAsAws`); only
 * then does the report count the request for AWS. The README's fidelity section lists the same.
 */
import { formatDecimal, parseNumber } from '../../src/expressions/values.ts';
import type { Request, TableKind } from './harness.ts';
import type { Divergence } from './measure.ts';

export interface RecordedContradiction {
  name: string;
  /** What DynamoDB Local answers. */
  local: string;
  /** AWS's words (or a recorded AWS answer), quoted. */
  aws: string;
  /** Where those words are. */
  source: string;
  /** The request, and DynamoDB Local's answer to it, are this case. */
  applies(d: Divergence): boolean;
  /** The emulator's answer is the one AWS documents for this request. */
  answersAsAws(d: Divergence): boolean;
}

interface Answer {
  status: number;
  type?: string;
  reasons?: { Code: string }[];
}
const answer = (x: unknown) => x as Answer;

/** Every Number in a value in DynamoDB's canonical text (`1E+2` → `100`, `1.50` → `1.5`). */
export function canonicalNumbers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalNumbers);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => {
      if (k === 'N' && typeof v === 'string') {
        const n = parseNumber(v);
        return [k, n ? formatDecimal(n) : v];
      }
      if (k === 'NS' && Array.isArray(v)) {
        return [k, v.map((m) => formatDecimal(parseNumber(String(m)) ?? { digits: 0n, exponent: 0 })).sort()];
      }
      return [k, canonicalNumbers(v)];
    }),
  );
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

const actionsOf = (d: Divergence) =>
  (d.request.params.TransactItems as Record<string, Record<string, unknown>>[] | undefined) ?? [];

/** Keys of a batch that are one item by numeric value but not by text (`1.5` and `1.50`). */
function batchKeysSameByValue(d: Divergence): boolean {
  const items = d.request.params.RequestItems as Record<string, unknown> | undefined;
  for (const entry of Object.values(items ?? {})) {
    const keys: unknown[] = Array.isArray(entry)
      ? entry.map(
          (r: Record<string, { Item?: unknown; Key?: unknown }>) =>
            r.PutRequest?.Item ?? r.DeleteRequest?.Key,
        )
      : (((entry as { Keys?: unknown[] }).Keys ?? []) as unknown[]);
    const texts = keys.map((k) => JSON.stringify(k));
    const values = keys.map((k) => JSON.stringify(canonicalNumbers(k)));
    if (new Set(values).size < new Set(texts).size) return true;
  }
  return false;
}

/** Two actions of a TransactWriteItems naming one item by numeric value but not by text. */
function transactKeysSameByValue(d: Divergence): boolean {
  const keys = actionsOf(d).map((action) => {
    const inner = Object.values(action)[0] ?? {};
    const source = (inner.Item ?? inner.Key ?? {}) as Record<string, unknown>;
    return { table: inner.TableName, pk: source.pk, sk: source.sk };
  });
  const texts = keys.map((k) => JSON.stringify(k));
  const values = keys.map((k) => JSON.stringify(canonicalNumbers(k)));
  return new Set(values).size < new Set(texts).size;
}

/**
 * A cancellation as AWS documents one: a reason per action, in order; `ValidationError` only at an
 * Update, `ConditionalCheckFailed` only at an action with a condition, `None` elsewhere; at least one
 * not `None`.
 */
function cancelledPerAction(d: Divergence): boolean {
  const emulator = answer(d.emulator);
  const actions = actionsOf(d);
  const reasons = emulator.reasons ?? [];
  const fits = (code: string, action: Record<string, Record<string, unknown>> | undefined) => {
    const inner = Object.values(action ?? {})[0] ?? {};
    if (code === 'None') return true;
    if (code === 'ValidationError') return action?.Update !== undefined;
    return code === 'ConditionalCheckFailed' && typeof inner.ConditionExpression === 'string';
  };
  return (
    emulator.type === 'TransactionCanceledException' &&
    reasons.length === actions.length &&
    reasons.some((r) => r.Code !== 'None') &&
    reasons.every((r, i) => fits(r.Code, actions[i]))
  );
}

/** Attributes each table's `byG` index projects (harness.ts defines the tables). */
const PROJECTED: Record<TableKind, Set<string>> = {
  hash: new Set(['pk', 'g', 'a']),
  composite: new Set(['pk', 'sk', 'g']),
};
const ABSENT = 'zzabsent';
const KEYWORDS = new Set(['and', 'or', 'not', 'between', 'in']);

/**
 * For a Scan of `byG` filtering on an attribute the index does not project: the same Scan with
 * each such attribute renamed to one no item has. AWS evaluates the filter on the index entry,
 * where the attribute is absent ("Global secondary index queries cannot fetch attributes from
 * the parent table"), so DynamoDB Local's answer to this twin is AWS's answer to the original.
 */
export function awsTwin(request: Request, table: TableKind): Request | undefined {
  const p = request.params;
  if (request.op !== 'Scan' || p.IndexName !== 'byG' || typeof p.FilterExpression !== 'string')
    return undefined;
  const projected = PROJECTED[table];
  const names = { ...((p.ExpressionAttributeNames ?? {}) as Record<string, string>) };
  let changed = false;
  const filter = p.FilterExpression.replace(
    /([.:#]?)([A-Za-z_][A-Za-z0-9_]*)(\s*\()?/g,
    (whole, before: string, word: string, call: string | undefined) => {
      if (call || before === '.' || before === ':') return whole;
      const name = before === '#' ? names[`#${word}`] : word;
      if (name === undefined || projected.has(name) || (!before && KEYWORDS.has(word.toLowerCase())))
        return whole;
      changed = true;
      return `#${ABSENT}`;
    },
  );
  if (!changed) return undefined;
  names[`#${ABSENT}`] = ABSENT;
  const used = [filter, p.ProjectionExpression].filter((e) => typeof e === 'string').join(' ');
  for (const key of Object.keys(names)) if (!new RegExp(`${key}\\b`).test(used)) delete names[key];
  return { op: 'Scan', params: { ...p, FilterExpression: filter, ExpressionAttributeNames: names } };
}

export const RECORDED: RecordedContradiction[] = [
  {
    name: 'batch keys equal by numeric value',
    local: 'takes sk 1.5 and 1.50 in one BatchGetItem/BatchWriteItem as two keys and answers',
    aws: 'a Number\'s "Leading and trailing zeroes are trimmed", so they are one key; BatchGetItem with a key twice: "ValidationException … Provided list of item keys contains duplicates"; BatchWriteItem: "Your request contains at least two items with identical hash and range keys"',
    source:
      'HowItWorks.NamingRulesDataTypes (Number); AWS answer recorded in boto/boto3#4131; API_BatchWriteItem (Errors)',
    applies: (d) =>
      (d.request.op === 'BatchGetItem' || d.request.op === 'BatchWriteItem') &&
      answer(d.reference).status === 200 &&
      batchKeysSameByValue(d),
    answersAsAws: (d) => answer(d.emulator).type === 'ValidationException',
  },
  {
    name: 'transaction keys equal by numeric value',
    local:
      "compares a Delete, ConditionCheck or Update Key with another action's key as text (sk 1.5, 1.50) and applies both",
    aws: '"Leading and trailing zeroes are trimmed", so both name one item, and "You can\'t target the same item with multiple operations within the same transaction" (ValidationException)',
    source: 'HowItWorks.NamingRulesDataTypes (Number); API_TransactWriteItems',
    applies: (d) =>
      d.request.op === 'TransactWriteItems' &&
      answer(d.reference).type !== 'ValidationException' &&
      transactKeysSameByValue(d),
    answersAsAws: (d) => answer(d.emulator).type === 'ValidationException',
  },
  {
    name: 'transaction data error',
    local:
      'answers ValidationException to an Update inside TransactWriteItems that fails on the item it meets (ADD to a string, a path into a non-map, a result past 400 KB)',
    aws: 'TransactionCanceledException, whose reason "ValidationError" covers "An operand in the update expression has an incorrect data type … Item size to update has exceeded the maximum allowed size … The document path provided in the update expression is invalid for update"; recorded AWS bodies list one reason per action, "None" where nothing failed',
    source:
      'API_TransactWriteItems (TransactionCanceledException); aws/aws-sdk-net#1292, pynamodb/PynamoDB#1144',
    applies: (d) =>
      d.request.op === 'TransactWriteItems' &&
      actionsOf(d).some((a) => a.Update) &&
      answer(d.reference).type === 'ValidationException',
    answersAsAws: cancelledPerAction,
  },
  {
    name: 'transaction cancelled with one reason',
    local:
      'cancels a TransactWriteItems whose Update sets a key attribute with a single reason, however many actions',
    aws: '"The values of the list are ordered according to the ordering of the TransactWriteItems request parameter. If no error occurred for the associated item an error with a Null code and Null message will be present"',
    source: 'API_CancellationReason',
    applies: (d) => {
      const reference = answer(d.reference);
      return (
        d.request.op === 'TransactWriteItems' &&
        actionsOf(d).length > 1 &&
        reference.type === 'TransactionCanceledException' &&
        reference.reasons?.length === 1 &&
        reference.reasons[0]?.Code === 'ValidationError'
      );
    },
    answersAsAws: cancelledPerAction,
  },
  {
    name: 'numbers inside lists and maps',
    local: 'returns a Number nested in a list or map as written (1E+2, 1.50), a top-level one trimmed',
    aws: '"Leading and trailing zeroes are trimmed"',
    source: 'HowItWorks.NamingRulesDataTypes (Number)',
    applies: (d) => same(canonicalNumbers(d.emulator), canonicalNumbers(d.reference)),
    answersAsAws: (d) => same(canonicalNumbers(d.emulator), d.emulator),
  },
  {
    name: 'filter on an attribute a GSI does not project (Scan)',
    local: "evaluates a GSI Scan's FilterExpression on an unprojected attribute against the table's item",
    aws: '"Global secondary index queries cannot fetch attributes from the parent table": the attribute is absent from the index entry the filter sees',
    source: 'GSI.html (Attribute projections)',
    applies: (d) => d.aws !== undefined && answer(d.reference).status === 200,
    answersAsAws: (d) => same(d.emulator, d.aws),
  },
  {
    name: 'ReturnValuesOnConditionCheckFailure in a transaction',
    local:
      'accepts a TransactWriteItems action whose ReturnValuesOnConditionCheckFailure is neither ALL_OLD nor NONE (ALL_NEW)',
    aws: '"ReturnValuesOnConditionCheckFailure … Valid Values: ALL_OLD | NONE"',
    source: 'API_Put, API_Update, API_Delete, API_ConditionCheck (Contents)',
    applies: (d) =>
      d.request.op === 'TransactWriteItems' &&
      answer(d.reference).status === 200 &&
      actionsOf(d).some((a) => {
        const rv = Object.values(a)[0]?.ReturnValuesOnConditionCheckFailure;
        return rv !== undefined && rv !== 'ALL_OLD' && rv !== 'NONE';
      }),
    answersAsAws: (d) => answer(d.emulator).type === 'ValidationException',
  },
  {
    name: 'size as an attribute name',
    local: 'takes `size` as a bare attribute name',
    aws: '"If you need to write an expression containing an attribute name that conflicts with a DynamoDB reserved word, you can define an expression attribute name to use in the place of the reserved word"; SIZE is in the list',
    source: 'ReservedWords.html',
    applies: (d) =>
      /(^|[^a-z_#.])size\s*(=|<|>|,|\)|$)/i.test(
        String(d.request.params.ConditionExpression ?? d.request.params.FilterExpression ?? ''),
      ) && answer(d.reference).type !== 'ValidationException',
    answersAsAws: (d) => answer(d.emulator).type === 'ValidationException',
  },
];
