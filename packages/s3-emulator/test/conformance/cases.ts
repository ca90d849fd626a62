import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  ListPartsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { bucketName, client, errorCode, presign, signedFetch, type Target } from './target.ts';

/**
 * S3 conformance cases, run with the AWS SDK for JavaScript v3. Each name cites the section of
 * /work/shared/reference/s3-api-semantics.md (the AWS documentation and recordings it quotes)
 * whose behaviour the case checks. `motoDiffers` says where moto_server departs from AWS's
 * documented behaviour: the documentation wins, and the case is expected to fail on moto.
 */

export interface Case {
  name: string;
  motoDiffers?: string;
  run(target: Target): Promise<void>;
}

type SdkError = Error & { $metadata?: { httpStatusCode?: number }; Code?: string };

async function rejects(promise: Promise<unknown>, status: number, code?: string): Promise<SdkError> {
  try {
    await promise;
  } catch (error) {
    const e = error as SdkError;
    expect(e.$metadata?.httpStatusCode, `${e.name}: ${e.message}`).toBe(status);
    if (code)
      expect(e.name === code || e.Code === code, `error ${e.name} ${e.Code ?? ''}, expected ${code}`).toBe(
        true,
      );
    return e;
  }
  throw new Error(`expected HTTP ${status}${code ? ` ${code}` : ''}, the request succeeded`);
}

async function newBucket(s3: S3Client, label: string, versioning?: 'Enabled' | 'Suspended'): Promise<string> {
  const Bucket = bucketName(label);
  await s3.send(new CreateBucketCommand({ Bucket }));
  if (versioning) {
    await s3.send(
      new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: versioning } }),
    );
  }
  return Bucket;
}

async function put(s3: S3Client, Bucket: string, Key: string, Body: string | Buffer = `body of ${Key}`) {
  return s3.send(new PutObjectCommand({ Bucket, Key, Body }));
}

async function text(s3: S3Client, Bucket: string, Key: string, extra: Record<string, unknown> = {}) {
  const out = await s3.send(new GetObjectCommand({ Bucket, Key, ...extra }));
  return { out, body: await out.Body!.transformToString() };
}

/** Every current key, following NextContinuationToken with pages of `pageSize`. */
async function listAllV2(s3: S3Client, Bucket: string, pageSize: number, extra: Record<string, string> = {}) {
  const keys: string[] = [];
  const prefixes: string[] = [];
  let ContinuationToken: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const out = await s3.send(
      new ListObjectsV2Command({ Bucket, MaxKeys: pageSize, ContinuationToken, ...extra }),
    );
    keys.push(...(out.Contents ?? []).map((c) => c.Key!));
    prefixes.push(...(out.CommonPrefixes ?? []).map((c) => c.Prefix!));
    expect(out.KeyCount).toBe((out.Contents?.length ?? 0) + (out.CommonPrefixes?.length ?? 0));
    if (!out.IsTruncated) return { keys, prefixes };
    ContinuationToken = out.NextContinuationToken;
  }
  throw new Error('listing did not end within 1000 pages');
}

const byteOrder = (keys: string[]) =>
  [...keys].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));

const SPECIAL_KEYS = [
  'a//b',
  '/leading',
  '//double-leading',
  'trailing/',
  'a+plus/1.txt',
  'b%pct/1.txt',
  '100%.csv',
  'file%2Fname',
  'test key//',
  'test@key/',
  'date=2026-02-01/x.json',
  'unicode/é/ü/日本語.json',
  'emoji/😀/x',
  'private-use/\uE000',
  'paren(3).png',
  "quote'and!star*~",
  'dot/./segment',
  'dotdot/../segment',
  `long/${'k'.repeat(240)}/${'x'.repeat(240)}`,
  'q?question#hash',
];

export const cases: Case[] = [
  {
    name: '§1.1 ListObjectsV2 returns keys in UTF-8 binary order (not UTF-16 order)',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'order');
      const keys = [
        'test_10',
        'test_2',
        'test_0',
        'test_1',
        'z',
        '\uE000',
        '😀',
        'é',
        'a+b',
        'a%b',
        'A',
        'a b',
      ];
      for (const key of keys) await put(s3, Bucket, key);
      const out = await s3.send(new ListObjectsV2Command({ Bucket }));
      expect(out.Contents?.map((c) => c.Key)).toEqual(byteOrder(keys));
      expect(byteOrder(keys).indexOf('\uE000')).toBeLessThan(byteOrder(keys).indexOf('😀'));
    },
  },
  {
    name: '§1.2 ListObjectsV2 paging with MaxKeys + ContinuationToken lists 100 keys with + and % exactly once',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'paging');
      const keys = Array.from({ length: 98 }, (_, i) => `k/${String(i).padStart(3, '0')}.txt`);
      keys.push('a+plus/1.txt', 'b%pct/1.txt');
      await Promise.all(keys.map((k) => put(s3, Bucket, k)));
      const listed = await listAllV2(s3, Bucket, 7);
      expect(listed.keys).toEqual(byteOrder(keys));
    },
  },
  {
    name: '§1.2 Delimiter rolls keys up into CommonPrefixes, also folders holding only folders',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'delimiter');
      for (const key of [
        '_eventline/state/x.json',
        '_eventline/locks/y',
        'incoming/a.json',
        'top.txt',
        'deep/a/b/c',
      ]) {
        await put(s3, Bucket, key);
      }
      const out = await s3.send(new ListObjectsV2Command({ Bucket, Delimiter: '/' }));
      expect(out.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['_eventline/', 'deep/', 'incoming/']);
      expect(out.Contents?.map((c) => c.Key)).toEqual(['top.txt']);
      expect(out.KeyCount).toBe(4);
      const nested = await s3.send(
        new ListObjectsV2Command({ Bucket, Delimiter: '/', Prefix: '_eventline/' }),
      );
      expect(nested.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['_eventline/locks/', '_eventline/state/']);
      expect(nested.Contents).toBeUndefined();
    },
  },
  {
    name: '§1.2 each CommonPrefix counts one against MaxKeys; paging through prefixes loses nothing',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'prefix-paging');
      const keys = ['a/1', 'a/2', 'a/3', 'b/1', 'c', 'd/1', 'd/2', 'e'];
      for (const key of keys) await put(s3, Bucket, key);
      const first = await s3.send(new ListObjectsV2Command({ Bucket, Delimiter: '/', MaxKeys: 1 }));
      expect(first.KeyCount).toBe(1);
      expect(first.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/']);
      expect(first.IsTruncated).toBe(true);
      const all = await listAllV2(s3, Bucket, 2, { Delimiter: '/' });
      expect(all.prefixes).toEqual(['a/', 'b/', 'd/']);
      expect(all.keys).toEqual(['c', 'e']);
    },
  },
  {
    name: '§1.2 StartAfter lists keys after it and is echoed; with a ContinuationToken the token wins',
    motoDiffers: 'moto does not echo ContinuationToken',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'start-after');
      for (const key of ['a', 'b', 'c', 'd']) await put(s3, Bucket, key);
      const out = await s3.send(new ListObjectsV2Command({ Bucket, StartAfter: 'b' }));
      expect(out.Contents?.map((c) => c.Key)).toEqual(['c', 'd']);
      expect(out.StartAfter).toBe('b');
      const page = await s3.send(new ListObjectsV2Command({ Bucket, MaxKeys: 1 }));
      const next = await s3.send(
        new ListObjectsV2Command({ Bucket, StartAfter: 'c', ContinuationToken: page.NextContinuationToken }),
      );
      expect(next.Contents?.map((c) => c.Key)).toEqual(['b', 'c', 'd']);
      expect(next.StartAfter).toBeUndefined();
      expect(next.ContinuationToken).toBe(page.NextContinuationToken);
    },
  },
  {
    name: '§1.2 a bogus continuation token is 400 InvalidArgument',
    motoDiffers: 'moto decodes any token as a key and lists after it',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'bad-token');
      await rejects(
        s3.send(new ListObjectsV2Command({ Bucket, ContinuationToken: 'not-a-token' })),
        400,
        'InvalidArgument',
      );
    },
  },
  {
    name: '§1.3 encoding-type=url percent-encodes keys, prefixes and delimiter; other values are 400',
    async run({ s3, endpoint }) {
      const Bucket = await newBucket(s3, 'encoding');
      for (const key of ['a+b', 'date=2026/x', 'é', 'paren(3).png']) await put(s3, Bucket, key);
      const out = await s3.send(new ListObjectsV2Command({ Bucket, EncodingType: 'url' }));
      expect(out.EncodingType).toBe('url');
      expect(out.Contents?.map((c) => c.Key)).toEqual([
        'a%2Bb',
        'date%3D2026/x',
        'paren%283%29.png',
        '%C3%A9',
      ]);
      const grouped = await s3.send(
        new ListObjectsV2Command({ Bucket, EncodingType: 'url', Delimiter: '/' }),
      );
      expect(grouped.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['date%3D2026/']);
      const bad = await signedFetch(endpoint, 'GET', `/${Bucket}`, {
        'list-type': '2',
        'encoding-type': 'base64',
      });
      expect(bad.status).toBe(400);
      expect(errorCode(await bad.text())).toBe('InvalidArgument');
    },
    motoDiffers: 'moto does not reject an unknown encoding-type',
  },
  {
    name: '§1.3 encoding-type=url in ListObjects (v1) and ListObjectVersions encodes Key, Prefix, Marker and CommonPrefixes',
    motoDiffers: 'moto does not echo the Marker',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'encoding-v1');
      for (const key of ['a+b', 'p=q/x', 'z']) await put(s3, Bucket, key);
      const v1 = await s3.send(
        new ListObjectsCommand({ Bucket, EncodingType: 'url', Delimiter: '/', Marker: 'a+b', Prefix: '' }),
      );
      expect(v1.Marker).toBe('a%2Bb');
      expect(v1.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['p%3Dq/']);
      expect(v1.Contents?.map((c) => c.Key)).toEqual(['z']);
      const versions = await s3.send(new ListObjectVersionsCommand({ Bucket, EncodingType: 'url' }));
      expect(versions.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest])).toEqual([
        ['a%2Bb', 'null', true],
        ['p%3Dq/x', 'null', true],
        ['z', 'null', true],
      ]);
    },
  },
  {
    name: '§1.4 ListObjects (v1) pages with Marker without skipping keys; NextMarker only with a delimiter',
    motoDiffers: 'moto returns NextMarker without a delimiter too',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'v1');
      const keys = ['a+plus/1.txt', 'b%pct/1.txt', 'c', 'd d', 'é', 'f/1', 'f/2', 'g'];
      for (const key of keys) await put(s3, Bucket, key);
      const listed: string[] = [];
      let Marker: string | undefined;
      for (let page = 0; page < 20; page++) {
        const out = await s3.send(new ListObjectsCommand({ Bucket, MaxKeys: 3, Marker }));
        expect(out.NextMarker).toBeUndefined();
        listed.push(...(out.Contents ?? []).map((c) => c.Key!));
        if (!out.IsTruncated) break;
        Marker = listed[listed.length - 1];
      }
      expect(listed).toEqual(byteOrder(keys));
      const grouped = await s3.send(new ListObjectsCommand({ Bucket, Delimiter: '/', MaxKeys: 4 }));
      expect(grouped.IsTruncated).toBe(true);
      expect(grouped.Contents?.map((c) => c.Key)).toEqual(['c', 'd d']);
      expect(grouped.NextMarker).toBe('d d');
    },
  },
  {
    name: '§1.4 a Marker inside a rolled-up group suppresses the group',
    motoDiffers: 'moto still lists the CommonPrefix that holds the marker',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'marker-group');
      for (const key of [
        'folder/aSubfolder/subFile1',
        'folder/aSubfolder/subFile2',
        'folder/file1',
        'folder/file2',
      ]) {
        await put(s3, Bucket, key);
      }
      const out = await s3.send(
        new ListObjectsCommand({
          Bucket,
          Prefix: 'folder/',
          Delimiter: '/',
          Marker: 'folder/aSubfolder/subFile1',
        }),
      );
      expect(out.CommonPrefixes).toBeUndefined();
      expect(out.Contents?.map((c) => c.Key)).toEqual(['folder/file1', 'folder/file2']);
    },
  },
  {
    name: '§9 every key S3 accepts round-trips through PUT, GET, HEAD, listing and DELETE',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'keys');
      const keys = [...SPECIAL_KEYS, `k${'é'.repeat(511)}`];
      expect(Buffer.byteLength(keys[keys.length - 1]!)).toBe(1023);
      keys.push('x'.repeat(1024));
      for (const key of keys) await put(s3, Bucket, key);
      for (const key of keys) {
        expect((await text(s3, Bucket, key)).body).toBe(`body of ${key}`);
        await s3.send(new HeadObjectCommand({ Bucket, Key: key }));
      }
      expect((await listAllV2(s3, Bucket, 1000)).keys).toEqual(byteOrder(keys));
      for (const key of keys) await s3.send(new DeleteObjectCommand({ Bucket, Key: key }));
      expect((await s3.send(new ListObjectsV2Command({ Bucket }))).KeyCount).toBe(0);
    },
  },
  {
    name: '§7 §9 a key over 1,024 bytes is 400 KeyTooLongError on PUT and GET',
    motoDiffers: 'moto accepts keys over 1,024 bytes',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'too-long');
      await rejects(put(s3, Bucket, 'x'.repeat(1025)), 400, 'KeyTooLongError');
      await rejects(
        s3.send(new GetObjectCommand({ Bucket, Key: `${'é'.repeat(512)}x` })),
        400,
        'KeyTooLongError',
      );
    },
  },
  {
    name: '§7 errors are XML with Code and Message: NoSuchKey (Key), NoSuchBucket (BucketName), HEAD without body',
    async run({ s3, endpoint }) {
      const Bucket = await newBucket(s3, 'errors');
      const res = await signedFetch(endpoint, 'GET', `/${Bucket}/a//missing`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('xml');
      const body = await res.text();
      expect(errorCode(body)).toBe('NoSuchKey');
      expect(body).toContain('<Key>a//missing</Key>');
      await rejects(
        s3.send(new GetObjectCommand({ Bucket: 'conf-no-such-bucket-x', Key: 'k' })),
        404,
        'NoSuchBucket',
      );
      await rejects(s3.send(new HeadBucketCommand({ Bucket: 'conf-no-such-bucket-x' })), 404);
      await rejects(s3.send(new HeadObjectCommand({ Bucket, Key: 'missing' })), 404);
    },
  },
  {
    name: '§4 Range GET: every form of the recorded table (206, clamped, suffix, ignored, 416)',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'range');
      await put(s3, Bucket, 'digits', '0123456789');
      const table: Array<[string, number, string | undefined, string]> = [
        ['bytes=0-8', 206, 'bytes 0-8/10', '012345678'],
        ['bytes=1-1', 206, 'bytes 1-1/10', '1'],
        ['bytes=0-0', 206, 'bytes 0-0/10', '0'],
        ['bytes=1-', 206, 'bytes 1-9/10', '123456789'],
        ['bytes=-2', 206, 'bytes 8-9/10', '89'],
        ['bytes=-9', 206, 'bytes 1-9/10', '123456789'],
        ['bytes=-15', 206, 'bytes 0-9/10', '0123456789'],
        ['bytes=0-100', 206, 'bytes 0-9/10', '0123456789'],
        ['bytes=1-0', 200, undefined, '0123456789'],
        ['bytes=-1-', 200, undefined, '0123456789'],
        ['bytes=0--1', 200, undefined, '0123456789'],
        ['bytes=-', 200, undefined, '0123456789'],
        ['0-1', 200, undefined, '0123456789'],
        ['bytes=0-1,3-4,7-9', 200, undefined, '0123456789'],
      ];
      for (const [Range, status, contentRange, expected] of table) {
        const { out, body } = await text(s3, Bucket, 'digits', { Range });
        expect([Range, out.$metadata.httpStatusCode, out.ContentRange, body]).toEqual([
          Range,
          status,
          contentRange,
          expected,
        ]);
      }
      for (const Range of ['bytes=-0', 'bytes=100-200']) {
        await rejects(s3.send(new GetObjectCommand({ Bucket, Key: 'digits', Range })), 416, 'InvalidRange');
      }
      await rejects(
        s3.send(new GetObjectCommand({ Bucket, Key: 'missing', Range: 'bytes=0-1' })),
        404,
        'NoSuchKey',
      );
    },
    motoDiffers:
      'moto answers some malformed ranges (bytes=1-0, bytes=-0) differently from the AWS recording',
  },
  {
    name: '§3.1 conditional GET/HEAD: If-Match 412, If-None-Match 304, If-Modified-Since 304, If-Unmodified-Since 412, order',
    motoDiffers:
      'moto fails a GET that the AWS recording answers 200 (unquoted If-Match ETag or If-Modified-Since in the future)',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'cond-read');
      const { ETag } = await put(s3, Bucket, 'k', 'v1');
      const past = new Date(Date.now() - 3_600_000);
      const future = new Date(Date.now() + 3_600_000);
      await rejects(s3.send(new GetObjectCommand({ Bucket, Key: 'k', IfMatch: '"0000"' })), 412);
      await rejects(s3.send(new HeadObjectCommand({ Bucket, Key: 'k', IfMatch: '"0000"' })), 412);
      expect((await text(s3, Bucket, 'k', { IfMatch: ETag })).body).toBe('v1');
      expect((await text(s3, Bucket, 'k', { IfMatch: ETag!.replace(/"/g, '') })).body).toBe('v1');
      await rejects(s3.send(new GetObjectCommand({ Bucket, Key: 'k', IfNoneMatch: ETag })), 304);
      // If-Modified-Since in the future is ignored.
      expect((await text(s3, Bucket, 'k', { IfModifiedSince: future })).body).toBe('v1');
      expect((await text(s3, Bucket, 'k', { IfModifiedSince: past })).body).toBe('v1');
      await rejects(s3.send(new GetObjectCommand({ Bucket, Key: 'k', IfUnmodifiedSince: past })), 412);
      expect((await text(s3, Bucket, 'k', { IfUnmodifiedSince: future })).body).toBe('v1');
      // If-Match true + If-Unmodified-Since false → 200 [model GetObjectRequest].
      expect((await text(s3, Bucket, 'k', { IfMatch: ETag, IfUnmodifiedSince: past })).body).toBe('v1');
      const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'k' }));
      await rejects(
        s3.send(new GetObjectCommand({ Bucket, Key: 'k', IfModifiedSince: head.LastModified })),
        304,
      );
    },
  },
  {
    name: '§3.2 conditional PutObject: If-None-Match:* 412 when the key exists; If-Match wrong 412, absent key 404',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'cond-write');
      await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'first', IfNoneMatch: '*' }));
      const e = await rejects(
        s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'second', IfNoneMatch: '*' })),
        412,
        'PreconditionFailed',
      );
      expect(e.message).toContain('pre-conditions');
      await rejects(s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'x', IfMatch: '"0000"' })), 412);
      await rejects(
        s3.send(new PutObjectCommand({ Bucket, Key: 'absent', Body: 'x', IfMatch: '"0000"' })),
        404,
        'NoSuchKey',
      );
      const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'k' }));
      await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'third', IfMatch: head.ETag }));
      expect((await text(s3, Bucket, 'k')).body).toBe('third');
    },
  },
  {
    name: '§3.2 conditional PutObject: If-Match:* and both headers are 501 NotImplemented',
    motoDiffers: 'moto does not answer 501 for these header forms',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'cond-501');
      await put(s3, Bucket, 'k');
      await rejects(
        s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'x', IfMatch: '*' })),
        501,
        'NotImplemented',
      );
      await rejects(
        s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'x', IfMatch: '"a"', IfNoneMatch: '*' })),
        501,
        'NotImplemented',
      );
    },
  },
  {
    name: 'PutObject stores user metadata and content headers; GET and HEAD return them; response-* overrides',
    motoDiffers: 'moto ignores response-content-type',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'metadata');
      await s3.send(
        new PutObjectCommand({
          Bucket,
          Key: 'doc.json',
          Body: '{}',
          ContentType: 'application/json',
          ContentDisposition: 'attachment; filename="doc.json"',
          CacheControl: 'max-age=60',
          ContentLanguage: 'en',
          Metadata: { origin: 'conformance', 'two-words': 'a b' },
        }),
      );
      const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'doc.json' }));
      expect(head.ContentType).toBe('application/json');
      expect(head.ContentDisposition).toBe('attachment; filename="doc.json"');
      expect(head.CacheControl).toBe('max-age=60');
      expect(head.ContentLanguage).toBe('en');
      expect(head.ContentLength).toBe(2);
      expect(head.Metadata).toEqual({ origin: 'conformance', 'two-words': 'a b' });
      expect(head.ETag).toBe(`"${createHash('md5').update('{}').digest('hex')}"`);
      const { out } = await text(s3, Bucket, 'doc.json', { ResponseContentType: 'text/plain' });
      expect(out.ContentType).toBe('text/plain');
    },
  },
  {
    name: 'DeleteObjects removes every named key and reports each one (missing keys count as deleted)',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'delete-many');
      for (const key of ['a', 'b+c', 'd//e']) await put(s3, Bucket, key);
      const out = await s3.send(
        new DeleteObjectsCommand({
          Bucket,
          Delete: { Objects: [{ Key: 'a' }, { Key: 'b+c' }, { Key: 'd//e' }, { Key: 'never' }] },
        }),
      );
      expect(out.Deleted?.map((d) => d.Key).sort()).toEqual(['a', 'b+c', 'd//e', 'never']);
      expect((await s3.send(new ListObjectsV2Command({ Bucket }))).KeyCount).toBe(0);
    },
  },
  {
    name: '§6 CopyObject: COPY keeps metadata, REPLACE takes it and Content-Type; URL-encoded source with + and //',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'copy');
      await s3.send(
        new PutObjectCommand({
          Bucket,
          Key: 'src a+b//c',
          Body: 'payload',
          ContentType: 'text/csv',
          Metadata: { m: '1' },
        }),
      );
      const source = `${Bucket}/${encodeURIComponent('src a+b//c').replace(/%2F/g, '/')}`;
      const copied = await s3.send(new CopyObjectCommand({ Bucket, Key: 'copy1', CopySource: source }));
      expect(copied.CopyObjectResult?.ETag).toBe(`"${createHash('md5').update('payload').digest('hex')}"`);
      const head1 = await s3.send(new HeadObjectCommand({ Bucket, Key: 'copy1' }));
      expect([head1.ContentType, head1.Metadata]).toEqual(['text/csv', { m: '1' }]);
      await s3.send(
        new CopyObjectCommand({
          Bucket,
          Key: 'copy2',
          CopySource: source,
          MetadataDirective: 'REPLACE',
          Metadata: { n: '2' },
        }),
      );
      const head2 = await s3.send(new HeadObjectCommand({ Bucket, Key: 'copy2' }));
      expect([head2.ContentType, head2.Metadata]).toEqual(['binary/octet-stream', { n: '2' }]);
      expect((await text(s3, Bucket, 'copy2')).body).toBe('payload');
      await rejects(
        s3.send(new CopyObjectCommand({ Bucket, Key: 'x', CopySource: `${Bucket}/missing` })),
        404,
        'NoSuchKey',
      );
    },
  },
  {
    name: '§6 CopyObject onto itself without changes is 400 InvalidRequest; with REPLACE it is allowed',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'copy-self');
      await put(s3, Bucket, 'k');
      await rejects(
        s3.send(new CopyObjectCommand({ Bucket, Key: 'k', CopySource: `${Bucket}/k` })),
        400,
        'InvalidRequest',
      );
      await s3.send(
        new CopyObjectCommand({
          Bucket,
          Key: 'k',
          CopySource: `${Bucket}/k`,
          MetadataDirective: 'REPLACE',
          Metadata: {},
        }),
      );
    },
  },
  {
    name: '§6 CopyObject of a source version by ?versionId; a delete marker as source is 400 InvalidRequest; x-amz-copy-source-if-* 412',
    motoDiffers: 'moto answers 404 NoSuchVersion when the copy source names a delete marker',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'copy-version', 'Enabled');
      const v1 = await put(s3, Bucket, 'src', 'first');
      await put(s3, Bucket, 'src', 'second');
      const copied = await s3.send(
        new CopyObjectCommand({ Bucket, Key: 'dst', CopySource: `${Bucket}/src?versionId=${v1.VersionId}` }),
      );
      expect(copied.CopySourceVersionId).toBe(v1.VersionId);
      expect(copied.VersionId).toBeDefined();
      expect((await text(s3, Bucket, 'dst')).body).toBe('first');
      const marker = await s3.send(new DeleteObjectCommand({ Bucket, Key: 'src' }));
      await rejects(
        s3.send(
          new CopyObjectCommand({
            Bucket,
            Key: 'x',
            CopySource: `${Bucket}/src?versionId=${marker.VersionId}`,
          }),
        ),
        400,
        'InvalidRequest',
      );
      await rejects(
        s3.send(new CopyObjectCommand({ Bucket, Key: 'x', CopySource: `${Bucket}/src` })),
        404,
        'NoSuchKey',
      );
      await rejects(
        s3.send(
          new CopyObjectCommand({
            Bucket,
            Key: 'x',
            CopySource: `${Bucket}/dst`,
            CopySourceIfMatch: '"0000"',
          }),
        ),
        412,
        'PreconditionFailed',
      );
      await rejects(
        s3.send(
          new CopyObjectCommand({
            Bucket,
            Key: 'x',
            CopySource: `${Bucket}/dst`,
            CopySourceIfUnmodifiedSince: new Date(Date.now() - 3_600_000),
          }),
        ),
        412,
        'PreconditionFailed',
      );
    },
  },
  {
    name: '§5 UploadPartCopy copies a byte range of another object into a part',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'part-copy');
      await put(s3, Bucket, 'source', '0123456789');
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'dst' }));
      const part = await s3.send(
        new UploadPartCopyCommand({
          Bucket,
          Key: 'dst',
          UploadId,
          PartNumber: 1,
          CopySource: `${Bucket}/source`,
          CopySourceRange: 'bytes=2-5',
        }),
      );
      expect(part.CopyPartResult?.ETag).toBe(`"${createHash('md5').update('2345').digest('hex')}"`);
      await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket,
          Key: 'dst',
          UploadId,
          MultipartUpload: { Parts: [{ ETag: part.CopyPartResult?.ETag, PartNumber: 1 }] },
        }),
      );
      expect((await text(s3, Bucket, 'dst')).body).toBe('2345');
    },
  },
  {
    name: '§5 multipart: ETag is MD5 of the part MD5s + "-N"; small last part allowed; ListParts; events',
    async run(target) {
      const { s3 } = target;
      const Bucket = await newBucket(s3, 'mpu');
      const Key = 'big/object+1.bin';
      const { UploadId } = await s3.send(
        new CreateMultipartUploadCommand({ Bucket, Key, ContentType: 'x/y' }),
      );
      const parts = [
        Buffer.alloc(5 * 1024 * 1024, 'a'),
        Buffer.alloc(5 * 1024 * 1024, 'b'),
        Buffer.from('tail'),
      ];
      const etags: string[] = [];
      for (const [i, Body] of parts.entries()) {
        const out = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: i + 1, Body }));
        etags.push(out.ETag!);
        expect(out.ETag).toBe(`"${createHash('md5').update(Body).digest('hex')}"`);
      }
      const listed = await s3.send(new ListPartsCommand({ Bucket, Key, UploadId, MaxParts: 2 }));
      expect(listed.Parts?.map((p) => p.PartNumber)).toEqual([1, 2]);
      expect(listed.IsTruncated).toBe(true);
      expect(listed.NextPartNumberMarker).toBe('2');
      const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket }));
      expect(uploads.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([[Key, UploadId]]);
      const done = await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket,
          Key,
          UploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        }),
      );
      const expected = createHash('md5')
        .update(Buffer.concat(parts.map((p) => createHash('md5').update(p).digest())))
        .digest('hex');
      expect(done.ETag).toBe(`"${expected}-3"`);
      const head = await s3.send(new HeadObjectCommand({ Bucket, Key }));
      expect([head.ContentLength, head.ContentType, head.ETag]).toEqual([
        10 * 1024 * 1024 + 4,
        'x/y',
        `"${expected}-3"`,
      ]);
      const { body } = await text(s3, Bucket, Key, { Range: 'bytes=-6' });
      expect(body).toBe('bbtail');
      expect((await s3.send(new ListMultipartUploadsCommand({ Bucket }))).Uploads ?? []).toEqual([]);
      // §6: a copy is a single-part object, its ETag the MD5 of its bytes, even from a multipart source.
      const copy = await s3.send(
        new CopyObjectCommand({ Bucket, Key: 'copy-of-mpu', CopySource: `${Bucket}/big/object%2B1.bin` }),
      );
      expect(copy.CopyObjectResult?.ETag).toBe(
        `"${createHash('md5').update(Buffer.concat(parts)).digest('hex')}"`,
      );
      if (target.name === 'emulator') {
        const event = target.events.find((e) => e.bucket === Bucket && e.key === Key);
        expect(event).toMatchObject({
          eventName: 'ObjectCreated:CompleteMultipartUpload',
          eTag: `${expected}-3`,
        });
      }
    },
  },
  {
    name: '§1.6 ListMultipartUploads: by key then initiation time, paged with KeyMarker + UploadIdMarker',
    motoDiffers: 'moto lists uploads in creation order, not sorted by key',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'uploads');
      const started: Array<[string, string]> = [];
      for (const Key of ['b', 'a', 'a', 'c/1']) {
        const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
        started.push([Key, UploadId!]);
      }
      const expected = [started[1]!, started[2]!, started[0]!, started[3]!];
      const seen: Array<[string, string]> = [];
      let KeyMarker: string | undefined;
      let UploadIdMarker: string | undefined;
      for (let page = 0; page < 10; page++) {
        const out = await s3.send(
          new ListMultipartUploadsCommand({ Bucket, MaxUploads: 2, KeyMarker, UploadIdMarker }),
        );
        seen.push(...(out.Uploads ?? []).map((u): [string, string] => [u.Key!, u.UploadId!]));
        if (!out.IsTruncated) break;
        KeyMarker = out.NextKeyMarker;
        UploadIdMarker = out.NextUploadIdMarker;
      }
      expect(seen).toEqual(expected);
      const grouped = await s3.send(new ListMultipartUploadsCommand({ Bucket, Delimiter: '/' }));
      expect(grouped.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['c/']);
      expect(grouped.Uploads?.map((u) => u.Key)).toEqual(['a', 'a', 'b']);
    },
  },
  {
    name: '§5 multipart part checks: EntityTooSmall, InvalidPart, InvalidPartOrder, no parts, NoSuchUpload, abort 204',
    motoDiffers: 'moto answers parts listed out of order with another error than InvalidPartOrder',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'mpu-checks');
      const Key = 'k';
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
      const p1 = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: 'tiny' }));
      const p2 = await s3.send(
        new UploadPartCommand({
          Bucket,
          Key,
          UploadId,
          PartNumber: 2,
          Body: Buffer.alloc(5 * 1024 * 1024, 'b'),
        }),
      );
      const p3 = await s3.send(
        new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 3, Body: 'tiny3' }),
      );
      const complete = (Parts: Array<{ ETag?: string; PartNumber: number }>, uploadId = UploadId) =>
        s3.send(
          new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: uploadId, MultipartUpload: { Parts } }),
        );
      await rejects(
        complete([
          { ETag: p1.ETag, PartNumber: 1 },
          { ETag: p3.ETag, PartNumber: 3 },
        ]),
        400,
        'EntityTooSmall',
      );
      await rejects(
        complete([{ ETag: '"00000000000000000000000000000000"', PartNumber: 1 }]),
        400,
        'InvalidPart',
      );
      await rejects(complete([{ ETag: p1.ETag, PartNumber: 3 }]), 400, 'InvalidPart');
      await rejects(
        complete([
          { ETag: p2.ETag, PartNumber: 2 },
          { ETag: p1.ETag, PartNumber: 1 },
        ]),
        400,
        'InvalidPartOrder',
      );
      await rejects(
        s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 10001, Body: 'x' })),
        400,
        'InvalidArgument',
      );
      await rejects(complete([{ ETag: p1.ETag, PartNumber: 1 }], 'no-such-upload'), 404, 'NoSuchUpload');
      await rejects(
        s3.send(new UploadPartCommand({ Bucket, Key: 'other', UploadId, PartNumber: 1, Body: 'x' })),
        404,
        'NoSuchUpload',
      );
      const abort = await s3.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }));
      expect(abort.$metadata.httpStatusCode).toBe(204);
      await rejects(s3.send(new ListPartsCommand({ Bucket, Key, UploadId })), 404, 'NoSuchUpload');
      // A single small part completes (no minimum for the last part).
      const single = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
      const only = await s3.send(
        new UploadPartCommand({ Bucket, Key, UploadId: single.UploadId, PartNumber: 1, Body: 'test' }),
      );
      const done = await complete([{ ETag: only.ETag, PartNumber: 1 }], single.UploadId);
      expect(done.ETag).toBe('"60cd54a928cbbcbb6e7b5595bab46a9e-1"');
    },
  },
  {
    name: '§3.2 conditional CompleteMultipartUpload: key written then deleted since CreateMultipartUpload is 409; a fresh upload succeeds',
    motoDiffers: 'moto does not detect the conflicting write (ConditionalRequestConflict)',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'mpu-conflict');
      const Key = 'k';
      const upload = async () => {
        const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
        const part = await s3.send(
          new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: 'test' }),
        );
        return () =>
          s3.send(
            new CompleteMultipartUploadCommand({
              Bucket,
              Key,
              UploadId,
              IfNoneMatch: '*',
              MultipartUpload: { Parts: [{ ETag: part.ETag, PartNumber: 1 }] },
            }),
          );
      };
      const stale = await upload();
      await put(s3, Bucket, Key);
      await s3.send(new DeleteObjectCommand({ Bucket, Key }));
      await rejects(stale(), 409, 'ConditionalRequestConflict');
      const fresh = await upload();
      expect((await fresh()).ETag).toBe('"60cd54a928cbbcbb6e7b5595bab46a9e-1"');
      const again = await upload();
      await rejects(again(), 412, 'PreconditionFailed');
    },
  },
  {
    name: '§2 versioning Enabled: version ids, delete markers, GET by VersionId, ListObjectVersions newest first',
    motoDiffers: 'moto does not answer 405 MethodNotAllowed to a GET of a delete marker by its version id',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'versions', 'Enabled');
      expect((await s3.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBe('Enabled');
      const v1 = await put(s3, Bucket, 'k', 'one');
      const v2 = await put(s3, Bucket, 'k', 'two');
      expect(v1.VersionId).toBeDefined();
      expect(v2.VersionId).not.toBe(v1.VersionId);
      expect((await text(s3, Bucket, 'k', { VersionId: v1.VersionId })).body).toBe('one');
      const { out } = await text(s3, Bucket, 'k');
      expect(out.VersionId).toBe(v2.VersionId);
      const del = await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k' }));
      expect(del.DeleteMarker).toBe(true);
      expect(del.VersionId).toBeDefined();
      const gone = await rejects(s3.send(new GetObjectCommand({ Bucket, Key: 'k' })), 404, 'NoSuchKey');
      expect(gone).toBeDefined();
      await rejects(s3.send(new GetObjectCommand({ Bucket, Key: 'k', VersionId: del.VersionId })), 405);
      const versions = await s3.send(new ListObjectVersionsCommand({ Bucket }));
      expect(versions.DeleteMarkers?.map((m) => [m.VersionId, m.IsLatest])).toEqual([[del.VersionId, true]]);
      expect(versions.Versions?.map((v) => [v.VersionId, v.IsLatest])).toEqual([
        [v2.VersionId, false],
        [v1.VersionId, false],
      ]);
      expect((await s3.send(new ListObjectsV2Command({ Bucket }))).KeyCount).toBe(0);
      await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k', VersionId: del.VersionId }));
      expect((await text(s3, Bucket, 'k')).body).toBe('two');
      await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k', VersionId: v2.VersionId }));
      await rejects(
        s3.send(new GetObjectCommand({ Bucket, Key: 'k', VersionId: v2.VersionId })),
        404,
        'NoSuchVersion',
      );
      expect((await text(s3, Bucket, 'k')).body).toBe('one');
    },
  },
  {
    name: '§1.5 ListObjectVersions pages by KeyMarker/VersionIdMarker; each version and marker counts one',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'version-paging', 'Enabled');
      const expected: string[] = [];
      for (const key of ['a', 'b']) {
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) ids.push((await put(s3, Bucket, key, `${key}${i}`)).VersionId!);
        ids.push((await s3.send(new DeleteObjectCommand({ Bucket, Key: key }))).VersionId!);
        expected.push(...ids.reverse().map((id) => `${key}:${id}`));
      }
      const seen: string[] = [];
      let KeyMarker: string | undefined;
      let VersionIdMarker: string | undefined;
      for (let page = 0; page < 20; page++) {
        const out = await s3.send(
          new ListObjectVersionsCommand({ Bucket, MaxKeys: 3, KeyMarker, VersionIdMarker }),
        );
        const entries = [...(out.Versions ?? []), ...(out.DeleteMarkers ?? [])];
        expect(entries.length).toBeLessThanOrEqual(3);
        const pageIds = new Set(entries.map((e) => `${e.Key}:${e.VersionId}`));
        seen.push(...expected.filter((id) => pageIds.has(id)));
        if (!out.IsTruncated) break;
        KeyMarker = out.NextKeyMarker;
        VersionIdMarker = out.NextVersionIdMarker;
      }
      expect(seen).toEqual(expected);
    },
  },
  {
    name: '§2 version ids are 32 characters of [A-Za-z0-9._], for objects and delete markers',
    motoDiffers: 'moto uses UUIDs as version ids',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'version-ids', 'Enabled');
      for (let i = 0; i < 5; i++)
        expect((await put(s3, Bucket, `k${i}`)).VersionId).toMatch(/^[A-Za-z0-9._]{32}$/);
      const marker = await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k0' }));
      expect(marker.VersionId).toMatch(/^[A-Za-z0-9._]{32}$/);
    },
  },
  {
    name: '§2 versioning Suspended: writes are version "null" and replace only the null version',
    motoDiffers: 'moto sends no x-amz-version-id: null on writes to a suspended bucket',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'suspended', 'Enabled');
      const kept = await put(s3, Bucket, 'k', 'versioned');
      await s3.send(
        new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Suspended' } }),
      );
      const n1 = await put(s3, Bucket, 'k', 'null-1');
      expect(n1.VersionId).toBe('null');
      await put(s3, Bucket, 'k', 'null-2');
      const versions = await s3.send(new ListObjectVersionsCommand({ Bucket }));
      expect(versions.Versions?.map((v) => v.VersionId)).toEqual(['null', kept.VersionId]);
      expect((await text(s3, Bucket, 'k', { VersionId: 'null' })).body).toBe('null-2');
      expect((await text(s3, Bucket, 'k', { VersionId: kept.VersionId })).body).toBe('versioned');
    },
  },
  {
    name: '§2 unversioned bucket: no x-amz-version-id on PUT; versionId=null works; malformed id is 400',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'unversioned');
      const out = await put(s3, Bucket, 'k', 'v');
      expect(out.VersionId).toBeUndefined();
      expect((await text(s3, Bucket, 'k', { VersionId: 'null' })).body).toBe('v');
      await rejects(
        s3.send(new GetObjectCommand({ Bucket, Key: 'k', VersionId: 'bogus' })),
        400,
        'InvalidArgument',
      );
    },
    motoDiffers: 'moto does not validate the form of a version id',
  },
  {
    name: '§7 CreateBucket on your own bucket in us-east-1 answers 200',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'recreate');
      const again = await s3.send(new CreateBucketCommand({ Bucket }));
      expect(again.$metadata.httpStatusCode).toBe(200);
    },
  },
  {
    name: '§7 DeleteBucket: 409 BucketNotEmpty while it holds objects, 204 once emptied; then HeadBucket is 404',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'delete-bucket');
      await put(s3, Bucket, 'k');
      await rejects(s3.send(new DeleteBucketCommand({ Bucket })), 409, 'BucketNotEmpty');
      await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k' }));
      const deleted = await s3.send(new DeleteBucketCommand({ Bucket }));
      expect(deleted.$metadata.httpStatusCode).toBe(204);
      await rejects(s3.send(new HeadBucketCommand({ Bucket })), 404);
      await rejects(put(s3, Bucket, 'k'), 404, 'NoSuchBucket');
    },
  },
  {
    name: '§8 SigV4 presigned GET and PUT URLs work, with + and space in the key',
    async run({ s3, endpoint }) {
      const Bucket = await newBucket(s3, 'presign');
      const putUrl = await presign(endpoint, 'PUT', `/${Bucket}/a%2Bb%20c`);
      const putRes = await fetch(putUrl, { method: 'PUT', body: 'presigned' });
      expect([putRes.status, await putRes.text()]).toEqual([200, '']);
      const getRes = await fetch(await presign(endpoint, 'GET', `/${Bucket}/a%2Bb%20c`));
      expect([getRes.status, await getRes.text()]).toEqual([200, 'presigned']);
    },
  },
  {
    name: '§7 §8 an expired SigV4 presigned URL is 403 AccessDenied "Request has expired"',
    motoDiffers: 'moto does not check the expiry of presigned URLs',
    async run({ s3, endpoint }) {
      const Bucket = await newBucket(s3, 'presign-expired');
      await put(s3, Bucket, 'a+b c');
      const old = await presign(
        endpoint,
        'GET',
        `/${Bucket}/a%2Bb%20c`,
        60,
        new Date(Date.now() - 3_600_000),
      );
      const expired = await fetch(old);
      expect(expired.status).toBe(403);
      expect(errorCode(await expired.text())).toBe('AccessDenied');
    },
  },
  {
    name: '§8 a request signed with the wrong secret is 403 SignatureDoesNotMatch; unsigned is 403',
    motoDiffers: 'moto does not verify signatures',
    async run({ endpoint }) {
      const wrong = client(endpoint, 'not-the-secret');
      await rejects(
        wrong.send(new ListObjectsV2Command({ Bucket: 'any-bucket-name' })),
        403,
        'SignatureDoesNotMatch',
      );
      wrong.destroy();
      expect((await fetch(`${endpoint}/`)).status).toBe(403);
    },
  },
];
