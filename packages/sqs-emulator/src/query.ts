import type { Input } from './validation.ts';

/**
 * The Query protocol's parameters turned into the JSON protocol's input shape (reference §1.3):
 * `Attribute.N.Name/Value` → `Attributes`, `Tag.N.Key/Value` → `tags`/`Tags`, `AttributeName.N` →
 * `AttributeNames`, `MessageAttribute.N.Name` + `.Value.*` → `MessageAttributes`,
 * `<Action>RequestEntry.N.*` → `Entries`.
 */

const IGNORED = new Set([
  'Action',
  'Version',
  'AWSAccessKeyId',
  'Signature',
  'SignatureMethod',
  'SignatureVersion',
  'Timestamp',
  'Expires',
  'SecurityToken',
]);

const LISTS: Record<string, string> = {
  AttributeName: 'AttributeNames',
  MessageAttributeName: 'MessageAttributeNames',
  MessageSystemAttributeName: 'MessageSystemAttributeNames',
  TagKey: 'TagKeys',
};

const BATCH_ENTRIES: Record<string, string> = {
  SendMessageBatch: 'SendMessageBatchRequestEntry',
  DeleteMessageBatch: 'DeleteMessageBatchRequestEntry',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibilityBatchRequestEntry',
};

type Params = Map<string, string>;

function scope(params: Params, prefix: string): Params {
  const out: Params = new Map();
  const start = `${prefix}.`;
  for (const [key, value] of params) if (key.startsWith(start)) out.set(key.slice(start.length), value);
  return out;
}

function indices(params: Params, prefix: string): number[] {
  const found = new Set<number>();
  const start = `${prefix}.`;
  for (const key of params.keys()) {
    if (!key.startsWith(start)) continue;
    const n = Number.parseInt(key.slice(start.length), 10);
    if (Number.isInteger(n) && n > 0) found.add(n);
  }
  return [...found].sort((a, b) => a - b);
}

function pairs(
  params: Params,
  prefix: string,
  keyName: string,
  valueName: string,
): Record<string, string> | undefined {
  const ns = indices(params, prefix);
  if (ns.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const n of ns) {
    const key = params.get(`${prefix}.${n}.${keyName}`);
    if (key !== undefined) out[key] = params.get(`${prefix}.${n}.${valueName}`) ?? '';
  }
  return out;
}

function messageAttributes(
  params: Params,
  prefix: string,
): Record<string, Record<string, string>> | undefined {
  const ns = indices(params, prefix);
  if (ns.length === 0) return undefined;
  const out: Record<string, Record<string, string>> = {};
  for (const n of ns) {
    const entry = scope(params, `${prefix}.${n}`);
    const name = entry.get('Name');
    if (name === undefined) continue;
    const value: Record<string, string> = { DataType: entry.get('Value.DataType') ?? '' };
    const text = entry.get('Value.StringValue');
    const binary = entry.get('Value.BinaryValue');
    if (text !== undefined) value.StringValue = text;
    if (binary !== undefined) value.BinaryValue = binary;
    out[name] = value;
  }
  return out;
}

function decode(action: string, params: Params): Input {
  const input: Input = {};
  for (const [key, value] of params)
    if (!key.includes('.') && !IGNORED.has(key) && !key.startsWith('X-Amz-')) input[key] = value;
  for (const [prefix, name] of Object.entries(LISTS)) {
    const ns = indices(params, prefix);
    if (ns.length > 0) input[name] = ns.map((n) => params.get(`${prefix}.${n}`) ?? '');
  }
  const attributes = pairs(params, 'Attribute', 'Name', 'Value');
  if (attributes) input.Attributes = attributes;
  const tags = pairs(params, 'Tag', 'Key', 'Value');
  if (tags) input[action === 'CreateQueue' ? 'tags' : 'Tags'] = tags;
  const user = messageAttributes(params, 'MessageAttribute');
  if (user) input.MessageAttributes = user;
  const system = messageAttributes(params, 'MessageSystemAttribute');
  if (system) input.MessageSystemAttributes = system;
  const entryName = BATCH_ENTRIES[action];
  if (entryName) {
    const ns = indices(params, entryName);
    if (ns.length > 0) input.Entries = ns.map((n) => decode('', scope(params, `${entryName}.${n}`)));
  }
  return input;
}

export function queryInput(action: string, params: Iterable<[string, string]>): Input {
  return decode(action, new Map(params));
}
