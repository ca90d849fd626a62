import { ListObjectsCommand, ListObjectsV2Command, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { byteOrder, type Case, listAllV2, newBucket, put, rejects } from './case-kit.ts';
import { errorCode, signedFetch } from './target.ts';

/** Listings (§1.1–§1.4): order, paging, delimiters, StartAfter, tokens, encoding-type, Marker. */
export const listingCases: Case[] = [
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
];
