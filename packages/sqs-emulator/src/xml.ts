import { XML_NAMESPACE } from './constants.ts';
import type { SqsApiError } from './errors.ts';

/**
 * The Query protocol's XML answers (reference §1.3): `<{Action}Response>` with `<{Action}Result>`
 * and flattened lists. Written by hand: a dozen element shapes do not need an XML library.
 */

/** An XML node: `[name, children]`, children text or nodes. */
export type XmlNode = readonly [string, string | ReadonlyArray<XmlNode>];

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\r': '&#xD;',
};

export function escapeText(value: string): string {
  return value.replace(/[&<>"'\r]/g, (c) => ESCAPES[c] ?? c);
}

export function render(node: XmlNode): string {
  const [name, content] = node;
  if (typeof content === 'string') return `<${name}>${escapeText(content)}</${name}>`;
  return `<${name}>${content.map(render).join('')}</${name}>`;
}

const scalar = (value: unknown): string =>
  typeof value === 'string'
    ? value
    : typeof value === 'boolean' || typeof value === 'number'
      ? String(value)
      : '';

function nameValue(outer: string, keyName: string, map: Record<string, unknown>): XmlNode[] {
  return Object.entries(map).map(
    ([key, value]): XmlNode => [
      outer,
      [
        [keyName, key],
        ['Value', scalar(value)],
      ],
    ],
  );
}

function messageAttributes(map: Record<string, Record<string, unknown>>): XmlNode[] {
  return Object.entries(map).map(([name, value]): XmlNode => {
    const inner: XmlNode[] = [];
    if (value.StringValue !== undefined) inner.push(['StringValue', scalar(value.StringValue)]);
    if (value.BinaryValue !== undefined) inner.push(['BinaryValue', scalar(value.BinaryValue)]);
    inner.push(['DataType', scalar(value.DataType)]);
    return [
      'MessageAttribute',
      [
        ['Name', name],
        ['Value', inner],
      ],
    ];
  });
}

/** Converts one member of a JSON-shaped output into its Query XML nodes. */
function members(action: string, output: Record<string, unknown>): XmlNode[] {
  const nodes: XmlNode[] = [];
  for (const [key, value] of Object.entries(output)) {
    if (value === undefined || value === null) continue;
    switch (key) {
      case 'Attributes':
        nodes.push(...nameValue('Attribute', 'Name', value as Record<string, unknown>));
        break;
      case 'Tags':
        nodes.push(...nameValue('Tag', 'Key', value as Record<string, unknown>));
        break;
      case 'QueueUrls':
      case 'queueUrls':
        for (const url of value as string[]) nodes.push(['QueueUrl', url]);
        break;
      case 'MessageAttributes':
        nodes.push(...messageAttributes(value as Record<string, Record<string, unknown>>));
        break;
      case 'Messages':
        for (const message of value as Array<Record<string, unknown>>)
          nodes.push(['Message', members(action, message)]);
        break;
      case 'Successful':
        for (const entry of value as Array<Record<string, unknown>>)
          nodes.push([`${action}ResultEntry`, members(action, entry)]);
        break;
      case 'Failed':
        for (const entry of value as Array<Record<string, unknown>>)
          nodes.push(['BatchResultErrorEntry', members(action, entry)]);
        break;
      case 'Results':
        for (const entry of value as Array<Record<string, unknown>>)
          nodes.push(['Results', members(action, entry)]);
        break;
      default:
        nodes.push([key, scalar(value)]);
    }
  }
  return nodes;
}

/** Actions without an output shape answer with no `<{Action}Result>`; the others always carry one (botocore needs it). */
const NO_RESULT = new Set([
  'DeleteQueue',
  'SetQueueAttributes',
  'DeleteMessage',
  'ChangeMessageVisibility',
  'PurgeQueue',
  'TagQueue',
  'UntagQueue',
]);

export function successXml(action: string, requestId: string, output: Record<string, unknown>): string {
  const result = members(action, output);
  const resultXml = NO_RESULT.has(action) && result.length === 0 ? '' : render([`${action}Result`, result]);
  const metadata = render(['ResponseMetadata', [['RequestId', requestId]]]);
  return `<?xml version="1.0"?><${action}Response xmlns="${XML_NAMESPACE}">${resultXml}${metadata}</${action}Response>`;
}

export function errorXml(error: SqsApiError, requestId: string): string {
  const detail = render([
    'Error',
    [
      ['Type', error.type],
      ['Code', error.queryCode],
      ['Message', error.message],
      ['Detail', ''],
    ],
  ]);
  return `<?xml version="1.0"?><ErrorResponse xmlns="${XML_NAMESPACE}">${detail}${render(['RequestId', requestId])}</ErrorResponse>`;
}
