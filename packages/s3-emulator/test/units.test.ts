import { describe, expect, it } from 'vitest';
import { parseRange, S3Error, urlEncodeKey } from '../src/index.ts';
import { parseXml } from '../src/xml.ts';

describe('parseRange (s3-api-semantics.md section 4, object of 10 bytes)', () => {
  it.each([
    ['bytes=0-8', { start: 0, end: 8 }],
    ['bytes=1-', { start: 1, end: 9 }],
    ['bytes=-2', { start: 8, end: 9 }],
    ['bytes=-15', { start: 0, end: 9 }],
    ['bytes=0-100', { start: 0, end: 9 }],
    ['bytes=1-0', undefined],
    ['bytes=-1-', undefined],
    ['bytes=-', undefined],
    ['0-1', undefined],
    ['bytes=0-1,3-4', undefined],
    ['bytes=-0', 'unsatisfiable'],
    ['bytes=100-200', 'unsatisfiable'],
  ])('%s', (header, expected) => {
    expect(parseRange(header, 10)).toEqual(expected);
  });
});

describe('urlEncodeKey (encoding-type=url, section 1.3)', () => {
  it('keeps / and unreserved characters, encodes =, +, %, parentheses, space and UTF-8 bytes', () => {
    expect(urlEncodeKey('date=2026-02-01/a+b%c (1)é~_.')).toBe(
      'date%3D2026-02-01/a%2Bb%25c%20%281%29%C3%A9~_.',
    );
  });
});

describe('parseXml', () => {
  it('reads elements, namespaces, entities, character references and CDATA', () => {
    const doc = parseXml(
      '<?xml version="1.0"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a&amp;b&#13;<![CDATA[<c>]]></Key></Object><Quiet>true</Quiet></Delete>',
    );
    expect(doc.name).toBe('Delete');
    expect(doc.children[0]!.children[0]!.text).toBe('a&b\r<c>');
  });

  it('throws MalformedXML for a broken document', () => {
    expect(() => parseXml('<Delete><Object></Delete>')).toThrow(S3Error);
    expect(() => parseXml('<Delete><Object></Delete>')).toThrow(/not well-formed/);
  });
});
