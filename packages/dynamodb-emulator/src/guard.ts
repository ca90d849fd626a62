/**
 * Condition and filter expressions served with DynamoDB's rules (expressions/), in front of
 * dynalite, whose own evaluator differs (absent operands compare equal, empty strings fail IN and
 * BETWEEN, no operand type checks) and can crash its process (begins_with on a NULL).
 *
 * A single-item write with a ConditionExpression, under its item's lock:
 * 1. the condition is parsed (syntax, placeholders, operand types, limits: ValidationException);
 * 2. dynalite validates the rest of the request: the write is sent with a condition that is
 *    always false instead of the user's, so dynalite checks everything and writes nothing;
 * 3. the item is read and the condition evaluated; false: ConditionalCheckFailedException (with
 *    the item for ReturnValuesOnConditionCheckFailure ALL_OLD);
 * 4. true: the write goes to dynalite without the condition.
 * Errors DynamoDB reports only once the condition has passed (an update of a key attribute, an
 * index key of the wrong type) wait for step 3, as DynamoDB's do.
 * A Scan or Query with a FilterExpression: dynalite answers it unfiltered and unprojected (with
 * an always-true filter, so that it still validates the request), and the filter, the projection
 * and Select: COUNT are applied here.
 */
import { type BackendReply, errorType, parseJson } from './backend.ts';
import { evaluate, project } from './expressions/evaluate.ts';
import {
  type Condition,
  checkUnused,
  ExpressionError,
  type Path,
  parseCondition,
  parseProjection,
  placeholders,
} from './expressions/parse.ts';
import { parseUpdate } from './expressions/update-parse.ts';
import type { Item } from './expressions/values.ts';
import { requestLimitError, updateSizeError } from './limits.ts';

export type Forward = (params: Record<string, unknown>) => Promise<BackendReply>;
export type Read = (table: string, key: Item) => Promise<Item | undefined>;

const ALWAYS = 'attribute_exists(zz_emulator_probe) OR attribute_not_exists(zz_emulator_probe)';
const ERROR_PREFIX = 'com.amazonaws.dynamodb.v20120810#';
/** dynalite's static errors that DynamoDB reports only after the condition passed. */
const AFTER_CONDITION = /This attribute is part of the key|Type mismatch for Index Key/;
const RETURN_VALUES: Record<string, string[]> = {
  PutItem: ['NONE', 'ALL_OLD'],
  DeleteItem: ['NONE', 'ALL_OLD'],
  UpdateItem: ['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW'],
};

export function errorReply(type: string, message: string, extra: Record<string, unknown> = {}): BackendReply {
  return {
    status: 400,
    headers: { 'content-type': 'application/x-amz-json-1.0' },
    body: Buffer.from(JSON.stringify({ __type: `${ERROR_PREFIX}${type}`, message, ...extra })),
  };
}

const validationReply = (message: string) => errorReply('ValidationException', message);

/** Placeholders kept for dynalite: those the remaining expressions use, and those no expression uses (dynalite refuses them as unused). */
/**
 * A condition that is always false (or true) and still names every placeholder that only the
 * replaced expressions used, so that dynalite validates their values (types, numbers) and finds
 * none unused; placeholders no expression uses stay, and dynalite refuses them as DynamoDB does.
 */
export function probe(
  truth: boolean,
  params: Record<string, unknown>,
  removed: string[],
  remaining: unknown[],
): Record<string, unknown> {
  const kept = keptPlaceholders(params, removed, remaining);
  const names = Object.keys((params.ExpressionAttributeNames as Record<string, string>) ?? {}).filter(
    (n) => !(n in ((kept.ExpressionAttributeNames as object) ?? {})),
  );
  const values = Object.keys((params.ExpressionAttributeValues as Record<string, unknown>) ?? {}).filter(
    (v) => !(v in ((kept.ExpressionAttributeValues as object) ?? {})),
  );
  const parts = [
    truth ? 'attribute_not_exists(zz_emulator_probe)' : 'attribute_exists(zz_emulator_probe)',
    ...names.map((n) => `attribute_exists(${n})`),
  ];
  for (let i = 0; i < values.length; i += 100)
    parts.push(`zz_emulator_probe IN (${values.slice(i, i + 100).join(', ')})`);
  const text = truth
    ? `${parts[0]} OR (${parts.slice(1).join(' OR ') || 'zz_emulator_probe = zz_emulator_probe2'})`
    : parts.join(' AND ');
  const out: Record<string, unknown> = {};
  if (params.ExpressionAttributeNames !== undefined)
    out.ExpressionAttributeNames = params.ExpressionAttributeNames;
  if (params.ExpressionAttributeValues !== undefined)
    out.ExpressionAttributeValues = params.ExpressionAttributeValues;
  return { ...out, [truth ? 'FilterExpression' : 'ConditionExpression']: text };
}

export function keptPlaceholders(
  params: Record<string, unknown>,
  removed: string[],
  remaining: unknown[],
): Record<string, unknown> {
  const tokens = (texts: unknown[]) =>
    new Set(
      texts
        .filter((t): t is string => typeof t === 'string')
        .flatMap((t) => t.match(/[#:][A-Za-z0-9_]+/g) ?? []),
    );
  const gone = tokens(removed);
  const still = tokens(remaining);
  const out: Record<string, unknown> = {};
  for (const member of ['ExpressionAttributeNames', 'ExpressionAttributeValues']) {
    const all = params[member] as Record<string, unknown> | undefined;
    if (!all || typeof all !== 'object') {
      if (all !== undefined) out[member] = all;
      continue;
    }
    const kept = Object.fromEntries(
      Object.entries(all).filter(([name]) => still.has(name) || !gone.has(name)),
    );
    if (Object.keys(kept).length > 0) out[member] = kept;
  }
  return out;
}

function without(params: Record<string, unknown>, names: string[]): Record<string, unknown> {
  const out = { ...params };
  for (const name of names) delete out[name];
  return out;
}

/** The request's condition, parsed; other expressions parsed for their placeholders. */
function parseWrite(operation: string, params: Record<string, unknown>): Condition {
  const p = placeholders(params);
  const condition = parseCondition(String(params.ConditionExpression), 'ConditionExpression', p);
  if (operation === 'UpdateItem' && typeof params.UpdateExpression === 'string')
    parseUpdate(params.UpdateExpression, p);
  checkUnused(p);
  return condition;
}

/** ReturnValues each write accepts (dynalite takes ALL_NEW on a DeleteItem). */
export function checkReturnValues(
  operation: string,
  params: Record<string, unknown>,
): BackendReply | undefined {
  const wanted = params.ReturnValues;
  const allowed = RETURN_VALUES[operation];
  if (wanted === undefined || !allowed) return undefined;
  if (typeof wanted === 'string' && allowed.includes(wanted)) return undefined;
  if (typeof wanted === 'string' && RETURN_VALUES.UpdateItem?.includes(wanted)) {
    return validationReply('Return values set to invalid value');
  }
  return validationReply(
    `1 validation error detected: Value '${String(wanted)}' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]`,
  );
}

/**
 * A single-item write with a ConditionExpression (see the file's comment); the caller holds the
 * item. `key` is the item's key; `wantOld` is ReturnValuesOnConditionCheckFailure ALL_OLD.
 */
export async function conditionalWrite(
  operation: string,
  params: Record<string, unknown>,
  key: Item,
  wantOld: boolean,
  forward: Forward,
  read: Read,
  finish: (params: Record<string, unknown>, item: Item | undefined) => Promise<BackendReply> = (p) =>
    forward(p),
): Promise<BackendReply> {
  let condition: Condition;
  try {
    condition = parseWrite(operation, params);
  } catch (error) {
    if (error instanceof ExpressionError) return validationReply(error.message);
    throw error;
  }
  const base = {
    ...without(params, ['ConditionExpression', 'ExpressionAttributeNames', 'ExpressionAttributeValues']),
    ...keptPlaceholders(params, [String(params.ConditionExpression)], [params.UpdateExpression]),
  };
  const checked = await forward({
    ...base,
    ...probe(false, params, [String(params.ConditionExpression)], [params.UpdateExpression]),
  });
  const probeType = checked.status === 400 ? errorType(parseJson(checked.body)) : undefined;
  let deferred: BackendReply | undefined;
  if (probeType !== 'ConditionalCheckFailedException') {
    const message = String(parseJson(checked.body).message ?? '');
    if (checked.status === 200) throw new Error('dynalite: a write passed a condition that is always false');
    const later =
      operation === 'UpdateItem' && probeType === 'ValidationException' && AFTER_CONDITION.test(message);
    if (!later) return checked;
    deferred = checked;
  }
  const item = await read(String(params.TableName), key);
  if (!evaluate(item, condition)) {
    return errorReply(
      'ConditionalCheckFailedException',
      'The conditional request failed',
      wantOld && item ? { Item: item } : {},
    );
  }
  return deferred ?? finish(base, item);
}

/** Whether this Scan/Query is one the layer filters itself. */
export function filtersHere(params: Record<string, unknown>): boolean {
  return typeof params.FilterExpression === 'string';
}

/** A Scan or Query with a FilterExpression (see the file's comment). */
export async function filteredRead(params: Record<string, unknown>, forward: Forward): Promise<BackendReply> {
  let filter: Condition;
  let projection: Path[] | undefined;
  try {
    const p = placeholders(params);
    filter = parseCondition(String(params.FilterExpression), 'FilterExpression', p);
    if (typeof params.ProjectionExpression === 'string')
      projection = parseProjection(params.ProjectionExpression, p);
    if (typeof params.KeyConditionExpression === 'string') {
      for (const token of params.KeyConditionExpression.match(/[#:][A-Za-z0-9_]+/g) ?? []) {
        (token.startsWith('#') ? p.usedNames : p.usedValues).add(token);
      }
    }
    checkUnused(p);
  } catch (error) {
    if (error instanceof ExpressionError) return validationReply(error.message);
    throw error;
  }
  const select = params.Select;
  // dynalite validates the request as sent (projection, Select, key condition) on its first page.
  const validated = await forward({
    ...without(params, ['FilterExpression', 'ExpressionAttributeNames', 'ExpressionAttributeValues']),
    ...probe(
      true,
      params,
      [String(params.FilterExpression)],
      [params.ProjectionExpression, params.KeyConditionExpression],
    ),
  });
  if (validated.status !== 200) return validated;
  let reply = validated;
  if (projection || select === 'COUNT' || select === 'SPECIFIC_ATTRIBUTES') {
    reply = await forward({
      ...without(params, [
        'FilterExpression',
        'ProjectionExpression',
        'Select',
        'ExpressionAttributeNames',
        'ExpressionAttributeValues',
      ]),
      ...keptPlaceholders(
        params,
        [String(params.FilterExpression), String(params.ProjectionExpression ?? '')],
        [params.KeyConditionExpression],
      ),
      FilterExpression: ALWAYS,
    });
    if (reply.status !== 200) return reply;
  }
  const answer = parseJson(reply.body);
  const items = ((answer.Items as Item[] | undefined) ?? []).filter((item) => evaluate(item, filter));
  const scanned = typeof answer.ScannedCount === 'number' ? answer.ScannedCount : answer.Count;
  const out: Record<string, unknown> = { ...answer, Count: items.length, ScannedCount: scanned };
  if (select === 'COUNT') delete out.Items;
  else out.Items = projection ? items.map((item) => project(item, projection)) : items;
  return { status: 200, headers: reply.headers, body: Buffer.from(JSON.stringify(out)) };
}

/**
 * Checks DynamoDB makes of a request's expressions and members before it reads anything, where
 * dynalite makes fewer: projection and update expressions with this layer's parser (list index
 * and nesting limits), Scan's Segment and TotalSegments together, ALL_PROJECTED_ATTRIBUTES only
 * with an index. Condition and filter expressions are parsed where they are evaluated.
 */
export function checkRequest(operation: string, params: Record<string, unknown>): BackendReply | undefined {
  const limit = requestLimitError(operation, params);
  if (limit) return validationReply(limit);
  try {
    const p = placeholders(params);
    if (typeof params.ProjectionExpression === 'string') parseProjection(params.ProjectionExpression, p);
    if (operation === 'UpdateItem' && typeof params.UpdateExpression === 'string') {
      // What SET writes alone past 400 KB is refused before any condition, as DynamoDB does.
      const tooLarge = updateSizeError(parseUpdate(params.UpdateExpression, p));
      if (tooLarge) return validationReply(tooLarge);
    }
    if (operation === 'BatchGetItem' && params.RequestItems && typeof params.RequestItems === 'object') {
      for (const request of Object.values(params.RequestItems as Record<string, Record<string, unknown>>)) {
        if (typeof request?.ProjectionExpression === 'string') {
          parseProjection(request.ProjectionExpression, placeholders(request));
        }
      }
    }
  } catch (error) {
    if (error instanceof ExpressionError) return validationReply(error.message);
    throw error;
  }
  if (operation === 'Scan' && (params.Segment === undefined) !== (params.TotalSegments === undefined)) {
    return validationReply(
      `The ${params.Segment === undefined ? 'Segment' : 'TotalSegments'} parameter is required but was not present in the request when parameter ${params.Segment === undefined ? 'TotalSegments' : 'Segment'} is present`,
    );
  }
  if (
    (operation === 'Scan' || operation === 'Query') &&
    params.Select === 'SPECIFIC_ATTRIBUTES' &&
    params.ProjectionExpression === undefined &&
    params.AttributesToGet === undefined
  ) {
    return validationReply(
      'Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES',
    );
  }
  if (operation === 'Query' && typeof params.KeyConditionExpression === 'string') {
    const values = (params.ExpressionAttributeValues ?? {}) as Record<string, Record<string, unknown>>;
    for (const token of params.KeyConditionExpression.match(/:[A-Za-z0-9_]+/g) ?? []) {
      const value = values[token];
      if (value && (value.S === '' || value.B === '')) {
        return validationReply(
          `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${value.S === '' ? 'string' : 'binary'} value.`,
        );
      }
    }
  }
  if (
    (operation === 'Scan' || operation === 'Query') &&
    typeof params.ProjectionExpression === 'string' &&
    params.Select !== undefined &&
    params.Select !== 'SPECIFIC_ATTRIBUTES'
  ) {
    return validationReply(
      `Cannot specify the ProjectionExpression when choosing to get ${String(params.Select)}`,
    );
  }
  if (
    (operation === 'Scan' || operation === 'Query') &&
    params.Select === 'ALL_PROJECTED_ATTRIBUTES' &&
    params.IndexName === undefined
  ) {
    return validationReply('ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName');
  }
  return undefined;
}

/**
 * A Query or Scan of a global secondary index that does not project everything may only name the
 * attributes it projects: in ProjectionExpression, and in a Query's FilterExpression (DynamoDB
 * Local refuses those; it evaluates a Scan's filter against the table's item, see the README).
 * No global secondary index allows ConsistentRead.
 */
export function checkIndexAttributes(
  operation: string,
  params: Record<string, unknown>,
  projected: Set<string> | 'ALL' | undefined,
): BackendReply | undefined {
  if (projected && params.ConsistentRead === true) {
    return validationReply('Consistent reads are not supported on global secondary indexes');
  }
  if (!projected || projected === 'ALL') return undefined;
  if (params.Select === 'ALL_ATTRIBUTES') {
    return validationReply(
      `One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index ${String(params.IndexName)} because its projection type is not ALL`,
    );
  }
  const texts = [params.ProjectionExpression, ...(operation === 'Query' ? [params.FilterExpression] : [])];
  const p = placeholders(params);
  for (const text of texts) {
    if (typeof text !== 'string') continue;
    let paths: Path[];
    try {
      paths =
        text === params.ProjectionExpression
          ? parseProjection(text, p)
          : conditionPaths(parseCondition(text, 'FilterExpression', p));
    } catch {
      continue;
    }
    const missing = paths.map((path) => String(path.elements[0])).find((name) => !projected.has(name));
    if (missing !== undefined) {
      return validationReply(
        `One or more parameter values were invalid: Global secondary index ${String(params.IndexName)} does not project attribute ${missing}`,
      );
    }
  }
  return undefined;
}

function conditionPaths(c: Condition): Path[] {
  const operand = (o: unknown): Path[] => {
    const x = o as { k: string; path?: { k: string } };
    if (x.k === 'path') return [x as unknown as Path];
    if (x.k === 'size' && x.path?.k === 'path') return [x.path as unknown as Path];
    return [];
  };
  switch (c.k) {
    case 'and':
    case 'or':
      return [...conditionPaths(c.left), ...conditionPaths(c.right)];
    case 'not':
      return conditionPaths(c.operand);
    case 'compare':
      return [...operand(c.left), ...operand(c.right)];
    case 'between':
      return [...operand(c.subject), ...operand(c.low), ...operand(c.high)];
    case 'in':
      return [...operand(c.subject), ...c.list.flatMap(operand)];
    case 'function':
      return [c.path, ...(c.operand ? operand(c.operand) : [])];
  }
}
