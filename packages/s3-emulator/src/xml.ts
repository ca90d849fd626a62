import { malformedXml } from './errors.ts';

/** XML text: escapes markup and the characters XML 1.0 carries only as references (`\r` as `&#13;`). */
export function escapeXml(value: string): string {
  return value.replace(/[<>&"'\r\n\t]/g, (c) => {
    switch (c) {
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '&':
        return '&amp;';
      case '"':
        return '&quot;';
      case "'":
        return '&apos;';
      default:
        return `&#${c.charCodeAt(0)};`;
    }
  });
}

/** An element tree for responses: `[name, children]`; undefined children are left out. */
export type XmlNode = [string, XmlValue] | undefined;
export type XmlValue = string | number | boolean | XmlNode[];

export function renderXml(root: string, children: XmlNode[], xmlns?: string): string {
  const attrs = xmlns ? ` xmlns="${xmlns}"` : '';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${attrs}>${renderChildren(children)}</${root}>`;
}

function renderChildren(children: XmlNode[]): string {
  let out = '';
  for (const node of children) {
    if (!node) continue;
    const [name, value] = node;
    if (Array.isArray(value)) out += `<${name}>${renderChildren(value)}</${name}>`;
    else out += `<${name}>${escapeXml(String(value))}</${name}>`;
  }
  return out;
}

/** A parsed request element: its local name (namespace prefix dropped), text and child elements. */
export interface XmlElement {
  name: string;
  text: string;
  children: XmlElement[];
}

export function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}

export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c) => c.name === name);
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(Number.parseInt(ref.slice(1), 10));
    const named = ENTITIES[ref];
    if (named === undefined) throw malformedXml(`unknown entity ${whole}`);
    return named;
  });
}

/**
 * Parses the small request documents of the S3 API (Delete, CompleteMultipartUpload,
 * VersioningConfiguration, CreateBucketConfiguration): elements, text, CDATA, entities. Attributes
 * are read past; comments, processing instructions and the declaration are skipped.
 */
export function parseXml(source: string): XmlElement {
  let pos = 0;
  const fail = (what: string): never => {
    throw malformedXml(`${what} at offset ${pos}`);
  };
  const skipMisc = () => {
    for (;;) {
      while (pos < source.length && /\s/.test(source[pos]!)) pos++;
      if (source.startsWith('<?', pos)) {
        const end = source.indexOf('?>', pos);
        if (end < 0) fail('unterminated declaration');
        pos = end + 2;
      } else if (source.startsWith('<!--', pos)) {
        const end = source.indexOf('-->', pos);
        if (end < 0) fail('unterminated comment');
        pos = end + 3;
      } else return;
    }
  };
  const parseElement = (): XmlElement => {
    if (source[pos] !== '<') fail('expected an element');
    const nameMatch = /^<([A-Za-z_][\w.:-]*)/.exec(source.slice(pos, pos + 200));
    if (!nameMatch) return fail('bad element name');
    const qname = nameMatch[1]!;
    pos += nameMatch[0].length;
    const close = source.indexOf('>', pos);
    if (close < 0) fail('unterminated start tag');
    const selfClosing = source[close - 1] === '/';
    pos = close + 1;
    const element: XmlElement = { name: qname.replace(/^[^:]*:/, ''), text: '', children: [] };
    if (selfClosing) return element;
    for (;;) {
      if (pos >= source.length) fail(`unclosed <${qname}>`);
      if (source.startsWith('</', pos)) {
        const end = source.indexOf('>', pos);
        if (source.slice(pos + 2, end).trim() !== qname) fail(`mismatched </…> for <${qname}>`);
        pos = end + 1;
        return element;
      }
      if (source.startsWith('<![CDATA[', pos)) {
        const end = source.indexOf(']]>', pos);
        if (end < 0) fail('unterminated CDATA');
        element.text += source.slice(pos + 9, end);
        pos = end + 3;
      } else if (source.startsWith('<!--', pos) || source.startsWith('<?', pos)) {
        skipMisc();
      } else if (source[pos] === '<') {
        element.children.push(parseElement());
      } else {
        const next = source.indexOf('<', pos);
        const end = next < 0 ? source.length : next;
        element.text += decodeEntities(source.slice(pos, end));
        pos = end;
      }
    }
  };
  skipMisc();
  if (pos >= source.length) fail('empty document');
  const root = parseElement();
  skipMisc();
  if (pos !== source.length) fail('content after the root element');
  return root;
}
