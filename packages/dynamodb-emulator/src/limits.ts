/**
 * DynamoDB's documented request limits that dynalite does not check, checked before a request
 * reaches it (guard.ts for single-item operations, batches, Query and Scan; transactions.ts for
 * TransactWriteItems): nesting of 32 levels in an item or a value, attribute names under 64 KB,
 * 4 KB key condition expressions, at most 1,000,000 Scan segments, one request per batch entry,
 * 400 KB per item of a transaction's Put and 4 MB for all of them, 400 KB of values an update's SET
 * writes (UpdateItem and a transaction's Update, before any condition). Each returns DynamoDB Local's message, or undefined.
 */
import { MAX_BYTES } from './expressions/lexer.ts';
import type { UpdateActions } from './expressions/parse.ts';
import { type AttributeValue, type Item, valueSize } from './expressions/values.ts';

export const MAX_ITEM_BYTES = 400 * 1024;
const MAX_TRANSACTION_BYTES = 4 * 1024 * 1024;
/** A value may hold lists and maps 31 deep: with its attribute, 32 levels. */
const MAX_CONTAINERS = 31;
const MAX_NAME_BYTES = 65_535;
const MAX_SEGMENTS = 1_000_000;
const NESTING =
  'Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit';

/** How many lists and maps deep a value goes (a scalar: 0). */
function containers(value: unknown): number {
  if (!value || typeof value !== 'object') return 0;
  const v = value as { L?: unknown[]; M?: Record<string, unknown> };
  const inner = Array.isArray(v.L) ? v.L : v.M && typeof v.M === 'object' ? Object.values(v.M) : undefined;
  if (!inner) return 0;
  return 1 + inner.reduce<number>((most, x) => Math.max(most, containers(x)), 0);
}

/** An item nested past 32 levels. */
export function itemNestingError(item: unknown): string | undefined {
  if (!item || typeof item !== 'object') return undefined;
  return Object.values(item).some((v) => containers(v) > MAX_CONTAINERS) ? NESTING : undefined;
}

/** An item's size as DynamoDB counts it: attribute names and values. */
export function itemSize(item: Item): number {
  let size = 0;
  for (const [name, value] of Object.entries(item))
    size += Buffer.byteLength(name) + valueSize(value as AttributeValue);
  return size;
}

/** What an update's SET actions write alone (values, not paths into other attributes) past 400 KB. */
export function updateSizeError(actions: UpdateActions): string | undefined {
  let size = 0;
  for (const { path, value } of actions.set) {
    if (value.k === 'value') size += Buffer.byteLength(String(path.elements[0])) + valueSize(value.value);
  }
  return size > MAX_ITEM_BYTES ? 'Item size to update has exceeded the maximum allowed size' : undefined;
}

/** An item of a transaction's Put past 400 KB. */
export function itemSizeError(item: Item): string | undefined {
  return itemSize(item) > MAX_ITEM_BYTES ? 'Item size has exceeded the maximum allowed size' : undefined;
}

/** The items a transaction's Puts write, past 4 MB in all. */
export function transactionSizeError(items: Item[]): string | undefined {
  const total = items.reduce((sum, item) => sum + itemSize(item), 0);
  return total > MAX_TRANSACTION_BYTES ? 'Transaction request cannot be larger than 4 MB' : undefined;
}

/** Limits on a request's placeholders: a value nested past 32 levels, a name of 64 KB or more. */
export function placeholderLimitError(params: Record<string, unknown>): string | undefined {
  const values = params.ExpressionAttributeValues;
  if (values && typeof values === 'object') {
    for (const [key, value] of Object.entries(values)) {
      if (containers(value) > MAX_CONTAINERS)
        return `ExpressionAttributeValues contains invalid value: ${NESTING} for key ${key}`;
    }
  }
  const names = params.ExpressionAttributeNames;
  if (names && typeof names === 'object') {
    for (const [key, name] of Object.entries(names)) {
      if (typeof name === 'string' && Buffer.byteLength(name) > MAX_NAME_BYTES)
        return `ExpressionAttributeNames contains invalid value: Attribute name is too large, must be less than 65536 bytes for key ${key}`;
    }
  }
  return undefined;
}

/** The limits above that apply to one request of `operation` (not TransactWriteItems). */
export function requestLimitError(operation: string, params: Record<string, unknown>): string | undefined {
  const placeholders = placeholderLimitError(params);
  if (placeholders) return placeholders;
  if (operation === 'PutItem') return itemNestingError(params.Item);
  if (operation === 'Query' && typeof params.KeyConditionExpression === 'string') {
    const size = Buffer.byteLength(params.KeyConditionExpression);
    if (size > MAX_BYTES)
      return `Invalid KeyConditionExpression: Expression size has exceeded the maximum allowed size; expression size: ${size}`;
  }
  if (
    operation === 'Scan' &&
    typeof params.TotalSegments === 'number' &&
    params.TotalSegments > MAX_SEGMENTS
  ) {
    return `1 validation error detected: Value '${params.TotalSegments}' at 'totalSegments' failed to satisfy constraint: Member must have value less than or equal to ${MAX_SEGMENTS}`;
  }
  if (operation === 'BatchWriteItem' && params.RequestItems && typeof params.RequestItems === 'object') {
    for (const requests of Object.values(params.RequestItems)) {
      if (!Array.isArray(requests)) continue;
      for (const request of requests as Record<string, { Item?: unknown } | undefined>[]) {
        const kinds = ['PutRequest', 'DeleteRequest'].filter((k) => request?.[k] !== undefined);
        if (kinds.length !== 1)
          return 'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes';
        const nesting = itemNestingError(request.PutRequest?.Item);
        if (nesting) return nesting;
      }
    }
  }
  return undefined;
}
