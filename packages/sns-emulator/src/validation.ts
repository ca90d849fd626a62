import { LosslessNumber, parse as parseLosslessJson } from 'lossless-json';
import { MAX_MESSAGE_BYTES, MAX_SUBJECT_CHARS } from './constants.ts';
import { batchError, invalidParameter, invalidParameterValue, validationError } from './errors.ts';
import type { MessageAttributes } from './types.ts';

/**
 * Request validation with AWS's codes and (where known) messages. Messages follow what LocalStack
 * recorded from AWS; the ones not checked against AWS are listed in the wire-format reference.
 */

export interface TopicArnParts {
  region: string;
  accountId: string;
  name: string;
}

/** `arn:aws:sns:<region>:<account>:<name>`; anything else is InvalidParameter. */
export function parseTopicArn(arn: string | undefined, parameter = 'TopicArn'): TopicArnParts {
  if (!arn) throw invalidParameter(`Invalid parameter: ${parameter} Reason: no value for required parameter`);
  const parts = arn.split(':');
  if (parts.length < 6) {
    throw invalidParameter(
      `Invalid parameter: ${parameter} Reason: An ARN must have at least 6 elements, not ${parts.length}`,
    );
  }
  const [prefix, partition, service, region, accountId, name] = parts;
  if (
    parts.length !== 6 ||
    prefix !== 'arn' ||
    !partition?.startsWith('aws') ||
    service !== 'sns' ||
    !region ||
    !accountId ||
    !name
  ) {
    throw invalidParameter(`Invalid parameter: ${parameter}`);
  }
  return { region, accountId, name };
}

const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;

/** 1–256 of `[A-Za-z0-9_-]`; FIFO topics (and only they) end in `.fifo`, counted in the 256. */
export function validateTopicName(name: string | undefined, fifo: boolean): void {
  if (name === undefined || name === '') throw invalidParameter('Invalid parameter: Topic Name');
  const base = name.endsWith('.fifo') ? name.slice(0, -'.fifo'.length) : name;
  if (!TOPIC_NAME.test(base) || name.length > 256) throw invalidParameter('Invalid parameter: Topic Name');
  if (fifo !== name.endsWith('.fifo')) {
    throw invalidParameter(
      'Invalid parameter: Fifo Topic names must end with .fifo and they must be created with the FifoTopic attribute set to true',
    );
  }
}

/** UTF-8 text without line breaks or control characters, 1–100 characters. */
export function validateSubject(subject: string | undefined): void {
  if (subject === undefined) return;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is rejected
  if (subject === '' || [...subject].length > MAX_SUBJECT_CHARS || /[\u0000-\u001F\u007F]/.test(subject)) {
    throw invalidParameter('Invalid parameter: Subject');
  }
}

export function validateMessage(message: string | undefined): string {
  if (message === undefined || message === '') throw invalidParameter('Invalid parameter: Empty message');
  return message;
}

const ATTRIBUTE_NAME = /^[A-Za-z0-9_\-.]+$/;
const DATA_TYPE = /^(String|Number|Binary)(\.[^\s]{1,250})?$/;

function validateAttributeName(name: string): void {
  if (Buffer.byteLength(name) > 256) {
    throw invalidParameterValue('Length of message attribute name must be less than 256 bytes.');
  }
  if (name.startsWith('.'))
    throw invalidParameterValue("Invalid message attribute name starting with character '.' was found.");
  if (name.endsWith('.'))
    throw invalidParameterValue("Invalid message attribute name ending with character '.' was found.");
  if (name.includes('..'))
    throw invalidParameterValue("Message attribute name can not have successive '.' character.");
  if (!ATTRIBUTE_NAME.test(name)) {
    const bad = [...name].find((c) => !ATTRIBUTE_NAME.test(c)) ?? '';
    const hex = `#x${(bad.codePointAt(0) ?? 0).toString(16).toUpperCase()}`;
    throw invalidParameterValue(
      `Invalid non-alphanumeric character '${hex}' was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots.`,
    );
  }
  if (/^(aws|amazon)\./i.test(name)) {
    throw invalidParameterValue(
      `The message attribute name '${name}' is reserved: names cannot start with AWS. or Amazon.`,
    );
  }
}

/** `position` is the 1-based batch entry, for the ValidationError path as AWS words it. */
export function validateMessageAttributes(
  attributes: MessageAttributes | undefined,
  position?: number,
): void {
  if (!attributes) return;
  for (const [name, attribute] of Object.entries(attributes)) {
    validateAttributeName(name);
    const dataType = attribute.DataType;
    if (dataType === '') {
      const at =
        position === undefined
          ? `messageAttributes.${name}.member.dataType`
          : `publishBatchRequestEntries.${position}.member.messageAttributes.${name}.member.dataType`;
      throw validationError(
        `1 validation error detected: Value null at '${at}' failed to satisfy constraint: Member must not be null`,
      );
    }
    if (!DATA_TYPE.test(dataType)) {
      throw invalidParameterValue(
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
    const binary = dataType.startsWith('Binary');
    const field = binary ? 'BinaryValue' : 'StringValue';
    const value = binary ? attribute.BinaryValue : attribute.StringValue;
    if (attribute.StringValue === undefined && attribute.BinaryValue === undefined) {
      throw invalidParameterValue(
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${dataType}'.`,
      );
    }
    if (value === undefined) {
      throw invalidParameterValue(
        `The message attribute '${name}' with type '${dataType}' must use field '${field.replace('Value', '')}'.`,
      );
    }
    if (value === '') {
      throw invalidParameterValue(
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${dataType}'.`,
      );
    }
    if (dataType.startsWith('Number') && !isValidNumber(value)) {
      throw invalidParameterValue(`Could not cast message attribute '${name}' value to number.`);
    }
    if (dataType === 'String.Array' && !isJsonArray(value)) {
      throw invalidParameterValue(
        `The message attribute '${name}' with type 'String.Array' must be a valid JSON array.`,
      );
    }
  }
}

function isValidNumber(value: string): boolean {
  return /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value.trim()) && Number.isFinite(Number(value));
}

function isJsonArray(value: string): boolean {
  try {
    return Array.isArray(JSON.parse(value));
  } catch {
    return false;
  }
}

/** Message plus every attribute's name, type and value count towards the 256 KB limit. */
export function publishSize(message: string, attributes: MessageAttributes | undefined): number {
  let size = Buffer.byteLength(message);
  for (const [name, attribute] of Object.entries(attributes ?? {})) {
    size += Buffer.byteLength(name) + Buffer.byteLength(attribute.DataType);
    size += Buffer.byteLength(attribute.StringValue ?? '') + Buffer.byteLength(attribute.BinaryValue ?? '');
  }
  return size;
}

export function validatePublishSize(message: string, attributes: MessageAttributes | undefined): void {
  if (publishSize(message, attributes) > MAX_MESSAGE_BYTES)
    throw invalidParameter('Invalid parameter: Message too long');
}

export function validateMessageStructure(structure: string | undefined): 'json' | undefined {
  if (structure === undefined) return undefined;
  if (structure !== 'json') throw invalidParameter('Invalid parameter: MessageStructure');
  return 'json';
}

/**
 * `MessageStructure=json`: a JSON object with a string `default`; other string members name
 * protocols, non-string members are ignored; duplicate keys or bad JSON reject the Publish.
 */
export function parseMessageStructure(message: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = parseLosslessJson(message);
  } catch (error) {
    throw invalidParameter('Invalid parameter: Message Structure - JSON message body failed to parse', {
      cause: error,
    });
  }
  const out: Record<string, string> = {};
  if (
    parsed !== null &&
    typeof parsed === 'object' &&
    !Array.isArray(parsed) &&
    !(parsed instanceof LosslessNumber)
  ) {
    for (const [key, value] of Object.entries(parsed)) if (typeof value === 'string') out[key] = value;
  }
  if (out.default === undefined) {
    throw invalidParameter('Invalid parameter: Message Structure - No default entry in JSON message body');
  }
  return out;
}

const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]+$/;

export function validateBatchEntryId(id: string): void {
  if (id.length > 80) {
    throw batchError(
      'InvalidBatchEntryId',
      `The Id of a batch entry in the batch request is too long: ${id}`,
    );
  }
  if (!BATCH_ENTRY_ID.test(id)) {
    throw batchError(
      'InvalidBatchEntryId',
      `The Id of a batch entry in the batch request contains an impermissible character: ${id}`,
    );
  }
}

export function validateBooleanAttribute(
  name: string,
  value: string,
  prefix = 'Invalid parameter: ',
): string {
  const lower = value.toLowerCase();
  if (lower !== 'true' && lower !== 'false') {
    throw invalidParameter(`${prefix}${name}: Invalid value [${value}]. Must be true or false.`);
  }
  return lower;
}

export function validateJsonAttribute(name: string, value: string, prefix = 'Invalid parameter: '): void {
  if (value === '') return;
  try {
    JSON.parse(value);
  } catch (error) {
    throw invalidParameter(`${prefix}${name}: failed to parse JSON.`, {
      cause: error,
    });
  }
}
