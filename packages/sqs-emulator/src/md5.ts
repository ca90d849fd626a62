import { createHash } from 'node:crypto';
import type { MessageAttributes } from './types.ts';

/** Hex MD5 of the UTF-8 body (MD5OfMessageBody / MD5OfBody). */
export function md5OfBody(body: string): string {
  return createHash('md5').update(body, 'utf8').digest('hex');
}

function lengthPrefixed(value: Buffer): Buffer[] {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(value.length);
  return [length, value];
}

/**
 * MD5OfMessageAttributes as SQS computes it (SQSDG `sqs-message-metadata.md`): attributes sorted
 * by name; for each, the length-prefixed UTF-8 name and data type, one transport byte (1 for
 * String/Number, 2 for Binary), then the length-prefixed value bytes.
 */
export function md5OfAttributes(attributes: MessageAttributes): string {
  const parts: Buffer[] = [];
  for (const name of Object.keys(attributes).sort()) {
    const value = attributes[name];
    if (!value) continue;
    parts.push(...lengthPrefixed(Buffer.from(name, 'utf8')));
    parts.push(...lengthPrefixed(Buffer.from(value.DataType, 'utf8')));
    if (value.BinaryValue !== undefined && value.DataType.startsWith('Binary')) {
      parts.push(Buffer.from([2]), ...lengthPrefixed(Buffer.from(value.BinaryValue, 'base64')));
    } else {
      parts.push(Buffer.from([1]), ...lengthPrefixed(Buffer.from(value.StringValue ?? '', 'utf8')));
    }
  }
  return createHash('md5').update(Buffer.concat(parts)).digest('hex');
}
