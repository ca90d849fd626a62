/**
 * The emulator acting on bucket configuration where S3 does, on an injected clock: lifecycle
 * expiration of current and noncurrent versions, expired delete markers and incomplete multipart
 * uploads, with a short day; and configuration given at start (ensureBucket) kept across restarts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createS3Emulator, S3EmulatorConfigError } from '../src/index.ts';

const DAY = 1000;

describe('S3 emulator: bucket configuration acted on', () => {
  let dataDir: string;
  let clock: number;
  let emulator: Awaited<ReturnType<typeof createS3Emulator>> | undefined;
  let s3: S3Client;

  async function start(extra: Partial<Parameters<typeof createS3Emulator>[0]> = {}) {
    emulator = await createS3Emulator({
      dataDir,
      fsync: false,
      now: () => clock,
      lifecycle: { dayMs: DAY },
      ...extra,
    });
    const { url } = await emulator.listen();
    s3 = new S3Client({
      endpoint: url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 1,
    });
    return emulator;
  }

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 's3-config-'));
    clock = Date.parse('2026-01-01T00:00:00Z');
  });
  afterEach(async () => {
    s3?.destroy();
    await emulator?.close();
    emulator = undefined;
    await rm(dataDir, { recursive: true, force: true });
  });

  it('expires noncurrent versions after NoncurrentDays, keeps NewerNoncurrentVersions, removes expired delete markers and aborts stale uploads', async () => {
    const s3emu = await start();
    await s3emu.ensureBucket('b', { versioning: 'Enabled' });
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: 'b',
        LifecycleConfiguration: {
          Rules: [
            {
              ID: 'noncurrent',
              Status: 'Enabled',
              Filter: { Prefix: '' },
              NoncurrentVersionExpiration: { NoncurrentDays: 2 },
              Expiration: { ExpiredObjectDeleteMarker: true },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            },
            {
              ID: 'tmp',
              Status: 'Enabled',
              Filter: { Prefix: 'tmp/' },
              Expiration: { Days: 3 },
            },
          ],
        },
      }),
    );
    const put = async (Key: string, Body: string) =>
      (await s3.send(new PutObjectCommand({ Bucket: 'b', Key, Body }))).VersionId!;
    const v1 = await put('k', 'one');
    clock += DAY;
    const v2 = await put('k', 'two'); // v1 noncurrent from now
    await put('tmp/scratch', 'x');
    await put('gone', 'x');
    await s3.send(new DeleteObjectCommand({ Bucket: 'b', Key: 'gone' }));
    await s3.send(new CreateMultipartUploadCommand({ Bucket: 'b', Key: 'upload' }));
    const versionsOf = async () =>
      (await s3.send(new ListObjectVersionsCommand({ Bucket: 'b' }))).Versions?.map(
        (v) => `${v.Key}:${v.VersionId}`,
      ) ?? [];

    clock += DAY - 1;
    expect(await s3emu.runLifecycle()).toEqual({
      expiredCurrent: 0,
      expiredNoncurrent: 0,
      removedDeleteMarkers: 0,
      abortedUploads: 0,
    });
    clock += 1;
    expect((await s3emu.runLifecycle()).abortedUploads).toBe(1);
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'b' }))).Uploads ?? []).toHaveLength(0);

    clock += DAY;
    const second = await s3emu.runLifecycle();
    // v1 and the version under the delete marker of "gone" are noncurrent for 2 days; then the marker is alone.
    expect(second).toMatchObject({ expiredNoncurrent: 2, removedDeleteMarkers: 1 });
    expect((await versionsOf()).filter((v) => v.startsWith('k:'))).toEqual([`k:${v2}`]);
    expect(await versionsOf()).not.toContain(`k:${v1}`);
    const markers = (await s3.send(new ListObjectVersionsCommand({ Bucket: 'b' }))).DeleteMarkers ?? [];
    expect(markers).toHaveLength(0);

    clock += DAY;
    expect((await s3emu.runLifecycle()).expiredCurrent).toBe(1);
    const after = await s3.send(new ListObjectVersionsCommand({ Bucket: 'b', Prefix: 'tmp/' }));
    expect(after.DeleteMarkers?.map((m) => [m.Key, m.IsLatest])).toEqual([['tmp/scratch', true]]);
  });

  it('ensureBucket sets configuration documents, kept across a restart; an invalid one names the setting', async () => {
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:*',
          Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    });
    const configuration = {
      encryption:
        '<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>',
      lifecycle:
        '<LifecycleConfiguration><Rule><ID>r</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>30</NoncurrentDays></NoncurrentVersionExpiration></Rule></LifecycleConfiguration>',
      policy,
    };
    await (await start()).ensureBucket('b', { versioning: 'Enabled', configuration });
    await s3.send(
      new PutBucketTaggingCommand({ Bucket: 'b', Tagging: { TagSet: [{ Key: 'a', Value: '1' }] } }),
    );
    s3.destroy();
    await emulator!.close();
    await start();
    expect(JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket: 'b' }))).Policy!)).toEqual(
      JSON.parse(policy),
    );
    expect(
      (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'b' }))).Rules?.[0]
        ?.NoncurrentVersionExpiration,
    ).toEqual({
      NoncurrentDays: 30,
    });
    expect(
      (await s3.send(new GetBucketEncryptionCommand({ Bucket: 'b' }))).ServerSideEncryptionConfiguration
        ?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
    ).toBe('AES256');
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: 'b' }))).TagSet).toEqual([
      { Key: 'a', Value: '1' },
    ]);
    await expect(
      emulator!.ensureBucket('b', { configuration: { lifecycle: '<LifecycleConfiguration/>' } }),
    ).rejects.toThrow(/configuration\.lifecycle is not valid/);
    await expect(emulator!.ensureBucket('b', { configuration: { lifecycle: '<x' } })).rejects.toBeInstanceOf(
      S3EmulatorConfigError,
    );
  });

  it('with credentials, the explicit Deny of a bucket policy refuses matching requests (aws:SecureTransport, action, resource, principal)', async () => {
    clock = Date.now();
    let secure = false;
    const emu = await start({
      credentials: (id) => (id === 'x' ? 'y' : undefined),
      accountId: '123456789012',
      secureTransport: () => secure,
    });
    await emu.ensureBucket('b', { versioning: 'Enabled' });
    await s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'keep/a', Body: 'a' }));
    const statement = (extra: Record<string, unknown>) => ({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      ...extra,
    });
    const setPolicy = (statements: Array<Record<string, unknown>>) =>
      s3.send(
        new PutBucketPolicyCommand({
          Bucket: 'b',
          Policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
        }),
      );
    await setPolicy([
      statement({
        Action: 's3:*',
        Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
      // s3:TlsVersion is absent over plain HTTP: this Deny (as CDK writes minimumTLSVersion) does not apply.
      statement({
        Action: 's3:*',
        Resource: 'arn:aws:s3:::b/*',
        Condition: { NumericLessThan: { 's3:TlsVersion': '1.2' } },
      }),
    ]);
    const denied = await s3
      .send(new GetObjectCommand({ Bucket: 'b', Key: 'keep/a' }))
      .catch((e: Error & { Code?: string }) => e);
    expect((denied as { name?: string }).name).toBe('AccessDenied');
    expect((denied as Error).message).toMatch(/explicit deny in a resource-based policy/);
    // The account root is never locked out of the policy itself.
    expect((await s3.send(new GetBucketPolicyCommand({ Bucket: 'b' }))).Policy).toContain('SecureTransport');
    secure = true;
    expect(
      await (await s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'keep/a' }))).Body!.transformToString(),
    ).toBe('a');
    await setPolicy([
      statement({ Action: ['s3:DeleteObject', 's3:DeleteObjectVersion'], Resource: 'arn:aws:s3:::b/keep/*' }),
      {
        Effect: 'Deny',
        Principal: { AWS: 'arn:aws:iam::999999999999:root' },
        Action: 's3:*',
        Resource: 'arn:aws:s3:::b/*',
      },
      statement({
        Action: 's3:PutObject',
        Resource: 'arn:aws:s3:::b/*',
        Condition: { 'ForAnyValue:StringLike': { 's3:prefix': ['x'] } },
      }),
    ]);
    await s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'other', Body: 'o' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'b', Key: 'other' }));
    const refused = await s3
      .send(new DeleteObjectCommand({ Bucket: 'b', Key: 'keep/a' }))
      .catch((e: Error) => e);
    expect((refused as { name?: string }).name).toBe('AccessDenied');
  });
});
