/**
 * Tables as the emulator's own operations see them: each table's key attribute names, read once from
 * DescribeTable, and the key of an item.
 */
import type { Backend } from './backend.ts';
import { DynamoProtocolError } from './errors.ts';

export type AttributeValue = Record<string, unknown>;
export type Item = Record<string, AttributeValue>;

/** Each table's key attribute names (hash, then range), read once from DescribeTable. */
export class KeySchemas {
  private readonly names = new Map<string, string[]>();

  constructor(private readonly backend: Backend) {}

  async keyNames(table: string): Promise<string[]> {
    const known = this.names.get(table);
    if (known) return known;
    const described = (await this.backend.call('DescribeTable', { TableName: table })) as {
      Table?: { KeySchema?: { AttributeName: string; KeyType: string }[] };
    };
    const schema = described.Table?.KeySchema ?? [];
    const names = [...schema].sort((a, b) => (a.KeyType === 'HASH' ? -1 : b.KeyType === 'HASH' ? 1 : 0));
    const result = names.map((k) => k.AttributeName);
    this.names.set(table, result);
    return result;
  }

  /** The key of `item` (an Item, or a Key) in `table`; ValidationException when a key attribute is missing. */
  async keyOf(table: string, item: Item): Promise<Item> {
    const key: Item = {};
    for (const name of await this.keyNames(table)) {
      const value = item[name];
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

  /** A name for one item of one table, the same however the request orders the key's attributes. */
  async identity(table: string, item: Item): Promise<string> {
    return itemIdentity(table, await this.keyOf(table, item));
  }

  forget(table: string): void {
    this.names.delete(table);
  }
}

export function itemIdentity(table: string, key: Item): string {
  return `${table}\u0000${JSON.stringify(key)}`;
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
