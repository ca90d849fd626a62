/**
 * The differences between the emulator and DynamoDB Local that are kept on purpose, each with its
 * reason (the README's fidelity section lists the same). The differential test fails on any
 * divergence not recognised here; the long run counts them apart.
 */
import { formatDecimal, parseNumber } from '../../src/expressions/values.ts';
import type { Divergence } from './measure.ts';

export interface KnownDifference {
  name: string;
  /** Why the emulator answers differently: AWS's documentation, in its words, or a choice. */
  reason: string;
  matches(d: Divergence): boolean;
}

const answer = (x: unknown) => x as { status: number; type?: string; reasons?: { Code: string }[] };

/** Every Number in a value in DynamoDB's canonical text (`1E+2` → `100`, `1.50` → `1.5`). */
function canonicalNumbers(value: unknown): unknown {
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

const updates = (d: Divergence) =>
  ((d.request.params.TransactItems as Record<string, unknown>[] | undefined) ?? []).some((a) => a.Update);

/** Keys of a batch that are one item by numeric value but not by text (`1.5` and `1.50`). */
function sameByValue(d: Divergence): boolean {
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

/** Two actions of a TransactWriteItems naming one item by numeric value but not by text (`1.5`, `1.50`). */
function transactKeysSameByValue(d: Divergence): boolean {
  const actions =
    (d.request.params.TransactItems as Record<string, Record<string, unknown>>[] | undefined) ?? [];
  const keys = actions.map((action) => {
    const inner = Object.values(action)[0] ?? {};
    const source = (inner.Item ?? inner.Key ?? {}) as Record<string, unknown>;
    return { table: inner.TableName, pk: source.pk, sk: source.sk };
  });
  const texts = keys.map((k) => JSON.stringify(k));
  const values = keys.map((k) => JSON.stringify(canonicalNumbers(k)));
  return new Set(values).size < new Set(texts).size;
}

export const KNOWN: KnownDifference[] = [
  {
    name: 'batch keys equal by numeric value',
    reason:
      'A batch naming one item twice through Numbers written differently (sk 1.5 and 1.50): DynamoDB Local treats them as two keys; AWS documents that a Number\'s "leading and trailing zeroes are trimmed" (HowItWorks.NamingRulesDataTypes), so they are one key, and BatchGetItem/BatchWriteItem refuse repeated keys (ValidationException). The emulator refuses them, as TransactWriteItems does on DynamoDB Local too.',
    matches: (d) =>
      (d.request.op === 'BatchGetItem' || d.request.op === 'BatchWriteItem') &&
      answer(d.emulator).type === 'ValidationException' &&
      sameByValue(d),
  },
  {
    name: 'transaction keys equal by numeric value',
    reason:
      'A TransactWriteItems naming one item through Numbers written differently (sk 1.50 in a Delete, ConditionCheck or Update Key, 1.5 elsewhere): DynamoDB Local compares those keys as text and applies both (two Puts it does compare by value); AWS documents that a Number\'s "leading and trailing zeroes are trimmed" (HowItWorks.NamingRulesDataTypes), so they are one item, and "no two actions can target the same item" (API_TransactWriteItems). The emulator refuses the request (ValidationException).',
    matches: (d) =>
      d.request.op === 'TransactWriteItems' &&
      answer(d.emulator).type === 'ValidationException' &&
      answer(d.reference).type !== 'ValidationException' &&
      transactKeysSameByValue(d),
  },
  {
    name: 'transaction data error',
    reason:
      'An update that fails on the data it meets (ADD to a string, a path into a non-map) inside TransactWriteItems: DynamoDB Local answers ValidationException; AWS documents it as a cancellation reason: "ValidationError … An operand in the update expression has an incorrect data type … The document path provided in the update expression is invalid for update" (API_TransactWriteItems, TransactionCanceledException). The emulator follows AWS: conditions first, then TransactionCanceledException with ValidationError at the action.',
    matches: (d) =>
      d.request.op === 'TransactWriteItems' &&
      updates(d) &&
      answer(d.reference).type === 'ValidationException' &&
      answer(d.emulator).type === 'TransactionCanceledException',
  },
  {
    name: 'transaction cancelled with one reason',
    reason:
      'A TransactWriteItems whose Update sets a key attribute: DynamoDB Local cancels with a single reason (ValidationError) however many actions the request has; AWS: "The values of the list are ordered according to the ordering of the TransactWriteItems request parameter. If no error occurred for the associated item an error with a Null code and Null message will be present" (API_CancellationReason). The emulator answers one reason per action.',
    matches: (d) => {
      const reference = answer(d.reference);
      const emulator = answer(d.emulator);
      const actions = (d.request.params.TransactItems as unknown[] | undefined) ?? [];
      return (
        d.request.op === 'TransactWriteItems' &&
        reference.type === 'TransactionCanceledException' &&
        emulator.type === 'TransactionCanceledException' &&
        reference.reasons?.length === 1 &&
        reference.reasons[0]?.Code === 'ValidationError' &&
        emulator.reasons?.length === actions.length &&
        emulator.reasons.some((r) => r.Code === 'ValidationError') &&
        actions.length > 1
      );
    },
  },
  {
    name: 'numbers inside lists and maps',
    reason:
      'DynamoDB Local returns a Number nested in a list or map as it was written (1E+2, 1.50) and a top-level one canonical; AWS documents "Leading and trailing zeroes are trimmed" (HowItWorks.NamingRulesDataTypes, Number). The emulator trims every Number.',
    matches: (d) =>
      JSON.stringify(canonicalNumbers(d.emulator)) === JSON.stringify(canonicalNumbers(d.reference)),
  },
  {
    name: 'filter on an attribute a GSI does not project (Scan)',
    reason:
      'A Scan of a global secondary index whose FilterExpression names an attribute the index does not project: DynamoDB Local evaluates it against the table\'s item; AWS: "Global secondary index queries cannot fetch attributes from the parent table" (GSI.html, Attribute projections). The emulator evaluates the filter on the index entry, where the attribute is absent.',
    matches: (d) =>
      d.request.op === 'Scan' &&
      typeof d.request.params.IndexName === 'string' &&
      typeof d.request.params.FilterExpression === 'string' &&
      answer(d.emulator).status === 200 &&
      answer(d.reference).status === 200,
  },
  {
    name: 'DELETE from an absent index-key attribute',
    reason:
      "Not yet owned: UpdateItem DELETE of a set from an index-key attribute the item does not have is refused by dynalite's index-key type check (ValidationException); DynamoDB Local, like DynamoDB, does nothing to the absent attribute and succeeds.",
    matches: (d) => {
      const names = (d.request.params.ExpressionAttributeNames ?? {}) as Record<string, string>;
      const target = /\bDELETE\s+([#\w]+)\s/.exec(String(d.request.params.UpdateExpression ?? ''))?.[1] ?? '';
      return (
        d.request.op === 'UpdateItem' &&
        ['n', 'g'].includes(names[target] ?? target) &&
        answer(d.emulator).type === 'ValidationException' &&
        answer(d.reference).status === 200
      );
    },
  },
  {
    name: 'size as an attribute name',
    reason:
      'DynamoDB Local takes `size` as a bare attribute name; AWS lists SIZE among the reserved words that need an ExpressionAttributeNames placeholder (ReservedWords.html). The emulator refuses it, as AWS documents.',
    matches: (d) =>
      /(^|[^a-z_#])size\s*(=|<|>|,|\)|$)/i.test(
        String(d.request.params.ConditionExpression ?? d.request.params.FilterExpression ?? ''),
      ) && answer(d.emulator).type === 'ValidationException',
  },
];

export function knownDifference(d: Divergence): KnownDifference | undefined {
  return KNOWN.find((k) => k.matches(d));
}
