/**
 * Tables as the emulator's own operations see them: each table's key attribute names, read once from
 * DescribeTable, and the key of an item.
 */
import type { Backend } from './backend.ts';
import { DynamoProtocolError } from './errors.ts';
import { formatDecimal, parseNumber } from './expressions/values.ts';

export type AttributeValue = Record<string, unknown>;
export type Item = Record<string, AttributeValue>;

export interface IndexKey {
  index: string;
  name: string;
  type: string;
}

/** An empty string or binary given to a secondary index's key attribute: DynamoDB refuses the item. */
export function emptyIndexKey(item: Item, keys: IndexKey[]): DynamoProtocolError | undefined {
  for (const key of keys) {
    const value = item[key.name];
    if (value && (value.S === '' || value.B === '')) {
      return validation(
        `One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty ${value.S === '' ? 'string' : 'binary'} value. IndexName: ${key.index}, IndexKey: ${key.name}`,
      );
    }
  }
  return undefined;
}

/** Each table's key attribute names (hash, then range), read once from DescribeTable. */
export class KeySchemas {
  private readonly names = new Map<string, string[]>();

  constructor(private readonly backend: Backend) {}

  private readonly indexes = new Map<string, IndexKey[]>();
  private readonly projections = new Map<string, Map<string, Set<string> | 'ALL'>>();

  /** What each global secondary index projects: 'ALL', or the attribute names. */
  async globalProjections(table: string): Promise<Map<string, Set<string> | 'ALL'>> {
    const known = this.projections.get(table);
    if (known) return known;
    await this.describe(table);
    return this.projections.get(table) ?? new Map();
  }

  async keyNames(table: string): Promise<string[]> {
    const known = this.names.get(table);
    if (known) return known;
    await this.describe(table);
    return this.names.get(table) ?? [];
  }

  /** The key attributes of the table's secondary indexes (an item may not give them an empty value). */
  async indexKeys(table: string): Promise<IndexKey[]> {
    const known = this.indexes.get(table);
    if (known) return known;
    await this.describe(table);
    return this.indexes.get(table) ?? [];
  }

  private async describe(table: string): Promise<void> {
    type Schema = { AttributeName: string; KeyType: string }[];
    const described = (await this.backend.call('DescribeTable', { TableName: table })) as {
      Table?: {
        KeySchema?: Schema;
        AttributeDefinitions?: { AttributeName: string; AttributeType: string }[];
        GlobalSecondaryIndexes?: {
          IndexName: string;
          KeySchema: Schema;
          Projection?: { ProjectionType?: string; NonKeyAttributes?: string[] };
        }[];
        LocalSecondaryIndexes?: { IndexName: string; KeySchema: Schema }[];
      };
    };
    const schema = described.Table?.KeySchema ?? [];
    const names = [...schema].sort((a, b) => (a.KeyType === 'HASH' ? -1 : b.KeyType === 'HASH' ? 1 : 0));
    this.names.set(
      table,
      names.map((k) => k.AttributeName),
    );
    const types = new Map(
      (described.Table?.AttributeDefinitions ?? []).map((d) => [d.AttributeName, d.AttributeType]),
    );
    const indexKeys: IndexKey[] = [];
    // Local indexes' keys first: DynamoDB Local checks an item's index keys in that order.
    for (const index of [
      ...(described.Table?.LocalSecondaryIndexes ?? []),
      ...(described.Table?.GlobalSecondaryIndexes ?? []),
    ]) {
      for (const k of index.KeySchema) {
        if (names.some((n) => n.AttributeName === k.AttributeName)) continue;
        indexKeys.push({
          index: index.IndexName,
          name: k.AttributeName,
          type: types.get(k.AttributeName) ?? 'S',
        });
      }
    }
    this.indexes.set(table, indexKeys);
    const projected = new Map<string, Set<string> | 'ALL'>();
    for (const index of described.Table?.GlobalSecondaryIndexes ?? []) {
      const projection = index.Projection ?? {};
      projected.set(
        index.IndexName,
        projection.ProjectionType === 'ALL'
          ? 'ALL'
          : new Set([
              ...names.map((k) => k.AttributeName),
              ...index.KeySchema.map((k) => k.AttributeName),
              ...(projection.NonKeyAttributes ?? []),
            ]),
      );
    }
    this.projections.set(table, projected);
  }

  /** The key of `item` (an Item, or a Key) in `table`; ValidationException when a key attribute is missing. */
  async keyOf(table: string, item: Item): Promise<Item> {
    return keyFrom(this.names.get(table) ?? (await this.keyNames(table)), item);
  }

  /** A name for one item of one table, the same however the request orders the key's attributes. */
  async identity(table: string, item: Item): Promise<string> {
    return itemIdentity(table, await this.keyOf(table, item));
  }

  forget(table: string): void {
    this.names.delete(table);
    this.indexes.delete(table);
    this.projections.delete(table);
  }
}

/** The key attributes `names` of `item`; ValidationException when one is missing. */
export function keyFrom(names: string[], item: Item): Item {
  const key: Item = {};
  for (const name of names) {
    const value = item?.[name];
    if (!value) {
      throw new DynamoProtocolError(
        'ValidationException',
        'The provided key element does not match the schema',
      );
    }
    key[name] = value;
  }
  return key;
}

/** Numbers in keys by value: `1.5` and `1.50` name one item, as in DynamoDB. */
export function itemIdentity(table: string, key: Item): string {
  const canonical = Object.entries(key).map(([name, value]) => {
    const number = typeof value.N === 'string' ? parseNumber(value.N) : undefined;
    return [name, number ? { N: formatDecimal(number) } : value];
  });
  return `${table}\u0000${JSON.stringify(canonical)}`;
}

/** `ExpressionAttributeNames`/`Values` cut down to what `expressions` use (DynamoDB rejects unused ones). */
export function usedPlaceholders(
  params: Record<string, unknown>,
  expressions: (string | undefined)[],
): { ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Item } {
  const text = expressions.filter(Boolean).join(' ');
  const pick = <T>(all: Record<string, T> | undefined, pattern: RegExp): Record<string, T> | undefined => {
    if (!all) return undefined;
    const used = new Set(text.match(pattern) ?? []);
    const kept = Object.fromEntries(Object.entries(all).filter(([name]) => used.has(name)));
    return Object.keys(kept).length > 0 ? kept : undefined;
  };
  const names = pick(
    params.ExpressionAttributeNames as Record<string, string> | undefined,
    /#[A-Za-z0-9_]+/g,
  );
  const values = pick(params.ExpressionAttributeValues as Item | undefined, /:[A-Za-z0-9_]+/g);
  return {
    ...(names ? { ExpressionAttributeNames: names } : {}),
    ...(values ? { ExpressionAttributeValues: values } : {}),
  };
}

export function validation(message: string): DynamoProtocolError {
  return new DynamoProtocolError('ValidationException', message);
}

export function isConditionFailure(error: unknown): boolean {
  return error instanceof DynamoProtocolError && error.type === 'ConditionalCheckFailedException';
}
