import { createHash } from 'node:crypto';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { byteOrder, type Case, listAllV2, newBucket, put, rejects, SPECIAL_KEYS, text } from './case-kit.ts';
import { errorCode, signedFetch } from './target.ts';

/** Objects: keys (§9), errors (§7), Range (§4), conditional requests (§3), metadata, DeleteObjects, CopyObject (§6). */
export const objectCases: Case[] = [
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
];
