import { request } from 'node:http';
import { connect } from 'node:net';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { type Case, newBucket, put, rejects } from './case-kit.ts';
import { errorCode, presign, signedFetch } from './target.ts';

/**
 * Behaviours a public S3 compatibility suite caught (issue 24), each reproduced with a real client and
 * checked against S3's documented or recorded behaviour.
 */

/** Sends raw bytes to the server and returns everything it answers until it closes. */
function rawExchange(endpoint: string, bytes: string): Promise<string> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.setTimeout(10_000, () => socket.destroy());
    socket.write(bytes);
  });
}

export const differenceCases: Case[] = [
  {
    name: 'CompleteMultipartUpload repeated with the same parts answers 200 and the same result; other parts are NoSuchUpload',
    motoDiffers: 'moto answers a repeated completion that names other parts with 200',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'complete-twice');
      const Key = 'twice';
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
      const part = await s3.send(
        new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: 'only part' }),
      );
      const complete = (ETag = part.ETag) =>
        s3.send(
          new CompleteMultipartUploadCommand({
            Bucket,
            Key,
            UploadId,
            MultipartUpload: { Parts: [{ ETag, PartNumber: 1 }] },
          }),
        );
      const first = await complete();
      const again = await complete();
      expect(again.ETag).toBe(first.ETag);
      expect(again.Key).toBe(Key);
      await rejects(complete('"0123456789abcdef0123456789abcdef"'), 404, 'NoSuchUpload');
    },
  },
  {
    name: '§2 versioning Suspended: CompleteMultipartUpload answers x-amz-version-id: null, as PutObject does',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'suspended-mpu', 'Enabled');
      await s3.send(
        new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Suspended' } }),
      );
      const Key = 'k';
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
      const part = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: 'x' }));
      const out = await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket,
          Key,
          UploadId,
          MultipartUpload: { Parts: [{ ETag: part.ETag, PartNumber: 1 }] },
        }),
      );
      expect(out.VersionId).toBe('null');
    },
  },
  {
    name: 'an Expect header other than 100-continue is ignored, not 417',
    async run({ s3, endpoint }) {
      const Bucket = await newBucket(s3, 'expect');
      await put(s3, Bucket, 'k', 'v');
      const url = new URL(await presign(endpoint, 'GET', `/${Bucket}/k`));
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(url, { method: 'GET', headers: { expect: 'something-else' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(200);
    },
  },
  {
    name: '§1.3 ListObjects (v1) with encoding-type=url encodes keys but answers Prefix as sent (botocore decodes no v1 Prefix)',
    async run({ s3, endpoint }) {
      const Bucket = await newBucket(s3, 'v1-prefix');
      await put(s3, Bucket, 'a b/c d.txt');
      const res = await signedFetch(endpoint, 'GET', `/${Bucket}`, {
        'encoding-type': 'url',
        prefix: 'a b/',
      });
      const xml = await res.text();
      expect(xml).toContain('<Prefix>a b/</Prefix>');
      expect(xml).toMatch(/<Key>a(%20|\+)b\/c(%20|\+)d\.txt<\/Key>/);
    },
  },
  {
    name: '§4 GetObject/HeadObject with a partNumber beyond the parts is 400 InvalidPartNumber',
    motoDiffers: 'moto answers 416 for a part number beyond the parts',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'part-number');
      await put(s3, Bucket, 'k', 'single part');
      expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'k', PartNumber: 1 }))).ContentLength).toBe(
        11,
      );
      await rejects(
        s3.send(new GetObjectCommand({ Bucket, Key: 'k', PartNumber: 2 })),
        400,
        'InvalidPartNumber',
      );
      await rejects(s3.send(new HeadObjectCommand({ Bucket, Key: 'k', PartNumber: 2 })), 400);
    },
  },
  {
    name: '§5 UploadPartCopy with a range beyond the source is InvalidRange',
    motoDiffers: 'moto does not answer InvalidRange for a copy range beyond the source',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'copy-range');
      await put(s3, Bucket, 'source', '0123456789');
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'dst' }));
      const e = await s3
        .send(
          new UploadPartCopyCommand({
            Bucket,
            Key: 'dst',
            UploadId,
            PartNumber: 1,
            CopySource: `${Bucket}/source`,
            CopySourceRange: 'bytes=5-20',
          }),
        )
        .then(
          () => undefined,
          (error: Error & { Code?: string }) => error,
        );
      expect(e?.name === 'InvalidRange' || e?.Code === 'InvalidRange', String(e?.name)).toBe(true);
    },
  },
  {
    name: '§5 CreateMultipartUpload with a checksum algorithm echoes ChecksumAlgorithm',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'mpu-checksum');
      const out = await s3.send(
        new CreateMultipartUploadCommand({ Bucket, Key: 'k', ChecksumAlgorithm: 'SHA256' }),
      );
      expect(out.ChecksumAlgorithm).toBe('SHA256');
    },
  },
  {
    name: 'Content-Encoding "deflate, gzip" comes back exactly as sent',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'content-encoding');
      await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'x', ContentEncoding: 'deflate, gzip' }));
      expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'k' }))).ContentEncoding).toBe(
        'deflate, gzip',
      );
    },
  },
  {
    name: 'a body longer than its Content-Length: the rest is an unparsable request, answered with an S3 XML error',
    motoDiffers: 'moto_server answers the unparsable rest without an S3 error body',
    async run({ s3, endpoint }) {
      const Bucket = await newBucket(s3, 'short-length');
      const url = new URL(await presign(endpoint, 'PUT', `/${Bucket}/k`));
      const answer = await rawExchange(
        endpoint,
        `PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: 3\r\n\r\nabcdefghij`,
      );
      const responses = answer.split(/(?=HTTP\/1\.1 )/);
      expect(responses[0]).toMatch(/^HTTP\/1\.1 200/);
      expect(responses[1]).toMatch(/^HTTP\/1\.1 400/);
      expect(errorCode(responses[1] ?? '')).toBe('BadRequest');
      const stored = await s3.send(new GetObjectCommand({ Bucket, Key: 'k' }));
      expect(await stored.Body!.transformToString()).toBe('abc');
    },
  },
];
