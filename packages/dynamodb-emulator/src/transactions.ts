import { createHash } from 'node:crypto';
import type { Backend } from './backend.ts';
import { DynamoProtocolError } from './errors.ts';
import { evaluate } from './expressions/evaluate.ts';
import {
  type Condition,
  checkUnused,
  ExpressionError,
  parseCondition,
  placeholders,
} from './expressions/parse.ts';
import { parseUpdate } from './expressions/update-parse.ts';
import { keptPlaceholders, probe } from './guard.ts';
import type { Locks } from './rwlock.ts';
import {
  emptyIndexKey,
  type Item,
  isConditionFailure,
  itemIdentity,
  type KeySchemas,
  validation,
} from './tables.ts';

/**
 * TransactWriteItems and TransactGetItems on top of dynalite's single-item operations, under the
 * locks of every item they name (nothing else reads or writes those items meanwhile):
 * 1. every action is validated by dynalite (sent with a condition that is always false, so that
 *    it writes nothing) and its condition evaluated against the item as it is (expressions/);
 * 2. if any fails, TransactionCanceledException with one reason per action, in order;
 * 3. otherwise the writes are applied in order; should one fail (a data-dependent validation
 *    error), the ones applied are undone from the images read in step 1.
 * Conditions only ever name their own item and no item appears twice, so checking them one after
 * another sees what an all-at-once check would.
 */

const KINDS = ['ConditionCheck', 'Put', 'Delete', 'Update'] as const;
type Kind = (typeof KINDS)[number];

interface Action {
  kind: Kind;
  params: Record<string, unknown>;
  table: string;
  key: Item;
  identity: string;
  condition?: Condition;
  old?: Item;
}

/** dynalite's wording for errors that depend on the data met rather than on the request itself. */
const DATA_ERROR = /incorrect data type|exceeded the maximum allowed size|exceeded the maximum size limit/;
/** dynalite's wording for an action's item refused for its index keys. */
const ITEM_ERROR = /Type mismatch for Index Key|part of the key/;
const TOKEN_LIFETIME_MS = 10 * 60 * 1000;
const MAX_ITEMS = 100;

function lengthCheck(items: unknown, member: string): unknown[] {
  if (!Array.isArray(items)) {
    throw validation(
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
  if (items.length < 1 || items.length > MAX_ITEMS) {
    throw validation(
      `1 validation error detected: Value '[${items.length} items]' at '${member}' failed to satisfy constraint: Member must have length ${items.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_ITEMS}`}`,
    );
  }
  return items;
}

export class Transactions {
  private readonly tokens = new Map<string, { digest: string; at: number }>();

  constructor(
    private readonly backend: Backend,
    private readonly keys: KeySchemas,
    private readonly locks: Locks,
  ) {}

  async write(params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const items = lengthCheck(params.TransactItems, 'transactItems');
    const token = params.ClientRequestToken;
    if (token !== undefined && (typeof token !== 'string' || token.length < 1 || token.length > 36)) {
      throw validation(
        "1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must have length between 1 and 36",
      );
    }
    const actions = await this.parse(items);
    const digest = createHash('sha256')
      .update(JSON.stringify({ ...params, ClientRequestToken: undefined }))
      .digest('hex');
    // Tokens are account-wide: a token's transactions are held apart like their items.
    const held = [
      ...new Set(actions.map((a) => a.identity)),
      ...(typeof token === 'string' ? [`\u0000token\u0000${token}`] : []),
    ];
    return this.locks.items(held, true, async () => {
      if (typeof token === 'string') {
        const now = Date.now();
        for (const [name, seen] of this.tokens)
          if (now - seen.at > TOKEN_LIFETIME_MS) this.tokens.delete(name);
        const seen = this.tokens.get(token);
        if (seen && seen.digest !== digest) {
          throw new DynamoProtocolError(
            'IdempotentParameterMismatchException',
            'The request uses the same client token as a previous, but non-identical request.',
          );
        }
        // A repeat of a transaction that succeeded within ten minutes succeeds without writing again.
        if (seen) return {};
      }
      for (const action of actions) {
        const got = await this.backend.call('GetItem', {
          TableName: action.table,
          Key: action.key,
          ConsistentRead: true,
        });
        if (got.Item) action.old = got.Item as Item;
      }
      const reasons: Record<string, unknown>[] = [];
      for (const action of actions) {
        const refused = await this.validate(action);
        reasons.push(refused ?? this.check(action));
      }
      if (reasons.some((r) => r.Code !== 'None')) throw cancelled(reasons);
      const applied: Action[] = [];
      for (const [index, action] of actions.entries()) {
        if (action.kind === 'ConditionCheck') continue;
        try {
          await this.apply(action);
          applied.push(action);
        } catch (error) {
          await this.undo(applied);
          // A malformed request is refused as a whole; an error that depends on the data (an
          // operand of the wrong type, an item grown too large) cancels, naming the action.
          if (!(error instanceof DynamoProtocolError)) throw error;
          if (error.type === 'ValidationException' && !DATA_ERROR.test(error.message)) throw error;
          const code =
            error.type === 'ValidationException' ? 'ValidationError' : error.type.replace(/Exception$/, '');
          throw cancelled(
            actions.map((_, i) => (i === index ? { Code: code, Message: error.message } : { Code: 'None' })),
          );
        }
      }
      if (typeof token === 'string') this.tokens.set(token, { digest, at: Date.now() });
      return {};
    });
  }

  async get(params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const items = lengthCheck(params.TransactItems, 'transactItems');
    const gets: { get: Record<string, unknown>; identity: string }[] = [];
    for (const [index, entry] of items.entries()) {
      const get = (entry as { Get?: Record<string, unknown> } | null)?.Get;
      if (!get || typeof get.TableName !== 'string' || !get.Key || typeof get.Key !== 'object') {
        throw validation(`TransactItems[${index}]: a Get with TableName and Key is required`);
      }
      const identity = await this.keys.identity(get.TableName, get.Key as Item);
      if (gets.some((g) => g.identity === identity)) {
        throw validation('Transaction request cannot include multiple operations on one item');
      }
      gets.push({ get, identity });
    }
    return this.locks.items(
      gets.map((g) => g.identity),
      false,
      async () => {
        const responses = await Promise.all(
          gets.map(({ get }) => this.backend.call('GetItem', { ...get, ConsistentRead: true })),
        );
        return { Responses: responses.map((r) => (r.Item ? { Item: r.Item } : {})) };
      },
    );
  }

  private async parse(items: unknown[]): Promise<Action[]> {
    const actions: Action[] = [];
    const seen = new Set<string>();
    for (const [index, entry] of items.entries()) {
      const present = KINDS.filter((kind) => (entry as Record<string, unknown> | null)?.[kind] !== undefined);
      if (present.length !== 1) {
        throw validation(
          `TransactItems[${index}]: exactly one of ConditionCheck, Put, Delete or Update is required (found ${present.length})`,
        );
      }
      const kind = present[0] as Kind;
      const params = (entry as Record<Kind, Record<string, unknown>>)[kind];
      const table = params.TableName;
      if (typeof table !== 'string')
        throw validation(`TransactItems[${index}].${kind}.TableName is required`);
      const source = (kind === 'Put' ? params.Item : params.Key) as Item | undefined;
      if (!source || typeof source !== 'object') {
        throw validation(`TransactItems[${index}].${kind}.${kind === 'Put' ? 'Item' : 'Key'} is required`);
      }
      if (kind === 'ConditionCheck' && typeof params.ConditionExpression !== 'string') {
        throw validation(`TransactItems[${index}].ConditionCheck.ConditionExpression is required`);
      }
      const rv = params.ReturnValuesOnConditionCheckFailure;
      if (rv !== undefined && rv !== 'ALL_OLD' && rv !== 'NONE') {
        throw validation(
          `1 validation error detected: Value '${String(rv)}' at 'transactItems.${index + 1}.member.${kind[0]?.toLowerCase()}${kind.slice(1)}.returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]`,
        );
      }
      let condition: Condition | undefined;
      try {
        const p = placeholders(params);
        if (typeof params.ConditionExpression === 'string') {
          condition = parseCondition(params.ConditionExpression, 'ConditionExpression', p);
        }
        if (kind === 'Update' && typeof params.UpdateExpression === 'string')
          parseUpdate(params.UpdateExpression, p);
        checkUnused(p);
      } catch (error) {
        if (error instanceof ExpressionError) throw validation(error.message);
        throw error;
      }
      const key = await this.keys.keyOf(table, source);
      const identity = itemIdentity(table, key);
      // A request error, before any item is read or condition evaluated: "no two actions can
      // target the same item" (API_TransactWriteItems). DynamoDB Local instead cancels when the
      // item's first action fails its condition (README, Fidelity).
      if (seen.has(identity))
        throw validation('Transaction request cannot include multiple operations on one item');
      seen.add(identity);
      actions.push({ kind, params, table, key, identity, ...(condition ? { condition } : {}) });
    }
    return actions;
  }

  /**
   * dynalite checks the action as DynamoDB would before writing (its item, its update, its
   * placeholders' values): sent with a condition that is always false, it writes nothing. An
   * index key of the wrong type (or empty) cancels the transaction with ValidationError at the
   * action, as DynamoDB does; any other error refuses the request.
   */
  private async validate(action: Action): Promise<Record<string, unknown> | undefined> {
    const { params } = action;
    const text = typeof params.ConditionExpression === 'string' ? params.ConditionExpression : '';
    const remaining = action.kind === 'Update' ? [params.UpdateExpression] : [];
    const {
      ReturnValuesOnConditionCheckFailure: _,
      ConditionExpression: _c,
      ExpressionAttributeNames: _n,
      ExpressionAttributeValues: _v,
      ...rest
    } = params;
    const operation =
      action.kind === 'Put' ? 'PutItem' : action.kind === 'Update' ? 'UpdateItem' : 'DeleteItem';
    const request = action.kind === 'ConditionCheck' ? { TableName: action.table, Key: action.key } : rest;
    if (action.kind === 'Put') {
      const empty = emptyIndexKey(params.Item as Item, await this.keys.indexKeys(action.table));
      if (empty) throw empty;
    }
    try {
      await this.backend.call(operation, { ...request, ...probe(false, params, [text], remaining) });
      throw new Error('dynalite: a write passed a condition that is always false');
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      if (
        error instanceof DynamoProtocolError &&
        error.type === 'ValidationException' &&
        ITEM_ERROR.test(error.message) &&
        // A scalar of the wrong type cancels at the action; a list, map, set, BOOL or NULL is refused outright (as DynamoDB Local does).
        !/Actual: (?:L|M|BOOL|NULL|SS|NS|BS)\b/.test(error.message)
      ) {
        return { Code: 'ValidationError', Message: error.message };
      }
      throw error;
    }
  }

  private check(action: Action): Record<string, unknown> {
    if (!action.condition || evaluate(action.old, action.condition)) return { Code: 'None' };
    return {
      Code: 'ConditionalCheckFailed',
      Message: 'The conditional request failed',
      ...(action.params.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && action.old
        ? { Item: action.old }
        : {}),
    };
  }

  private async apply(action: Action): Promise<void> {
    const {
      ReturnValuesOnConditionCheckFailure: _,
      ConditionExpression: condition,
      ExpressionAttributeNames: _names,
      ExpressionAttributeValues: _values,
      ...rest
    } = action.params;
    // The condition was evaluated here (check); dynalite gets the write alone.
    const params = {
      ...rest,
      ...keptPlaceholders(action.params, [String(condition ?? '')], [action.params.UpdateExpression]),
    };
    const operation =
      action.kind === 'Put' ? 'PutItem' : action.kind === 'Delete' ? 'DeleteItem' : 'UpdateItem';
    await this.backend.call(operation, params);
  }

  private async undo(applied: Action[]): Promise<void> {
    for (const action of applied.reverse()) {
      if (action.old) await this.backend.call('PutItem', { TableName: action.table, Item: action.old });
      else await this.backend.call('DeleteItem', { TableName: action.table, Key: action.key });
    }
  }
}

function cancelled(reasons: Record<string, unknown>[]): DynamoProtocolError {
  return new DynamoProtocolError(
    'TransactionCanceledException',
    `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
    { CancellationReasons: reasons },
  );
}
