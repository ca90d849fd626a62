import { createHash, createHmac } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createS3Emulator, EMPTY_MD5, S3EmulatorConfigError, type S3ObjectEvent } from '../src/index.ts';
import { ACCESS_KEY_ID, presign, SECRET_ACCESS_KEY } from './conformance/target.ts';

const KEY_ID = 'AKIAUNITTEST';
const SECRET = 'unit-test-secret';
const SECRETS: Record<string, string> = { [KEY_ID]: SECRET, [ACCESS_KEY_ID]: SECRET_ACCESS_KEY };

type Emulator = Awaited<ReturnType<typeof createS3Emulator>>;

describe('S3 emulator', () => {
  let dataDir: string;
  let emulator: Emulator | undefined;
  let s3: S3Client | undefined;
  let events: S3ObjectEvent[];

  async function start(credentials = true): Promise<{ url: string; s3: S3Client }> {
    emulator = await createS3Emulator({
      dataDir,
      ...(credentials ? { credentials: (id: string) => SECRETS[id] } : {}),
      onObjectEvent: (event) => events.push(event),
    });
    const { url } = await emulator.listen();
    s3 = new S3Client({
      endpoint: url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET },
      maxAttempts: 1,
    });
    return { url, s3 };
  }

  async function stop(): Promise<void> {
    s3?.destroy();
    await emulator?.close();
    s3 = undefined;
    emulator = undefined;
  }

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 's3-emulator-'));
    events = [];
  });
  afterEach(async () => {
    await stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('emits S3-named events with eTag, size, versionId only for versioned writes, and sequencers that grow per key', async () => {
    // Prepare
    const { s3 } = await start();
    await s3.send(new CreateBucketCommand({ Bucket: 'events' }));
    // Act
    await s3.send(new PutObjectCommand({ Bucket: 'events', Key: 'a b+c', Body: 'one' }));
    await s3.send(new CopyObjectCommand({ Bucket: 'events', Key: 'copy', CopySource: 'events/a%20b%2Bc' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'events', Key: 'a b+c' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'events', Key: 'never-existed' }));
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: 'events', VersioningConfiguration: { Status: 'Enabled' } }),
    );
    const v1 = await s3.send(new PutObjectCommand({ Bucket: 'events', Key: 'a b+c', Body: 'two' }));
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: 'events', Key: 'a b+c' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'events', Key: 'a b+c', VersionId: v1.VersionId }));
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: 'events', VersioningConfiguration: { Status: 'Suspended' } }),
    );
    await s3.send(new PutObjectCommand({ Bucket: 'events', Key: 'a b+c', Body: 'three' }));
    // Assess
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    expect(
      events.map(({ eventName, key, size, eTag, versionId }) => ({ eventName, key, size, eTag, versionId })),
    ).toEqual([
      { eventName: 'ObjectCreated:Put', key: 'a b+c', size: 3, eTag: md5('one'), versionId: undefined },
      { eventName: 'ObjectCreated:Copy', key: 'copy', size: 3, eTag: md5('one'), versionId: undefined },
      {
        eventName: 'ObjectRemoved:Delete',
        key: 'a b+c',
        size: undefined,
        eTag: undefined,
        versionId: undefined,
      },
      { eventName: 'ObjectCreated:Put', key: 'a b+c', size: 3, eTag: md5('two'), versionId: v1.VersionId },
      {
        eventName: 'ObjectRemoved:DeleteMarkerCreated',
        key: 'a b+c',
        size: undefined,
        eTag: EMPTY_MD5,
        versionId: marker.VersionId,
      },
      {
        eventName: 'ObjectRemoved:Delete',
        key: 'a b+c',
        size: undefined,
        eTag: undefined,
        versionId: v1.VersionId,
      },
      { eventName: 'ObjectCreated:Put', key: 'a b+c', size: 5, eTag: md5('three'), versionId: undefined },
    ]);
    const sameKey = events.filter((e) => e.key === 'a b+c').map((e) => e.sequencer);
    expect([...sameKey].sort()).toEqual(sameKey);
    expect(new Set(sameKey).size).toBe(sameKey.length);
    expect(events[0]).toMatchObject({ bucket: 'events', region: 'us-east-1', sourceIpAddress: '127.0.0.1' });
    expect(events[0]!.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('keeps buckets, versions and objects across a restart, and sequencers keep growing', async () => {
    // Prepare
    const first = await start();
    await first.s3.send(new CreateBucketCommand({ Bucket: 'durable' }));
    await first.s3.send(
      new PutBucketVersioningCommand({ Bucket: 'durable', VersioningConfiguration: { Status: 'Enabled' } }),
    );
    const old = await first.s3.send(new PutObjectCommand({ Bucket: 'durable', Key: 'k', Body: 'old' }));
    await first.s3.send(new PutObjectCommand({ Bucket: 'durable', Key: 'k', Body: 'new' }));
    const big = Buffer.alloc(100 * 1024, 'B');
    await first.s3.send(new PutObjectCommand({ Bucket: 'durable', Key: 'big', Body: big }));
    const before = events.at(-1)!.sequencer;
    await stop();
    await writeFile(join(dataDir, 'tmp', 'torn-upload'), 'never renamed');
    await mkdir(join(dataDir, 'blobs', 'ff'), { recursive: true });
    await writeFile(join(dataDir, 'blobs', 'ff', 'ff00000000000000000000000000000f'), 'named by no metadata');
    // Act
    const second = await start();
    await second.s3.send(new PutObjectCommand({ Bucket: 'durable', Key: 'k', Body: 'newest' }));
    // Assess
    const after = events.at(-1)!.sequencer;
    expect(after > before).toBe(true);
    const versions = await second.s3.send(new ListObjectVersionsCommand({ Bucket: 'durable', Prefix: 'k' }));
    expect(versions.Versions).toHaveLength(3);
    const got = await second.s3.send(
      new GetObjectCommand({ Bucket: 'durable', Key: 'k', VersionId: old.VersionId }),
    );
    expect(await got.Body!.transformToString()).toBe('old');
    expect(await readdir(join(dataDir, 'tmp'))).toEqual([]);
    // The big object's own blob may also live under ff/ (its name is random): only the orphan must be gone.
    expect(await readdir(join(dataDir, 'blobs', 'ff'))).not.toContain('ff00000000000000000000000000000f');
    const gotBig = await second.s3.send(new GetObjectCommand({ Bucket: 'durable', Key: 'big' }));
    expect(Buffer.from(await gotBig.Body!.transformToByteArray()).equals(big)).toBe(true);
  });

  it('keeps small bodies in the store and large ones in files, and removes replaced data', async () => {
    // Prepare
    const { s3 } = await start();
    await s3.send(new CreateBucketCommand({ Bucket: 'sizes' }));
    const blobFiles = async () =>
      (
        await Promise.all(
          (await readdir(join(dataDir, 'blobs'))).map((d) => readdir(join(dataDir, 'blobs', d))),
        )
      ).flat();
    // Act
    await s3.send(
      new PutObjectCommand({ Bucket: 'sizes', Key: 'small', Body: Buffer.alloc(64 * 1024, 's') }),
    );
    const smallFiles = await blobFiles();
    await s3.send(
      new PutObjectCommand({ Bucket: 'sizes', Key: 'large', Body: Buffer.alloc(64 * 1024 + 1, 'l') }),
    );
    await s3.send(
      new PutObjectCommand({ Bucket: 'sizes', Key: 'large', Body: Buffer.alloc(200 * 1024, 'L') }),
    );
    const largeFiles = await blobFiles();
    await s3.send(new DeleteObjectCommand({ Bucket: 'sizes', Key: 'large' }));
    // Assess
    expect(smallFiles).toEqual([]);
    expect(largeFiles).toHaveLength(1);
    expect(await blobFiles()).toEqual([]);
    const small = await s3.send(new GetObjectCommand({ Bucket: 'sizes', Key: 'small', Range: 'bytes=-3' }));
    expect(await small.Body!.transformToString()).toBe('sss');
  });

  it('passes an error thrown by onObjectEvent to onEventError; the write still succeeds', async () => {
    const failures: Array<[unknown, S3ObjectEvent]> = [];
    emulator = await createS3Emulator({
      dataDir,
      onObjectEvent: () => {
        throw new Error('subscriber broke');
      },
      onEventError: (error, event) => failures.push([error, event]),
    });
    const { url } = await emulator.listen();
    expect((await fetch(`${url}/failing`, { method: 'PUT' })).status).toBe(200);
    expect((await fetch(`${url}/failing/k`, { method: 'PUT', body: 'x' })).status).toBe(200);
    expect(failures).toHaveLength(1);
    expect(String(failures[0]![0])).toContain('subscriber broke');
    expect(failures[0]![1]).toMatchObject({ eventName: 'ObjectCreated:Put', key: 'k' });
  });

  it('answers BucketAlreadyOwnedByYou (409) to re-creating a bucket outside us-east-1 (§7)', async () => {
    emulator = await createS3Emulator({ dataDir, region: 'eu-west-1' });
    const { url } = await emulator.listen();
    const create = () =>
      fetch(`${url}/regional`, {
        method: 'PUT',
        body: '<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>',
      });
    expect((await create()).status).toBe(200);
    const again = await create();
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('<Code>BucketAlreadyOwnedByYou</Code>');
    const location = await (await fetch(`${url}/regional?location`)).text();
    expect(location).toContain('>eu-west-1</LocationConstraint>');
  });

  it('refuses a second emulator on the same dataDir with a message naming it', async () => {
    await start();
    await expect(createS3Emulator({ dataDir })).rejects.toThrow(new RegExp(`dataDir ${dataDir}`));
  });

  it('refuses unknown options and a missing dataDir', async () => {
    await expect(createS3Emulator({ dataDir, reigon: 'x' } as never)).rejects.toBeInstanceOf(
      S3EmulatorConfigError,
    );
    await expect(createS3Emulator({ dataDir, reigon: 'x' } as never)).rejects.toThrow(
      /unknown option "reigon"/,
    );
    await expect(createS3Emulator({ dataDir: '' })).rejects.toThrow(/dataDir/);
  });

  it('mounts on a server of its own; without credentials any request is served and aws-chunked bodies are decoded', async () => {
    // Prepare: the edge's situation, one node:http server that hands S3 requests to handle().
    emulator = await createS3Emulator({ dataDir, onObjectEvent: (e) => events.push(e) });
    const handle = emulator.handle;
    const server: Server = createServer((req, res) => void handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = new S3Client({
      endpoint: url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'any', secretAccessKey: 'any' },
    });
    try {
      // Act: a stream body, which SDK v3 sends as STREAMING-UNSIGNED-PAYLOAD-TRAILER with a CRC32 trailer.
      await client.send(new CreateBucketCommand({ Bucket: 'mounted' }));
      const body = Buffer.alloc(3 * 1024 * 1024 + 17, 'z');
      await client.send(
        new PutObjectCommand({
          Bucket: 'mounted',
          Key: 'streamed',
          Body: Readable.from([body]),
          ContentLength: body.length,
        }),
      );
      const got = await client.send(
        new GetObjectCommand({ Bucket: 'mounted', Key: 'streamed', ChecksumMode: 'ENABLED' }),
      );
      // Assess
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
      expect(got.ChecksumCRC32).toBeDefined();
      expect(events[0]).toMatchObject({ eventName: 'ObjectCreated:Put', size: body.length });
      const unsigned = await fetch(`${url}/mounted?list-type=2`);
      expect(unsigned.status).toBe(200);
      expect(await unsigned.text()).toContain('<Key>streamed</Key>');
    } finally {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('refuses an unknown access key, a stale date and a wrong SigV2 signature', async () => {
    const { url } = await start();
    const stranger = new S3Client({
      endpoint: url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIASTRANGER', secretAccessKey: SECRET },
      maxAttempts: 1,
    });
    await expect(stranger.send(new ListObjectsV2Command({ Bucket: 'any-bucket' }))).rejects.toMatchObject({
      name: 'InvalidAccessKeyId',
    });
    stranger.destroy();
    const stale = await fetch(`${url}/`, {
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=${KEY_ID}/20200101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
        'x-amz-date': '20200101T000000Z',
        'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
      },
    });
    expect(stale.status).toBe(403);
    expect(await stale.text()).toContain('<Code>RequestTimeTooSkewed</Code>');
    const v2 = await fetch(`${url}/`, {
      headers: { authorization: `AWS ${KEY_ID}:bm90LWEtc2lnbmF0dXJl`, date: new Date().toUTCString() },
    });
    expect(v2.status).toBe(403);
    expect(await v2.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  describe('STREAMING-AWS4-HMAC-SHA256-PAYLOAD (signed chunks, AWS API sigv4-streaming)', () => {
    /** Sends a PUT with signed aws-chunked framing, signing as the AWS documentation describes. */
    async function streamingPut(
      url: string,
      path: string,
      chunks: Buffer[],
      tamper = false,
      trailer = false,
    ) {
      const { host, port } = new URL(url);
      const amzDate = new Date()
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d{3}/, '');
      const date = amzDate.slice(0, 8);
      const scope = `${date}/us-east-1/s3/aws4_request`;
      const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
      const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
      const key = hmac(hmac(hmac(hmac(`AWS4${SECRET}`, date), 'us-east-1'), 's3'), 'aws4_request');
      const decodedLength = chunks.reduce((n, c) => n + c.length, 0);
      const headers: Record<string, string> = {
        host,
        'content-encoding': 'aws-chunked',
        'x-amz-content-sha256': `STREAMING-AWS4-HMAC-SHA256-PAYLOAD${trailer ? '-TRAILER' : ''}`,
        'x-amz-date': amzDate,
        'x-amz-decoded-content-length': String(decodedLength),
        ...(trailer ? { 'x-amz-trailer': 'x-amz-checksum-crc32' } : {}),
      };
      const signed = Object.keys(headers).sort();
      const canonical = [
        'PUT',
        path,
        '',
        signed.map((h) => `${h}:${headers[h]}\n`).join(''),
        signed.join(';'),
        headers['x-amz-content-sha256'],
      ].join('\n');
      const seed = hmac(key, ['AWS4-HMAC-SHA256', amzDate, scope, sha(canonical)].join('\n')).toString('hex');
      let previous = seed;
      const framed: Buffer[] = [];
      for (const data of [...chunks, Buffer.alloc(0)]) {
        const signature = hmac(
          key,
          ['AWS4-HMAC-SHA256-PAYLOAD', amzDate, scope, previous, sha(''), sha(data)].join('\n'),
        ).toString('hex');
        previous = signature;
        const sent = tamper && data.length > 0 ? Buffer.from(data).fill(0x21, 0, 1) : data;
        const header = Buffer.from(`${data.length.toString(16)};chunk-signature=${signature}\r\n`);
        framed.push(header, sent, ...(trailer && data.length === 0 ? [] : [Buffer.from('\r\n')]));
      }
      if (trailer) {
        // The trailer, signed after the last (empty) chunk: AWS API sigv4-streaming-trailers.
        const crc = Buffer.alloc(4);
        crc.writeUInt32BE(crc32(Buffer.concat(chunks)));
        const line = `x-amz-checksum-crc32:${crc.toString('base64')}\n`;
        const signature = hmac(
          key,
          ['AWS4-HMAC-SHA256-TRAILER', amzDate, scope, previous, sha(line)].join('\n'),
        );
        framed.push(
          Buffer.from(`${line.trimEnd()}\r\nx-amz-trailer-signature:${signature.toString('hex')}\r\n\r\n`),
        );
      }
      const body = Buffer.concat(framed);
      return new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            method: 'PUT',
            path,
            headers: {
              ...headers,
              'content-length': body.length,
              authorization: `AWS4-HMAC-SHA256 Credential=${KEY_ID}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${seed}`,
            },
          },
          (res) => {
            let text = '';
            res.on('data', (d: Buffer) => {
              text += d.toString();
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    }

    it('stores the decoded data when every chunk signature chains', async () => {
      const { url, s3 } = await start();
      await s3.send(new CreateBucketCommand({ Bucket: 'chunks' }));
      const chunks = [Buffer.alloc(65536, 'a'), Buffer.alloc(1024, 'b')];
      const res = await streamingPut(url, '/chunks/signed', chunks);
      expect(res).toEqual({ status: 200, text: '' });
      const got = await s3.send(new GetObjectCommand({ Bucket: 'chunks', Key: 'signed' }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(chunks))).toBe(true);
    });

    it('checks the signed trailer (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER) and its CRC32', async () => {
      const { url, s3 } = await start();
      await s3.send(new CreateBucketCommand({ Bucket: 'chunks' }));
      const chunks = [Buffer.alloc(8192, 'a'), Buffer.from('tail')];
      const res = await streamingPut(url, '/chunks/trailer', chunks, false, true);
      expect(res).toEqual({ status: 200, text: '' });
      const got = await s3.send(
        new GetObjectCommand({ Bucket: 'chunks', Key: 'trailer', ChecksumMode: 'ENABLED' }),
      );
      expect(got.ChecksumCRC32).toBeDefined();
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(chunks))).toBe(true);
    });

    it('refuses a body whose chunk does not match its signature, and stores nothing', async () => {
      const { url, s3 } = await start();
      await s3.send(new CreateBucketCommand({ Bucket: 'chunks' }));
      const res = await streamingPut(url, '/chunks/tampered', [Buffer.alloc(65536, 'a')], true);
      expect(res.status).toBe(403);
      expect(res.text).toContain('<Code>SignatureDoesNotMatch</Code>');
      await expect(
        s3.send(new GetObjectCommand({ Bucket: 'chunks', Key: 'tampered' })),
      ).rejects.toMatchObject({
        name: 'NoSuchKey',
      });
    });
  });

  it('serves virtual-hosted requests (bucket.localhost, bucket.s3.localhost) like path-style ones', async () => {
    // Prepare
    const boundPort = Number(new URL((await start(false)).url).port);
    const send = (host: string, method: string, path: string, body?: string) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port: boundPort, method, path, headers: { host } },
          (res) => {
            let text = '';
            res.on('data', (d: Buffer) => {
              text += d.toString();
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    // Act
    const created = await send(`vhosted.localhost:${boundPort}`, 'PUT', '/');
    const stored = await send(`vhosted.s3.localhost:${boundPort}`, 'PUT', '//a%20b', 'virtual');
    const read = await send(`127.0.0.1:${boundPort}`, 'GET', '/vhosted//a%20b');
    const listed = await send(`vhosted.localhost:${boundPort}`, 'GET', '/?list-type=2');
    // Assess
    expect([created.status, stored.status, read.status, read.text]).toEqual([200, 200, 200, 'virtual']);
    expect(listed.text).toContain('<Key>/a b</Key>');
  });

  it('refuses a presigned request that carries x-amz-* headers it did not sign', async () => {
    const { url, s3 } = await start();
    await s3.send(new CreateBucketCommand({ Bucket: 'presigned' }));
    const signed = await presign(url, 'GET', '/presigned', 300, new Date(), { 'list-type': '2' });
    const res = await fetch(signed, { headers: { 'x-amz-meta-extra': '1' } });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<HeadersNotSigned>x-amz-meta-extra</HeadersNotSigned>');
    expect((await fetch(signed)).status).toBe(200);
  });

  it('completes a multipart upload of an object written in parts concurrently', async () => {
    const { s3 } = await start();
    await s3.send(new CreateBucketCommand({ Bucket: 'mpu' }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'k' }));
    const parts = [0, 1, 2, 3].map((i) => Buffer.alloc(i < 3 ? 5 * 1024 * 1024 : 10, 65 + i));
    const uploaded = await Promise.all(
      parts.map((Body, i) =>
        s3.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'k', UploadId, PartNumber: i + 1, Body })),
      ),
    );
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'mpu',
        Key: 'k',
        UploadId,
        MultipartUpload: { Parts: uploaded.map((u, i) => ({ ETag: u.ETag, PartNumber: i + 1 })) },
      }),
    );
    const part2 = await s3.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'k', PartNumber: 2 }));
    expect(part2.ContentLength).toBe(5 * 1024 * 1024);
    expect(part2.PartsCount).toBe(4);
    expect((await part2.Body!.transformToByteArray())[0]).toBe(66);
    expect(await readdir(join(dataDir, 'tmp'))).toEqual([]);
  });
});
