/**
 * POST Object streams the form's file to storage: a 12 MiB upload through a form (no credentials
 * configured, so no policy is required) lands whole, with its MD5 as ETag, and fields after the file
 * are ignored as S3 ignores them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { createS3Emulator, type S3ObjectEvent } from '../src/index.ts';

describe('S3 emulator: POST Object', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('streams a 12 MiB file from a form into the bucket and emits ObjectCreated:Post', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 's3-post-'));
    const events: S3ObjectEvent[] = [];
    const emulator = await createS3Emulator({ dataDir, fsync: false, onObjectEvent: (e) => events.push(e) });
    const { url } = await emulator.listen();
    const s3 = new S3Client({
      endpoint: url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });
    cleanups.push(async () => {
      s3.destroy();
      await emulator.close();
      await rm(dataDir, { recursive: true, force: true });
    });
    await emulator.ensureBucket('b');
    const data = randomBytes(12 * 1024 * 1024);
    const body = new FormData();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: S3's own ${filename} placeholder, sent literally
    body.append('key', 'big/${filename}');
    body.append('Content-Type', 'application/octet-stream');
    body.append('file', new Blob([data]), 'blob.bin');
    body.append('key', 'ignored-after-the-file');
    const res = await fetch(`${url}/b`, { method: 'POST', body });
    expect(res.status, await res.text()).toBe(204);
    const md5 = createHash('md5').update(data).digest('hex');
    expect(res.headers.get('etag')).toBe(`"${md5}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'big/blob.bin' }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    expect(bytes.length).toBe(data.length);
    expect(createHash('md5').update(bytes).digest('hex')).toBe(md5);
    expect(events.map((e) => [e.eventName, e.key, e.size])).toEqual([
      ['ObjectCreated:Post', 'big/blob.bin', data.length],
    ]);
  });

  it('answers MalformedPOSTRequest to a form without a boundary and InvalidArgument to a form without a file', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 's3-post-'));
    const emulator = await createS3Emulator({ dataDir, fsync: false });
    const { url } = await emulator.listen();
    cleanups.push(async () => {
      await emulator.close();
      await rm(dataDir, { recursive: true, force: true });
    });
    await emulator.ensureBucket('b');
    const bad = await fetch(`${url}/b`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data' },
      body: 'x',
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('<Code>MalformedPOSTRequest</Code>');
    const form = new FormData();
    form.append('key', 'k');
    const noFile = await fetch(`${url}/b`, { method: 'POST', body: form });
    expect(noFile.status).toBe(400);
    expect(await noFile.text()).toContain('<Code>InvalidArgument</Code>');
  });
});
