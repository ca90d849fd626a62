import { XML_NAMESPACE } from './constants.ts';
import type { SnsApiError } from './errors.ts';

/**
 * The Query protocol's XML answers. They are tiny and fixed in shape, so they are written by hand
 * (an XML builder would add a dependency for a dozen elements); every text value goes through `text`.
 */

/** An XML node: `[name, children]` where children is text or nested nodes; undefined nodes are skipped. */
export type XmlNode = readonly [string, string | ReadonlyArray<XmlNode | undefined>];

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\r': '&#xD;',
};

/** Escapes text for element content; characters XML 1.0 cannot carry at all are dropped. */
export function text(value: string): string {
  return (
    value
      .replace(/[&<>"'\r]/g, (c) => ESCAPES[c] ?? c)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing the characters XML 1.0 cannot carry
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
  );
}

export function render(node: XmlNode | undefined): string {
  if (!node) return '';
  const [name, content] = node;
  if (typeof content === 'string') return `<${name}>${text(content)}</${name}>`;
  const inner = content.map(render).join('');
  return inner === '' ? `<${name}/>` : `<${name}>${inner}</${name}>`;
}

/** `<Name><member>…</member></Name>`: lists are wrapped, not flattened. */
export function members(name: string, items: ReadonlyArray<ReadonlyArray<XmlNode | undefined>>): XmlNode {
  return [name, items.map((children): XmlNode => ['member', children])];
}

/** `<Name><entry><key/><value/></entry></Name>`. */
export function entries(name: string, map: Readonly<Record<string, string>>): XmlNode {
  return [
    name,
    Object.entries(map).map(
      ([key, value]): XmlNode => [
        'entry',
        [
          ['key', key],
          ['value', value],
        ],
      ],
    ),
  ];
}

/** `<{Action}Response>` with `<{Action}Result>` (omitted when `result` is undefined) and the request id. */
export function successResponse(
  action: string,
  requestId: string,
  result?: ReadonlyArray<XmlNode | undefined>,
): string {
  const resultNode: XmlNode | undefined = result ? [`${action}Result`, result] : undefined;
  const body = `${render(resultNode)}${render(['ResponseMetadata', [['RequestId', requestId]]])}`;
  return `<${action}Response xmlns="${XML_NAMESPACE}">${body}</${action}Response>\n`;
}

export function errorResponse(error: SnsApiError, requestId: string): string {
  const detail = render([
    'Error',
    [
      ['Type', error.type],
      ['Code', error.code],
      ['Message', error.message],
    ],
  ]);
  return `<ErrorResponse xmlns="${XML_NAMESPACE}">${detail}${render(['RequestId', requestId])}</ErrorResponse>\n`;
}
