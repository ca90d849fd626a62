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
import {
  itemNestingError,
  itemSizeError,
  placeholderLimitError,
  transactionSizeError,
  updateSizeError,
} from './limits.ts';
import type { Locks } from './rwlock.ts';
import {
  emptyIndexKey,
  type IndexKey,
  type Item,
  isConditionFailure,
  itemIdentity,
  type KeySchemas,
  validation,
} from './tables.ts';

/**
 * TransactWriteItems and TransactGetItems on top of dynalite's single-item operations, under the
 * locks of every item they name (nothing else reads or writes those items meanwhile):
 * 1. every action, in order, is validated by dynalite (sent with a condition that is always
 *    false, so that it writes nothing) and its condition evaluated against the item as the earlier
 *    actions leave it (expressions/; checkInOrder);
 * 2. if any fails, TransactionCanceledException with one reason per action, in order;
 * 3. otherwise the writes are applied in order; should one fail (a data-dependent validation
 *    error), the ones applied are undone from the images read in step 1.
 * Conditions only ever name their own item and no item is written twice (checkInOrder refuses a
 * second action that passes on an item), so checking them one after another sees what an
 * all-at-once check would.
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
  /** An Update's top-level attribute names that it sets, removes, adds to or deletes from. */
  touches?: string[];
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
      const reasons = await this.checkInOrder(actions);
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
      const limit =
        placeholderLimitError(params) ??
        (kind === 'Put' ? (itemNestingError(source) ?? itemSizeError(source)) : undefined);
      if (limit) throw validation(limit);
      let condition: Condition | undefined;
      let touches: string[] | undefined;
      try {
        const p = placeholders(params);
        if (typeof params.ConditionExpression === 'string') {
          condition = parseCondition(params.ConditionExpression, 'ConditionExpression', p);
        }
        if (kind === 'Update' && typeof params.UpdateExpression === 'string') {
          const update = parseUpdate(params.UpdateExpression, p);
          const tooLarge = updateSizeError(update);
          if (tooLarge) throw validation(tooLarge);
          touches = [...update.set.map((a) => a.path), ...update.remove, ...update.add, ...update.delete]
            .map((target) => ('path' in target ? target.path : target).elements[0])
            .map(String);
        }
        checkUnused(p);
      } catch (error) {
        if (error instanceof ExpressionError) throw validation(error.message);
        throw error;
      }
      const key = await this.keys.keyOf(table, source);
      const identity = itemIdentity(table, key);
      actions.push({
        kind,
        params,
        table,
        key,
        identity,
        ...(condition ? { condition } : {}),
        ...(touches ? { touches } : {}),
      });
    }
    const total = transactionSizeError(
      actions.filter((a) => a.kind === 'Put').map((a) => a.params.Item as Item),
    );
    if (total) throw validation(total);
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
    let indexError: unknown;
    try {
      await this.backend.call(operation, { ...request, ...probe(false, params, [text], remaining) });
      throw new Error('dynalite: a write passed a condition that is always false');
    } catch (error) {
      if (!isConditionFailure(error) && !(error instanceof Error && ITEM_ERROR.test(error.message)))
        throw error;
      if (!isConditionFailure(error)) indexError = error;
    }
    // The rest of the item is valid: its index keys, in DynamoDB Local's order.
    if (action.kind === 'Put')
      return indexKeyProblem(params.Item as Item, await this.keys.indexKeys(action.table));
    if (indexError) {
      const error = indexError;
      if (
        error instanceof DynamoProtocolError &&
        error.type === 'ValidationException' &&
        // A scalar of the wrong type cancels at the action; a list, map, set, BOOL or NULL is refused outright (as DynamoDB Local does).
        !/Actual: (?:L|M|BOOL|NULL|SS|NS|BS)\b/.test(error.message)
      ) {
        return { Code: 'ValidationError', Message: error.message };
      }
      throw error;
    }
  }

  /**
   * Each action in order, as DynamoDB Local checks them: its item and index keys (a ValidationError
   * reason), then its condition, evaluated on the item as the earlier actions that passed leave it;
   * an action that passes on an item an earlier one has passed on refuses the whole request ("no
   * two actions can target the same item", API_TransactWriteItems). AWS's documentation does not
   * say which error wins when such a request also has a failing condition; DynamoDB Local cancels
   * then, and so does the emulator (README, Fidelity). A failed condition's ALL_OLD item is the
   * item as the transaction's passing actions leave it (DynamoDB Local reads it after the checks).
   */
  private async checkInOrder(actions: Action[]): Promise<Record<string, unknown>[]> {
    const reasons: Record<string, unknown>[] = [];
    const passed = new Map<string, Action>();
    const images = new Map<Action, Item | undefined>();
    const after = async (action: Action) => {
      if (!images.has(action)) images.set(action, await this.imageAfter(action));
      return images.get(action);
    };
    for (const action of actions) {
      // An Update of a key attribute whose condition holds ends the checks: DynamoDB Local
      // cancels there, before it looks at the action's other errors or at the later actions.
      const keyNames = action.kind === 'Update' ? await this.keys.keyNames(action.table) : [];
      const keyChanged = action.touches?.find((name) => keyNames.includes(name));
      if (keyChanged !== undefined) {
        const earlier = passed.get(action.identity);
        const failed = this.check(action, earlier ? await after(earlier) : action.old);
        if (failed) {
          reasons.push({ ...failed, action });
          continue;
        }
        reasons.push({
          Code: 'ValidationError',
          Message: `One or more parameter values were invalid: Cannot update attribute ${keyChanged}. This attribute is part of the key`,
        });
        while (reasons.length < actions.length) reasons.push({ Code: 'None' });
        break;
      }
      const refused = await this.validate(action);
      // A Put's item is checked before its condition; an Update's result (a key attribute
      // changed, an index key of the wrong type) only once its condition holds.
      if (refused && action.kind !== 'Update') {
        reasons.push(refused);
        continue;
      }
      const earlier = passed.get(action.identity);
      const failed = this.check(action, earlier ? await after(earlier) : action.old);
      if (!failed && refused) {
        reasons.push(refused);
        continue;
      }
      if (!failed) {
        if (earlier) throw validation('Transaction request cannot include multiple operations on one item');
        passed.set(action.identity, action);
      }
      reasons.push(failed ? { ...failed, action } : { Code: 'None' });
    }
    return Promise.all(
      reasons.map(async ({ action, ...reason }) => {
        if (!action) return reason;
        const { identity, old, params } = action as Action;
        const last = passed.get(identity);
        const image = last ? await after(last) : old;
        const wanted = params.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && image;
        return wanted ? { ...reason, Item: image } : reason;
      }),
    );
  }

  /**
   * The item as `action` (which passed its checks) would leave it. A Put or an Update is applied by
   * dynalite, read back as stored (Numbers trimmed) and undone at once: the transaction holds the
   * item's lock, and the request is refused or cancelled whatever follows, since a later action
   * names the same item.
   */
  private async imageAfter(action: Action): Promise<Item | undefined> {
    if (action.kind === 'ConditionCheck') return action.old;
    if (action.kind === 'Delete') return undefined;
    try {
      await this.apply(action);
      const got = await this.backend.call('GetItem', {
        TableName: action.table,
        Key: action.key,
        ConsistentRead: true,
      });
      return got.Item as Item | undefined;
    } finally {
      await this.undo([action]);
    }
  }

  /** The condition's failure (without the ALL_OLD item, which checkInOrder adds), or undefined. */
  private check(action: Action, image: Item | undefined): Record<string, unknown> | undefined {
    if (!action.condition || evaluate(image, action.condition)) return undefined;
    return { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' };
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

/**
 * A Put's index keys, local indexes' first, as DynamoDB Local checks them: a list, map, set, BOOL
 * or NULL refuses the request; a String, Number or Binary of the wrong type cancels the transaction
 * with ValidationError at the action; an empty String or Binary of the right type refuses it.
 */
function indexKeyProblem(item: Item, keys: IndexKey[]): Record<string, unknown> | undefined {
  for (const key of keys) {
    const value = item[key.name];
    if (!value || typeof value !== 'object') continue;
    const type = Object.keys(value)[0] ?? '';
    const mismatch = `One or more parameter values were invalid: Type mismatch for Index Key ${key.name} Expected: ${key.type} Actual: ${type} IndexName: ${key.index}`;
    if (!['S', 'N', 'B'].includes(type)) throw validation(mismatch);
    if (type !== key.type) return { Code: 'ValidationError', Message: mismatch };
    const empty = emptyIndexKey({ [key.name]: value }, [key]);
    if (empty) throw empty;
  }
  return undefined;
}

function cancelled(reasons: Record<string, unknown>[]): DynamoProtocolError {
  return new DynamoProtocolError(
    'TransactionCanceledException',
    `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
    { CancellationReasons: reasons },
  );
}
