/**
 * UpdateItem through dynalite with DynamoDB's checks of the result and DynamoDB's ReturnValues:
 * dynalite applies the update expression and answers the new item (ReturnValues ALL_NEW, always);
 * a Number that the arithmetic took past 38 significant digits or out of range, or an index key
 * left empty, undoes the write (from the item read first; the caller holds the item's lock) and
 * refuses it as DynamoDB does; then ReturnValues is answered from the images here: UPDATED_OLD and
 * UPDATED_NEW name the whole top-level attributes the expression touches (as DynamoDB Local
 * answers) and are left out when there are none.
 */
import type { Backend, BackendReply } from './backend.ts';
import { parseJson } from './backend.ts';
import { ExpressionError, placeholders, type SetValue, type UpdateActions } from './expressions/parse.ts';
import { parseUpdate } from './expressions/update-parse.ts';
import { type AttributeValue, type Item, numberProblem, parseNumber, typeOf } from './expressions/values.ts';
import { errorReply, type Forward } from './guard.ts';
import { emptyIndexKey, type IndexKey } from './tables.ts';

function arithmetic(value: SetValue): boolean {
  if (value.k === '+' || value.k === '-') return true;
  if (value.k === 'if_not_exists') return arithmetic(value.fallback);
  if (value.k === 'list_append') return arithmetic(value.first) || arithmetic(value.second);
  return false;
}

function badNumber(value: AttributeValue | undefined): string | undefined {
  if (!value) return undefined;
  const type = typeOf(value);
  if (type === 'N') {
    const number = parseNumber(String(value.N));
    return number ? numberProblem(number) : undefined;
  }
  if (type === 'NS') {
    for (const member of value.NS as string[]) {
      const number = parseNumber(member);
      const problem = number && numberProblem(number);
      if (problem) return problem;
    }
  }
  if (type === 'L')
    for (const v of value.L as AttributeValue[]) {
      const problem = badNumber(v);
      if (problem) return problem;
    }
  if (type === 'M')
    for (const v of Object.values(value.M as Item)) {
      const problem = badNumber(v);
      if (problem) return problem;
    }
  return undefined;
}

function touched(actions: UpdateActions): Set<string> {
  const paths = [
    ...actions.set.map((a) => a.path),
    ...actions.remove,
    ...actions.add.map((a) => a.path),
    ...actions.delete.map((a) => a.path),
  ];
  return new Set(paths.map((p) => String(p.elements[0])));
}

function pick(item: Item | undefined, names: Set<string>): Item | undefined {
  if (!item) return undefined;
  const out = Object.fromEntries(Object.entries(item).filter(([name]) => names.has(name)));
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * An UpdateItem whose request is valid (the caller checked it); `old` is the item when the caller
 * has read it already (a condition), `undefined` to read it here when needed.
 */
export async function update(
  params: Record<string, unknown>,
  key: Item,
  indexKeys: IndexKey[],
  backend: Backend,
  forward: Forward,
  known?: { old: Item | undefined },
): Promise<BackendReply> {
  if (typeof params.UpdateExpression !== 'string') return forward(params);
  let actions: UpdateActions;
  try {
    actions = parseUpdate(params.UpdateExpression, placeholders(params));
  } catch (error) {
    if (error instanceof ExpressionError) return forward(params);
    throw error;
  }
  const table = String(params.TableName);
  for (const action of actions.set) {
    if (action.path.elements.length !== 1 || action.value.k !== 'value') continue;
    const refused = emptyIndexKey({ [String(action.path.elements[0])]: action.value.value }, indexKeys);
    if (refused) return errorReply(refused.type, refused.message);
  }
  const wanted = String(params.ReturnValues ?? 'NONE');
  const risky =
    actions.set.some((a) => arithmetic(a.value)) ||
    actions.add.some((a) => typeOf(a.value) === 'N' || typeOf(a.value) === 'NS');
  let old = known?.old;
  const haveOld = known !== undefined || risky || wanted === 'ALL_OLD' || wanted === 'UPDATED_OLD';
  if (!known && haveOld) {
    old = (await backend.call('GetItem', { TableName: table, Key: key, ConsistentRead: true })).Item as
      | Item
      | undefined;
  }
  const reply = await forward({ ...params, ReturnValues: 'ALL_NEW' });
  if (reply.status !== 200) return reply;
  const answer = parseJson(reply.body);
  const next = (answer.Attributes as Item | undefined) ?? {};
  const names = touched(actions);
  if (haveOld) {
    let problem: string | undefined;
    for (const name of names) problem ??= badNumber(next[name]);
    problem ??= emptyIndexKey(next, indexKeys)?.message;
    if (problem) {
      if (old) await backend.call('PutItem', { TableName: table, Item: old });
      else await backend.call('DeleteItem', { TableName: table, Key: key });
      return errorReply('ValidationException', problem);
    }
  }
  const { Attributes: _, ...rest } = answer;
  const attributes =
    wanted === 'ALL_NEW'
      ? next
      : wanted === 'ALL_OLD'
        ? old
        : wanted === 'UPDATED_OLD'
          ? pick(old, names)
          : wanted === 'UPDATED_NEW'
            ? pick(next, names)
            : undefined;
  const body = attributes ? { Attributes: attributes, ...rest } : rest;
  return { status: 200, headers: reply.headers, body: Buffer.from(JSON.stringify(body)) };
}
