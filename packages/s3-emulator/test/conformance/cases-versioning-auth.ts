import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
} from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { type Case, newBucket, put, rejects, text } from './case-kit.ts';
import { client, errorCode, presign } from './target.ts';

/** Versioning (§2, §1.5), buckets (§7) and request signing (§8). */
export const versioningAndAuthCases: Case[] = [
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
