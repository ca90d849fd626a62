import type { MessageAttributes } from './types.ts';

/**
 * Reading Query-protocol parameters: structure members are `A.B`, lists `Name.member.N`, maps
 * `Name.entry.N.key` / `.value` (SNS's MessageAttributes use `.Name` / `.Value`), N from 1.
 */
export class QueryParams {
  readonly #values: Map<string, string>;

  constructor(values: Iterable<[string, string]>) {
    this.#values = new Map(values);
  }

  static fromSearchParams(...sources: URLSearchParams[]): QueryParams {
    const values: Array<[string, string]> = [];
    for (const source of sources) for (const pair of source) values.push(pair);
    return new QueryParams(values);
  }

  get(name: string): string | undefined {
    return this.#values.get(name);
  }

  has(name: string): boolean {
    return this.#values.has(name);
  }

  /** A boolean member: `true`/`false` (any case); anything else is undefined. */
  bool(name: string): boolean | undefined {
    const value = this.get(name)?.toLowerCase();
    if (value === 'true') return true;
    if (value === 'false') return false;
    return undefined;
  }

  /** The sub-parameters under `prefix.` as their own QueryParams (for list members and structures). */
  scope(prefix: string): QueryParams {
    const start = `${prefix}.`;
    const values: Array<[string, string]> = [];
    for (const [key, value] of this.#values)
      if (key.startsWith(start)) values.push([key.slice(start.length), value]);
    return new QueryParams(values);
  }

  /** Indices N of `prefix.N.*` (or `prefix.N`), ascending. */
  indices(prefix: string): number[] {
    const start = `${prefix}.`;
    const found = new Set<number>();
    for (const key of this.#values.keys()) {
      if (!key.startsWith(start)) continue;
      const index = Number.parseInt(key.slice(start.length), 10);
      if (Number.isInteger(index) && index > 0) found.add(index);
    }
    return [...found].sort((a, b) => a - b);
  }

  /** `Name.member.N` structures, each as its own QueryParams. */
  members(name: string): QueryParams[] {
    return this.indices(`${name}.member`).map((n) => this.scope(`${name}.member.${n}`));
  }

  /** `Name.entry.N.key` / `.value` as a record (later duplicates win). */
  map(name: string, keyName = 'key', valueName = 'value'): Record<string, string> {
    const out: Record<string, string> = {};
    for (const n of this.indices(`${name}.entry`)) {
      const key = this.get(`${name}.entry.${n}.${keyName}`);
      if (key === undefined) continue;
      out[key] = this.get(`${name}.entry.${n}.${valueName}`) ?? '';
    }
    return out;
  }

  /** SNS message attributes: `MessageAttributes.entry.N.Name`, `.Value.DataType`, `.Value.StringValue|BinaryValue`. */
  messageAttributes(name = 'MessageAttributes'): MessageAttributes | undefined {
    const indices = this.indices(`${name}.entry`);
    if (indices.length === 0) return undefined;
    const out: MessageAttributes = {};
    for (const n of indices) {
      const entry = this.scope(`${name}.entry.${n}`);
      const attrName = entry.get('Name');
      if (attrName === undefined) continue;
      const value: MessageAttributes[string] = { DataType: entry.get('Value.DataType') ?? '' };
      const stringValue = entry.get('Value.StringValue');
      const binaryValue = entry.get('Value.BinaryValue');
      if (stringValue !== undefined) value.StringValue = stringValue;
      if (binaryValue !== undefined) value.BinaryValue = binaryValue;
      out[attrName] = value;
    }
    return out;
  }
}
