import {
  COMPUTED_ATTRIBUTES,
  FIFO_ATTRIBUTES,
  MAX_BATCH_ID,
  MAX_MESSAGE_ATTRIBUTES,
  MAX_QUEUE_NAME,
  type NumericAttribute,
  SETTABLE_ATTRIBUTES,
  STORED_ATTRIBUTES,
} from './constants.ts';
import {
  invalidAttributeName,
  invalidAttributeValue,
  invalidMessageContents,
  invalidParameterValue,
  invalidValue,
  missingParameter,
} from './errors.ts';
import type { MessageAttributes, MessageAttributeValue } from './types.ts';

/**
 * Reading a request's input (the JSON protocol's shape; the Query protocol is converted to it
 * first) and checking it against SQS's documented limits. Every failure names the parameter.
 */
export type Input = Record<string, unknown>;

export function optionalString(input: Input, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidValue(JSON.stringify(value), name, 'Must be a string.');
  return value;
}

export function requiredString(input: Input, name: string): string {
  const value = optionalString(input, name);
  if (value === undefined || value === '') throw missingParameter(name);
  return value;
}

/** An integer parameter (a number in JSON, a string in Query). */
export function optionalInteger(
  input: Input,
  name: string,
  min: number,
  max: number,
  reason = `Must be >= ${min} and <= ${max}, if provided.`,
): number | undefined {
  const value = input[name];
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  if (!Number.isInteger(number) || number < min || number > max) throw invalidValue(value, name, reason);
  return number;
}

export function stringList(input: Input, name: string): string[] {
  const value = input[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw invalidValue(JSON.stringify(value), name, 'Must be a list of strings.');
  return value as string[];
}

export function stringMap(input: Input, name: string): Record<string, string> {
  const value = input[name];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw invalidValue(JSON.stringify(value), name, 'Must be a map of strings.');
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw invalidValue(JSON.stringify(v), `${name}.${key}`, 'Must be a string.');
    out[key] = v;
  }
  return out;
}

export function entries(input: Input, name: string): Input[] {
  const value = input[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'object' || v === null || Array.isArray(v)))
    throw invalidValue(JSON.stringify(value), name, 'Must be a list of entries.');
  return value as Input[];
}

const QUEUE_NAME = new RegExp(`^[A-Za-z0-9_-]{1,${MAX_QUEUE_NAME}}$`);
const FIFO_QUEUE_NAME = new RegExp(`^[A-Za-z0-9_-]{1,${MAX_QUEUE_NAME - 5}}\\.fifo$`);

/** Checks a queue name against the queue type (`.fifo` exactly when FifoQueue is true). */
export function checkQueueName(name: string, fifo: boolean): void {
  if (fifo || name.endsWith('.fifo')) {
    if (!fifo || !FIFO_QUEUE_NAME.test(name))
      throw invalidParameterValue(
        'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.',
      );
    return;
  }
  if (!QUEUE_NAME.test(name))
    throw invalidParameterValue(
      `Value ${name} for parameter QueueName is invalid. Reason: Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length.`,
    );
}

const BATCH_ID = new RegExp(`^[A-Za-z0-9_-]{1,${MAX_BATCH_ID}}$`);

export const isValidBatchId = (id: string): boolean => BATCH_ID.test(id);

// XML 1.0 characters: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the characters SQS refuses are control characters
const INVALID_CHARACTER = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function checkCharacters(value: string): void {
  if (INVALID_CHARACTER.test(value)) throw invalidMessageContents();
}

function checkNumericAttribute(name: NumericAttribute, value: string): string {
  const { min, max } = SETTABLE_ATTRIBUTES[name];
  const number = Number(value);
  if (!/^\s*-?\d+\s*$/.test(value) || number < min || number > max)
    throw invalidAttributeValue(`Invalid value for the parameter ${name}.`);
  return String(number);
}

function parseJsonAttribute(name: string, value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw invalidValue(value, name, `${name} is not a valid JSON map.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw invalidValue(value, name, `${name} is not a valid JSON map.`);
  return parsed as Record<string, unknown>;
}

/** The normalised RedrivePolicy (`maxReceiveCount` a number), or '' to remove it. */
export function normaliseRedrivePolicy(value: string): string {
  if (value === '') return '';
  const policy = parseJsonAttribute('RedrivePolicy', value);
  const target = policy.deadLetterTargetArn;
  const count = policy.maxReceiveCount;
  if (typeof target !== 'string' || target === '')
    throw invalidValue(value, 'RedrivePolicy', 'Redrive policy does not contain deadLetterTargetArn.');
  if (count === undefined)
    throw invalidValue(value, 'RedrivePolicy', 'Redrive policy does not contain maxReceiveCount.');
  const number = typeof count === 'number' ? count : typeof count === 'string' ? Number(count) : Number.NaN;
  if (!Number.isInteger(number) || number < 1 || number > 1000)
    throw invalidValue(
      value,
      'RedrivePolicy',
      'Invalid value for maxReceiveCount: must be between 1 and 1000.',
    );
  return JSON.stringify({ deadLetterTargetArn: target, maxReceiveCount: number });
}

export function normaliseRedriveAllowPolicy(value: string): string {
  if (value === '') return '';
  const policy = parseJsonAttribute('RedriveAllowPolicy', value);
  const permission = policy.redrivePermission;
  if (permission !== 'allowAll' && permission !== 'denyAll' && permission !== 'byQueue')
    throw invalidValue(
      value,
      'RedriveAllowPolicy',
      'redrivePermission must be one of allowAll, denyAll, byQueue.',
    );
  const sources = policy.sourceQueueArns;
  if (permission === 'byQueue') {
    if (
      !Array.isArray(sources) ||
      sources.length < 1 ||
      sources.length > 10 ||
      sources.some((s) => typeof s !== 'string')
    )
      throw invalidValue(
        value,
        'RedriveAllowPolicy',
        'sourceQueueArns must list 1 to 10 queue ARNs when redrivePermission is byQueue.',
      );
    return JSON.stringify({ redrivePermission: permission, sourceQueueArns: sources });
  }
  if (sources !== undefined)
    throw invalidValue(
      value,
      'RedriveAllowPolicy',
      'sourceQueueArns is allowed only when redrivePermission is byQueue.',
    );
  return JSON.stringify({ redrivePermission: permission });
}

/** Checks queue attributes a client sets; returns them normalised ('' = remove). */
export function checkQueueAttributes(attributes: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (name in SETTABLE_ATTRIBUTES) {
      out[name] = checkNumericAttribute(name as NumericAttribute, value);
    } else if (name === 'RedrivePolicy') {
      out[name] = normaliseRedrivePolicy(value);
    } else if (name === 'RedriveAllowPolicy') {
      out[name] = normaliseRedriveAllowPolicy(value);
    } else if (name === 'SqsManagedSseEnabled') {
      if (value !== 'true' && value !== 'false')
        throw invalidAttributeValue(`Invalid value for the parameter ${name}.`);
      out[name] = value;
    } else if (name in FIFO_ATTRIBUTES) {
      const allowed: readonly string[] = FIFO_ATTRIBUTES[name as keyof typeof FIFO_ATTRIBUTES].values;
      if (!allowed.includes(value)) throw invalidAttributeValue(`Invalid value for the parameter ${name}.`);
      out[name] = value;
    } else if ((STORED_ATTRIBUTES as readonly string[]).includes(name)) {
      if (name === 'Policy' && value !== '') parseJsonAttribute('Policy', value);
      out[name] = value;
    } else if ((COMPUTED_ATTRIBUTES as readonly string[]).includes(name)) {
      throw invalidAttributeName(`Unknown Attribute ${name}.`);
    } else {
      throw invalidAttributeName(`Unknown Attribute ${name}.`);
    }
  }
  return out;
}

const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const DATA_TYPE = /^(String|Number|Binary)(\..+)?$/;

function checkAttributeName(name: string, kind: string): void {
  if (
    !ATTRIBUTE_NAME.test(name) ||
    name.includes('..') ||
    name.startsWith('.') ||
    name.endsWith('.') ||
    /^(aws|amazon)\./i.test(name)
  )
    throw invalidParameterValue(
      `Message (${kind}) attribute name '${name}' is invalid. Names may contain alphanumeric characters, '_', '-' and '.', up to 256, must not start or end with '.', contain '..', or start with 'AWS.' or 'Amazon.'.`,
    );
}

/** Checks message attributes; returns them (copied, only the documented members) and their size in bytes. */
export function checkMessageAttributes(
  value: unknown,
  kind: 'user' | 'system',
): { attributes: MessageAttributes | undefined; bytes: number } {
  if (value === undefined || value === null) return { attributes: undefined, bytes: 0 };
  if (typeof value !== 'object' || Array.isArray(value))
    throw invalidParameterValue(`Message (${kind}) attributes must be a map.`);
  const names = Object.keys(value);
  if (names.length === 0) return { attributes: undefined, bytes: 0 };
  if (names.length > MAX_MESSAGE_ATTRIBUTES)
    throw invalidParameterValue(
      `Number of message attributes [${names.length}] exceeds the allowed maximum [${MAX_MESSAGE_ATTRIBUTES}].`,
    );
  const out: MessageAttributes = {};
  let bytes = 0;
  for (const name of names) {
    const raw = (value as Record<string, unknown>)[name] as Record<string, unknown> | null;
    if (kind === 'system' && name !== 'AWSTraceHeader')
      throw invalidParameterValue(`Message system attribute name '${name}' is invalid.`);
    if (kind === 'user') checkAttributeName(name, kind);
    if (typeof raw !== 'object' || raw === null)
      throw invalidParameterValue(`Message (${kind}) attribute '${name}' must be a structure with DataType.`);
    const dataType = raw.DataType;
    if (typeof dataType !== 'string' || dataType === '')
      throw invalidParameterValue(`The message (${kind}) attribute '${name}' must contain a DataType.`);
    if (!DATA_TYPE.test(dataType) || dataType.length > 256)
      throw invalidParameterValue(
        `The type of message (${kind}) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
      );
    for (const list of ['StringListValues', 'BinaryListValues']) {
      const items = raw[list];
      if (Array.isArray(items) && items.length > 0)
        throw invalidParameterValue(
          `Message (${kind}) attribute '${name}': ${list} is reserved by SQS and not supported.`,
        );
    }
    const attribute: MessageAttributeValue = { DataType: dataType };
    if (dataType.startsWith('Binary')) {
      const binary = raw.BinaryValue;
      if (typeof binary !== 'string' || binary === '')
        throw invalidParameterValue(
          `Message (${kind}) attribute '${name}' must contain a non-empty value of message attribute type '${dataType}'.`,
        );
      attribute.BinaryValue = binary;
      bytes += Buffer.from(binary, 'base64').length;
    } else {
      const text = raw.StringValue;
      if (typeof text !== 'string' || text === '')
        throw invalidParameterValue(
          `Message (${kind}) attribute '${name}' must contain a non-empty value of message attribute type '${dataType}'.`,
        );
      checkCharacters(text);
      if (dataType.startsWith('Number') && !Number.isFinite(Number(text)))
        throw invalidParameterValue(`Could not cast message attribute '${name}' value to number.`);
      attribute.StringValue = text;
      bytes += Buffer.byteLength(text);
    }
    if (kind === 'system' && !dataType.startsWith('String'))
      throw invalidParameterValue(`Message system attribute '${name}' must be of type String.`);
    bytes += Buffer.byteLength(name) + Buffer.byteLength(dataType);
    out[name] = attribute;
  }
  return { attributes: out, bytes };
}
