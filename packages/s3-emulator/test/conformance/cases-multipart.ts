import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { type Case, newBucket, put, rejects, text } from './case-kit.ts';

/** Multipart uploads (§5, §1.6, §3.2): UploadPartCopy, ETags, ListMultipartUploads, part checks, conditional completion. */
export const multipartCases: Case[] = [
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
];
