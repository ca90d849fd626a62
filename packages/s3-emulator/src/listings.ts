import { DEFAULT_MAX_KEYS } from './constants.ts';
import type { S3Core } from './core.ts';
import { invalidArgument } from './errors.ts';
import { type Ctx, iso, owner, quote } from './http-helpers.ts';
import { type ListEntry, listBucket, urlEncodeKey } from './listing.ts';
import type { BucketRecord } from './storage.ts';
import type { XmlNode } from './xml.ts';

/** Listings: ListObjectsV2, ListObjects (V1) and ListObjectVersions, with their tokens. */
export function listingActions(core: S3Core) {
  const { storage, sendXml } = core;

  function listParams(ctx: Ctx) {
    const encodingType = ctx.query.get('encoding-type');
    if (encodingType !== undefined && encodingType !== 'url') {
      throw invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', encodingType);
    }
    const maxParam = ctx.query.get('max-keys');
    let maxKeys = DEFAULT_MAX_KEYS;
    if (maxParam !== undefined) {
      if (!/^\d+$/.test(maxParam)) {
        throw invalidArgument(
          'Provided max-keys not an integer or within integer range',
          'max-keys',
          maxParam,
        );
      }
      maxKeys = Math.min(Number(maxParam), DEFAULT_MAX_KEYS);
    }
    const encode = (value: string) => (encodingType === 'url' ? urlEncodeKey(value) : value);
    const delimiter = ctx.query.get('delimiter') ?? '';
    return { encodingType, maxKeys, encode, prefix: ctx.query.get('prefix') ?? '', delimiter };
  }

  function contents(entries: ListEntry[], encode: (v: string) => string, withOwner: boolean): XmlNode[] {
    return entries.map((e): XmlNode => {
      if (e.kind === 'prefix') return ['CommonPrefixes', [['Prefix', encode(e.prefix)]]];
      const v = e.version;
      return [
        'Contents',
        [
          ['Key', encode(e.key)],
          ['LastModified', iso(v.lastModified)],
          ['ETag', quote(v.etag ?? '')],
          v.checksum ? ['ChecksumAlgorithm', v.checksum.algorithm.toUpperCase()] : undefined,
          v.checksum ? ['ChecksumType', 'FULL_OBJECT'] : undefined,
          ['Size', v.size ?? 0],
          withOwner ? ['Owner', owner()] : undefined,
          ['StorageClass', v.storageClass ?? 'STANDARD'],
        ],
      ];
    });
  }

  const TOKEN_TAG = 'el1:';
  const makeToken = (after: string) => Buffer.from(TOKEN_TAG + after, 'utf8').toString('base64url');
  function readToken(token: string): string {
    const decoded = Buffer.from(token, 'base64url').toString('utf8');
    if (
      token === '' ||
      !decoded.startsWith(TOKEN_TAG) ||
      makeToken(decoded.slice(TOKEN_TAG.length)) !== token
    ) {
      throw invalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
    }
    return decoded.slice(TOKEN_TAG.length);
  }

  const lastName = (entries: ListEntry[]) => {
    const last = entries[entries.length - 1];
    return last ? (last.kind === 'prefix' ? last.prefix : last.key) : undefined;
  };

  async function listObjectsV2(ctx: Ctx, bucket: BucketRecord): Promise<void> {
    const p = listParams(ctx);
    const token = ctx.query.get('continuation-token');
    const startAfter = ctx.query.get('start-after');
    const after = token !== undefined ? readToken(token) : startAfter || undefined;
    const { entries, truncated } = await listBucket(storage, bucket.name, {
      prefix: p.prefix,
      delimiter: p.delimiter,
      after,
      maxKeys: p.maxKeys,
    });
    const last = lastName(entries);
    sendXml(ctx, 'ListBucketResult', [
      ['Name', bucket.name],
      ['Prefix', p.encode(p.prefix)],
      token !== undefined ? ['ContinuationToken', token] : undefined,
      // With a continuation token the token wins and StartAfter is not echoed (reference §1.2, recorded on AWS).
      token === undefined && startAfter !== undefined ? ['StartAfter', p.encode(startAfter)] : undefined,
      ['KeyCount', entries.length],
      ['MaxKeys', p.maxKeys],
      p.delimiter !== '' ? ['Delimiter', p.encode(p.delimiter)] : undefined,
      p.encodingType ? ['EncodingType', 'url'] : undefined,
      ['IsTruncated', truncated],
      truncated && last !== undefined ? ['NextContinuationToken', makeToken(last)] : undefined,
      ...contents(entries, p.encode, ctx.query.get('fetch-owner') === 'true'),
    ]);
  }

  async function listObjectsV1(ctx: Ctx, bucket: BucketRecord): Promise<void> {
    const p = listParams(ctx);
    const marker = ctx.query.get('marker') ?? '';
    const { entries, truncated } = await listBucket(storage, bucket.name, {
      prefix: p.prefix,
      delimiter: p.delimiter,
      after: marker || undefined,
      maxKeys: p.maxKeys,
    });
    const last = lastName(entries);
    sendXml(ctx, 'ListBucketResult', [
      ['Name', bucket.name],
      // ListObjects (v1) answers Prefix as sent, also with encoding-type=url: botocore decodes Delimiter,
      // Marker, NextMarker, Key and CommonPrefixes of a v1 listing, not Prefix (unlike v2).
      ['Prefix', p.prefix],
      ['Marker', p.encode(marker)],
      ['MaxKeys', p.maxKeys],
      p.delimiter !== '' ? ['Delimiter', p.encode(p.delimiter)] : undefined,
      p.encodingType ? ['EncodingType', 'url'] : undefined,
      ['IsTruncated', truncated],
      truncated && p.delimiter !== '' && last !== undefined ? ['NextMarker', p.encode(last)] : undefined,
      ...contents(entries, p.encode, true),
    ]);
  }

  async function listObjectVersions(ctx: Ctx, bucket: BucketRecord): Promise<void> {
    const p = listParams(ctx);
    const keyMarker = ctx.query.get('key-marker') ?? '';
    const versionIdMarker = ctx.query.get('version-id-marker') ?? '';
    if (versionIdMarker !== '' && keyMarker === '') {
      throw invalidArgument(
        'A version-id marker cannot be specified without a key marker.',
        'version-id-marker',
        versionIdMarker,
      );
    }
    const { entries, truncated } = await listBucket(storage, bucket.name, {
      prefix: p.prefix,
      delimiter: p.delimiter,
      after: keyMarker || undefined,
      afterVersionId: versionIdMarker || undefined,
      maxKeys: p.maxKeys,
      versions: true,
    });
    const last = entries[entries.length - 1];
    const items = entries.map((e): XmlNode => {
      if (e.kind === 'prefix') return ['CommonPrefixes', [['Prefix', p.encode(e.prefix)]]];
      const v = e.version;
      const common: XmlNode[] = [
        ['Key', p.encode(e.key)],
        ['VersionId', v.versionId],
        ['IsLatest', e.isLatest],
        ['LastModified', iso(v.lastModified)],
      ];
      if (v.deleteMarker) return ['DeleteMarker', [...common, ['Owner', owner()]]];
      return [
        'Version',
        [
          ...common,
          ['ETag', quote(v.etag ?? '')],
          ['Size', v.size ?? 0],
          ['StorageClass', v.storageClass ?? 'STANDARD'],
          ['Owner', owner()],
        ],
      ];
    });
    sendXml(ctx, 'ListVersionsResult', [
      ['Name', bucket.name],
      ['Prefix', p.encode(p.prefix)],
      ['KeyMarker', p.encode(keyMarker)],
      ['VersionIdMarker', versionIdMarker],
      ['MaxKeys', p.maxKeys],
      p.delimiter !== '' ? ['Delimiter', p.encode(p.delimiter)] : undefined,
      p.encodingType ? ['EncodingType', 'url'] : undefined,
      ['IsTruncated', truncated],
      truncated && last
        ? ['NextKeyMarker', p.encode(last.kind === 'prefix' ? last.prefix : last.key)]
        : undefined,
      truncated && last?.kind === 'object' ? ['NextVersionIdMarker', last.version.versionId] : undefined,
      ...items,
    ]);
  }

  return { listObjectsV2, listObjectsV1, listObjectVersions };
}
