import type {
  AttributeValue,
  BatchWriteItemCommandInput,
  CancellationReason,
  GetItemCommandInput,
  PutItemCommandInput,
  TransactWriteItemsCommandInput,
  UpdateItemCommandInput,
  WriteRequest,
} from '@aws-sdk/client-dynamodb';

/**
 * The protocol simulator's DynamoDB: a fake of the AWS cloud's item API (GetItem, PutItem,
 * UpdateItem, BatchWriteItem, TransactWriteItems) with the semantics the ledger relies on: condition expressions
 * evaluated on the stored item, `ConditionalCheckFailedException` carrying the old item under
 * `ReturnValuesOnConditionCheckFailure: ALL_OLD`, `ReturnValues: UPDATED_NEW`, and a batch that may
 * come back with `UnprocessedItems`, a transaction that is all or nothing (each item's condition
 * checked, `TransactionCanceledException` with one `CancellationReasons` entry per item, a
 * `ClientRequestToken` repeated within 10 minutes answered without applying again). Only the
 * expression grammar the ledger writes is understood (comparisons, AND/OR/NOT, parentheses,
 * attribute_(not_)exists, size; SET with if_not_exists and list_append, REMOVE, ADD); anything else
 * throws, so a new expression cannot be silently mis-evaluated.
 */

type Item = Record<string, AttributeValue>;
type Names = Record<string, string> | undefined;
type Values = Record<string, AttributeValue> | undefined;

export class DynamoError extends Error {
  constructor(
    public override readonly name: string,
    message: string,
    public readonly $metadata: { httpStatusCode: number },
    public readonly Item?: Item,
  ) {
    super(message);
  }
}

const tokenPattern = /\s*(<>|<=|>=|=|<|>|\(|\)|,|[#:]?[A-Za-z_][A-Za-z0-9_]*)/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  tokenPattern.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    tokenPattern.lastIndex = at;
    const match = tokenPattern.exec(text);
    if (!match) throw new Error(`fake DynamoDB: cannot read expression at "${text.slice(at)}"`);
    tokens.push(match[1]!);
    at = tokenPattern.lastIndex;
  }
  return tokens;
}

function nameOf(token: string, names: Names): string {
  if (token.startsWith('#')) {
    const name = names?.[token];
    if (name === undefined)
      throw new DynamoError('ValidationException', `unknown name ${token}`, { httpStatusCode: 400 });
    return name;
  }
  return token;
}

function compare(a: AttributeValue | undefined, b: AttributeValue | undefined): number | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (a.N !== undefined && b.N !== undefined) return Math.sign(Number(a.N) - Number(b.N));
  if (a.S !== undefined && b.S !== undefined) return a.S < b.S ? -1 : a.S > b.S ? 1 : 0;
  if (a.BOOL !== undefined && b.BOOL !== undefined) return a.BOOL === b.BOOL ? 0 : undefined;
  return undefined;
}

/** Evaluates a condition expression on `item` (undefined: no item). */
export function evaluate(expression: string, item: Item | undefined, names: Names, values: Values): boolean {
  const tokens = tokenize(expression);
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++]!;
  const operand = (): AttributeValue | undefined => {
    const token = next();
    if (token === 'size') {
      next(); // (
      const name = nameOf(next(), names);
      next(); // )
      const value = item?.[name];
      return value === undefined ? undefined : { N: String(sizeOf(value)) };
    }
    if (token.startsWith(':')) {
      const value = values?.[token];
      if (!value)
        throw new DynamoError('ValidationException', `unknown value ${token}`, { httpStatusCode: 400 });
      return value;
    }
    return item?.[nameOf(token, names)];
  };
  const primary = (): boolean => {
    const token = peek();
    if (token === '(') {
      next();
      const value = or();
      if (next() !== ')') throw new Error('fake DynamoDB: ) expected');
      return value;
    }
    if (token === 'NOT') {
      next();
      return !primary();
    }
    if (token === 'attribute_not_exists' || token === 'attribute_exists') {
      next();
      next(); // (
      const name = nameOf(next(), names);
      next(); // )
      const exists = item !== undefined && item[name] !== undefined;
      return token === 'attribute_exists' ? exists : !exists;
    }
    const left = operand();
    const op = next();
    const right = operand();
    const c = compare(left, right);
    switch (op) {
      case '=':
        return c === 0;
      case '<>':
        return c !== 0;
      case '<':
        return c !== undefined && c < 0;
      case '<=':
        return c !== undefined && c <= 0;
      case '>':
        return c !== undefined && c > 0;
      case '>=':
        return c !== undefined && c >= 0;
      default:
        throw new Error(`fake DynamoDB: operator ${op} not understood in "${expression}"`);
    }
  };
  const and = (): boolean => {
    let value = primary();
    while (peek() === 'AND') {
      next();
      const right = primary();
      value = value && right;
    }
    return value;
  };
  const or = (): boolean => {
    let value = and();
    while (peek() === 'OR') {
      next();
      const right = and();
      value = value || right;
    }
    return value;
  };
  const result = or();
  if (i !== tokens.length) throw new Error(`fake DynamoDB: trailing tokens in "${expression}"`);
  return result;
}

/** DynamoDB's size(): a string's or list's length, a map's attribute count. */
function sizeOf(value: AttributeValue): number {
  if (value.S !== undefined) return value.S.length;
  if (value.L !== undefined) return value.L.length;
  if (value.M !== undefined) return Object.keys(value.M).length;
  if (value.SS !== undefined) return value.SS.length;
  if (value.NS !== undefined) return value.NS.length;
  if (value.B !== undefined) return value.B.length;
  throw new DynamoError('ValidationException', 'size() of an unsupported type', { httpStatusCode: 400 });
}

/**
 * The right-hand side of a SET action, read from `tokens[at]`: a value, an attribute, or
 * `if_not_exists(path, value)` / `list_append(a, b)`, evaluated against the item before the update
 * (as DynamoDB does). Returns the value and the index after it.
 */
function setValue(
  tokens: string[],
  at: number,
  item: Item,
  names: Names,
  values: Values,
): [AttributeValue, number] {
  const token = tokens[at]!;
  const expect = (i: number, what: string) => {
    if (tokens[i] !== what) throw new Error(`fake DynamoDB: "${what}" expected in a SET value`);
  };
  if (token === 'if_not_exists') {
    expect(at + 1, '(');
    const existing = item[nameOf(tokens[at + 2]!, names)];
    expect(at + 3, ',');
    const [fallback, after] = setValue(tokens, at + 4, item, names, values);
    expect(after, ')');
    return [existing ?? fallback, after + 1];
  }
  if (token === 'list_append') {
    expect(at + 1, '(');
    const [a, mid] = setValue(tokens, at + 2, item, names, values);
    expect(mid, ',');
    const [b, after] = setValue(tokens, mid + 1, item, names, values);
    expect(after, ')');
    if (a.L === undefined || b.L === undefined)
      throw new DynamoError('ValidationException', 'list_append of a non-list', { httpStatusCode: 400 });
    return [{ L: [...a.L, ...b.L] }, after + 1];
  }
  if (token.startsWith(':')) {
    const value = values?.[token];
    if (!value) throw new Error(`fake DynamoDB: unknown value ${token}`);
    return [value, at + 1];
  }
  const existing = item[nameOf(token, names)];
  if (!existing)
    throw new DynamoError(
      'ValidationException',
      `The provided expression refers to an attribute that does not exist in the item: ${token}`,
      { httpStatusCode: 400 },
    );
  return [existing, at + 1];
}

/** Applies an update expression to a copy of `item`; returns the new item and the attributes it set. */
export function applyUpdate(
  expression: string,
  item: Item,
  names: Names,
  values: Values,
): { item: Item; updated: Item } {
  const out: Item = { ...item };
  const updated: Item = {};
  const tokens = tokenize(expression);
  let clause = '';
  for (let i = 0; i < tokens.length; ) {
    const token = tokens[i]!;
    if (token === 'SET' || token === 'REMOVE' || token === 'ADD') {
      clause = token;
      i += 1;
      continue;
    }
    if (token === ',') {
      i += 1;
      continue;
    }
    const name = nameOf(token, names);
    if (clause === 'SET') {
      if (tokens[i + 1] !== '=') throw new Error('fake DynamoDB: SET a = value expected');
      const [value, after] = setValue(tokens, i + 2, item, names, values);
      out[name] = value;
      updated[name] = value;
      i = after;
    } else if (clause === 'REMOVE') {
      delete out[name];
      i += 1;
    } else if (clause === 'ADD') {
      const value = values?.[tokens[i + 1]!];
      if (value?.N === undefined) throw new Error('fake DynamoDB: ADD of a number only');
      const sum = { N: String(Number(out[name]?.N ?? 0) + Number(value.N)) };
      out[name] = sum;
      updated[name] = sum;
      i += 2;
    } else {
      throw new Error(`fake DynamoDB: update expression not understood at ${token}`);
    }
  }
  return { item: out, updated };
}

const copy = <T>(value: T): T => structuredClone(value);

type Maybe<T> = T | Promise<T>;

/**
 * What the simulator's world and checks need of a DynamoDB table: this fake, or the DynamoDB
 * emulator behind real-dynamo.ts (the slower tier). `items` is the table as stored (the emulator's
 * kept as a mirror of every write), `onWrite` sees every item a write stored.
 */
export interface DynamoStore {
  readonly items: Map<string, Item>;
  onWrite: (item: Item, before: Item | undefined, transaction?: string[]) => void;
  getItem(input: GetItemCommandInput): Maybe<{ Item?: Item }>;
  putItem(input: PutItemCommandInput): Maybe<unknown>;
  updateItem(input: UpdateItemCommandInput): Maybe<{ Attributes?: Item }>;
  transactWriteItems(input: TransactWriteItemsCommandInput, now: number, conflict?: boolean): Maybe<unknown>;
  batchWriteItem(
    input: BatchWriteItemCommandInput,
    unprocessed?: number,
  ): Maybe<{ UnprocessedItems?: Record<string, WriteRequest[]> }>;
  /** Replaces an item outside the ledger's writes (the local stack's recovery at a restart); `onWrite` does not see it. */
  overwrite(pk: string, item: Item): Maybe<void>;
  /** Reloads `items` from the table itself (the emulator's, at quiescence). */
  sync(): Maybe<void>;
}

/** One table keyed by `pk` (the ledger's shape). `onWrite` sees every item as stored. */
export class FakeDynamo implements DynamoStore {
  readonly items = new Map<string, Item>();
  /** Sees every item as stored; `transaction` lists the keys (pk) a TransactWriteItems wrote together. */
  onWrite: (item: Item, before: Item | undefined, transaction?: string[]) => void = () => {};
  /** Committed transactions' tokens and when they came (idempotent for 10 minutes). */
  private readonly tokens = new Map<string, number>();
  private transaction: string[] | undefined;

  private keyOf(key: Item | undefined): string {
    const pk = key?.pk?.S;
    if (pk === undefined)
      throw new DynamoError('ValidationException', 'the key pk is missing', { httpStatusCode: 400 });
    return pk;
  }

  /** A write's ConditionExpression against the current item: refused as DynamoDB refuses it. */
  private check(input: PutItemCommandInput | UpdateItemCommandInput, current: Item | undefined): void {
    if (
      input.ConditionExpression &&
      !evaluate(
        input.ConditionExpression,
        current,
        input.ExpressionAttributeNames,
        input.ExpressionAttributeValues,
      )
    ) {
      this.refuse(current, input.ReturnValuesOnConditionCheckFailure);
    }
  }

  private refuse(current: Item | undefined, returnOld: unknown): never {
    throw new DynamoError(
      'ConditionalCheckFailedException',
      'The conditional request failed',
      { httpStatusCode: 400 },
      returnOld === 'ALL_OLD' && current ? copy(current) : undefined,
    );
  }

  private store(pk: string, item: Item): void {
    const before = this.items.get(pk);
    this.items.set(pk, copy(item));
    this.onWrite(copy(item), before, this.transaction);
  }

  overwrite(pk: string, item: Item): void {
    this.items.set(pk, copy(item));
  }

  sync(): void {}

  getItem(input: GetItemCommandInput): { Item?: Item } {
    const item = this.items.get(this.keyOf(input.Key));
    return item ? { Item: copy(item) } : {};
  }

  putItem(input: PutItemCommandInput): Record<string, never> {
    const pk = this.keyOf(input.Item);
    const current = this.items.get(pk);
    this.check(input, current);
    this.store(pk, input.Item as Item);
    return {};
  }

  updateItem(input: UpdateItemCommandInput): { Attributes?: Item } {
    const pk = this.keyOf(input.Key);
    const current = this.items.get(pk);
    this.check(input, current);
    const { item, updated } = applyUpdate(
      input.UpdateExpression ?? '',
      { ...(current ?? {}), ...(input.Key as Item) },
      input.ExpressionAttributeNames,
      input.ExpressionAttributeValues,
    );
    this.store(pk, item);
    if (input.ReturnValues === 'UPDATED_NEW') return { Attributes: copy(updated) };
    if (input.ReturnValues === 'ALL_NEW') return { Attributes: copy(item) };
    return {};
  }

  /**
   * TransactWriteItems: every item's condition is checked on the stored items first; one refusal
   * cancels them all (`TransactionCanceledException`, a reason per item in order, the old item under
   * `ALL_OLD`). `conflict` cancels it as a concurrent transaction on its first item would. A token
   * seen in the last 10 minutes is answered as a success without writing again.
   */
  transactWriteItems(
    input: TransactWriteItemsCommandInput,
    now: number,
    conflict = false,
  ): Record<string, never> {
    const token = input.ClientRequestToken;
    if (token !== undefined) {
      const seen = this.tokens.get(token);
      if (seen !== undefined && now - seen < 600_000) return {};
    }
    const actions = input.TransactItems ?? [];
    if (actions.length === 0 || actions.length > 100)
      throw new DynamoError('ValidationException', 'a transaction holds 1 to 100 items', {
        httpStatusCode: 400,
      });
    const keys = actions.map((a) =>
      this.keyOf(a.Put?.Item ?? a.Update?.Key ?? a.Delete?.Key ?? a.ConditionCheck?.Key),
    );
    if (new Set(keys).size !== keys.length) {
      throw new DynamoError(
        'ValidationException',
        'Transaction request cannot include multiple operations on one item',
        { httpStatusCode: 400 },
      );
    }
    const reasons: CancellationReason[] = actions.map((action, i) => {
      const spec = action.Put ?? action.Update ?? action.Delete ?? action.ConditionCheck;
      const current = this.items.get(keys[i]!);
      if (conflict && i === 0)
        return { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' };
      if (
        spec?.ConditionExpression &&
        !evaluate(
          spec.ConditionExpression,
          current,
          spec.ExpressionAttributeNames,
          spec.ExpressionAttributeValues,
        )
      ) {
        return {
          Code: 'ConditionalCheckFailed',
          Message: 'The conditional request failed',
          ...(spec.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && current
            ? { Item: copy(current) }
            : {}),
        };
      }
      return { Code: 'None' };
    });
    if (reasons.some((r) => r.Code !== 'None')) {
      const error = new DynamoError(
        'TransactionCanceledException',
        `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
        { httpStatusCode: 400 },
      );
      throw Object.assign(error, { CancellationReasons: reasons });
    }
    const writes: Array<[string, Item | undefined]> = actions.map((action, i) => {
      const pk = keys[i]!;
      if (action.Put) return [pk, action.Put.Item as Item];
      if (action.Update) {
        const { item } = applyUpdate(
          action.Update.UpdateExpression ?? '',
          { ...(this.items.get(pk) ?? {}), ...(action.Update.Key as Item) },
          action.Update.ExpressionAttributeNames,
          action.Update.ExpressionAttributeValues,
        );
        return [pk, item];
      }
      if (action.Delete) return [pk, undefined];
      return [pk, this.items.get(pk)];
    });
    this.transaction = writes.filter(([, item]) => item !== undefined).map(([pk]) => pk);
    try {
      for (const [i, [pk, item]] of writes.entries()) {
        if (actions[i]!.ConditionCheck) continue;
        if (item) this.store(pk, item);
        else this.items.delete(pk);
      }
    } finally {
      this.transaction = undefined;
    }
    if (token !== undefined) this.tokens.set(token, now);
    return {};
  }

  /** Writes the requests, except the last `unprocessed` of them (returned as DynamoDB does). */
  batchWriteItem(
    input: BatchWriteItemCommandInput,
    unprocessed = 0,
  ): { UnprocessedItems?: Record<string, WriteRequest[]> } {
    const [table, requests] = Object.entries(input.RequestItems ?? {})[0] ?? ['', []];
    if (requests.length > 25)
      throw new DynamoError('ValidationException', 'more than 25 requests', { httpStatusCode: 400 });
    const keys = requests.map((r) => this.keyOf(r.PutRequest?.Item ?? r.DeleteRequest?.Key));
    if (new Set(keys).size !== keys.length) {
      throw new DynamoError('ValidationException', 'Provided list of item keys contains duplicates', {
        httpStatusCode: 400,
      });
    }
    const cut = Math.max(0, requests.length - unprocessed);
    for (const request of requests.slice(0, cut)) {
      if (request.PutRequest?.Item)
        this.store(this.keyOf(request.PutRequest.Item), request.PutRequest.Item as Item);
      else if (request.DeleteRequest?.Key) this.items.delete(this.keyOf(request.DeleteRequest.Key));
    }
    const rest = requests.slice(cut);
    return rest.length > 0 ? { UnprocessedItems: { [table]: copy(rest) } } : {};
  }
}
