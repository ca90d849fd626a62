import { type BucketConfigActions, parsePolicy } from './bucket-config.ts';
import { type BucketConfigName, parseBucketConfig } from './config-docs.ts';
import type { S3Core } from './core.ts';
import { malformedXml, notImplemented, S3EmulatorConfigError, S3Error } from './errors.ts';
import { BUCKET_NAME, type Ctx, iso, owner, readSmallBody } from './http-helpers.ts';
import type { MultipartActions } from './multipart.ts';
import {
  type BucketRecord,
  bucketKey,
  type ObjectRecord,
  objectPrefix,
  type UploadRecord,
} from './storage.ts';
import type { EnsureBucketOptions } from './types.ts';
import { child, parseXml, type XmlNode } from './xml.ts';

/** Bucket handlers: create, ensure, delete, list, versioning. */
export function bucketActions(core: S3Core, multipart: MultipartActions, configActions: BucketConfigActions) {
  const { region, now, storage, send, sendXml } = core;
  const { abortUploadRecord } = multipart;

  async function createBucket(ctx: Ctx, name: string): Promise<void> {
    const text = await readSmallBody(ctx.req);
    let constraint = '';
    if (text.trim() !== '') {
      constraint = child(parseXml(text), 'LocationConstraint')?.text.trim() ?? '';
    }
    if (!BUCKET_NAME.test(name) || name.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(name)) {
      throw new S3Error('InvalidBucketName', 400, 'The specified bucket is not valid.', { BucketName: name });
    }
    const existing = await storage.get<BucketRecord>(bucketKey(name));
    if (existing) {
      // "For legacy compatibility" us-east-1 answers 200 to re-creating your own bucket (section 7).
      if (region === 'us-east-1' && constraint === '') {
        send(ctx, 200, { location: `/${name}` }, '');
        return;
      }
      throw new S3Error(
        'BucketAlreadyOwnedByYou',
        409,
        'Your previous request to create the named bucket succeeded and you already own it.',
        { BucketName: name },
      );
    }
    const settings = configActions.createSettings(ctx);
    if (constraint !== '' && constraint !== region && !(constraint === 'US' && region === 'us-east-1')) {
      throw new S3Error(
        'IllegalLocationConstraintException',
        400,
        `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to (${region}).`,
      );
    }
    await ensureBucket(name, {}, settings);
    send(ctx, 200, { location: `/${name}`, 'x-amz-bucket-arn': `arn:aws:s3:::${name}` }, '');
  }

  async function ensureBucket(
    name: string,
    opts: EnsureBucketOptions = {},
    apply?: (bucket: BucketRecord) => void,
  ): Promise<void> {
    const configuration: Partial<Record<BucketConfigName, string>> = {};
    for (const [sub, text] of Object.entries(opts.configuration ?? {}) as Array<[BucketConfigName, string]>) {
      try {
        configuration[sub] = sub === 'policy' ? parsePolicy(text) : parseBucketConfig(sub, parseXml(text));
      } catch (error) {
        throw new S3EmulatorConfigError(
          `S3 emulator: ensureBucket(${name}): configuration.${sub} is not valid: ${(error as Error).message}`,
          { cause: error },
        );
      }
    }
    await storage.withLock(`bucket\0${name}`, async () => {
      const existing = await storage.get<BucketRecord>(bucketKey(name));
      const record: BucketRecord = existing ?? { name, created: now(), region, versioning: 'Unversioned' };
      if (opts.versioning) record.versioning = opts.versioning;
      if (Object.keys(configuration).length > 0) record.config = { ...record.config, ...configuration };
      apply?.(record);
      if (!existing || opts.versioning || apply || Object.keys(configuration).length > 0)
        await storage.batch([{ type: 'put', key: bucketKey(name), value: record }]);
    });
  }

  async function deleteBucket(ctx: Ctx, bucket: BucketRecord): Promise<void> {
    await storage.withLock(`bucket\0${bucket.name}`, async () => {
      const base = objectPrefix(bucket.name);
      const leftovers: Buffer[] = [];
      for await (const [k, record] of storage.range<ObjectRecord>(
        base,
        Buffer.concat([base, Buffer.from([0xff])]),
      )) {
        if (record.versions.length > 0) {
          throw new S3Error('BucketNotEmpty', 409, 'The bucket you tried to delete is not empty', {
            BucketName: bucket.name,
          });
        }
        leftovers.push(k);
      }
      await storage.batch(leftovers.map((key) => ({ type: 'del' as const, key })));
      const uploads: Buffer[] = [];
      for await (const [k, upload] of storage.range<UploadRecord>(Buffer.from('u\0'), Buffer.from('u\x01'))) {
        if (upload.bucket === bucket.name) uploads.push(k);
      }
      for (const k of uploads) await abortUploadRecord(k.subarray(2).toString('utf8'));
      await storage.batch([{ type: 'del', key: bucketKey(bucket.name) }]);
    });
    send(ctx, 204, {});
  }

  async function listBuckets(ctx: Ctx): Promise<void> {
    const buckets: XmlNode[] = [];
    for await (const [, b] of storage.range<BucketRecord>(Buffer.from('b\0'), Buffer.from('b\x01'))) {
      buckets.push([
        'Bucket',
        [
          ['Name', b.name],
          ['CreationDate', iso(b.created)],
          ['BucketRegion', b.region],
        ],
      ]);
    }
    sendXml(ctx, 'ListAllMyBucketsResult', [
      ['Owner', owner()],
      ['Buckets', buckets],
    ]);
  }

  async function putVersioning(ctx: Ctx, bucket: BucketRecord): Promise<void> {
    const doc = parseXml(await readSmallBody(ctx.req));
    if (doc.name !== 'VersioningConfiguration') throw malformedXml('expected <VersioningConfiguration>');
    const status = child(doc, 'Status')?.text.trim();
    if (status !== 'Enabled' && status !== 'Suspended') {
      throw malformedXml('Status must be Enabled or Suspended');
    }
    if (bucket.objectLock && status === 'Suspended') {
      throw new S3Error(
        'InvalidBucketState',
        409,
        'An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.',
      );
    }
    if (child(doc, 'MfaDelete')?.text.trim() === 'Enabled') {
      throw notImplemented('MFA Delete is not supported by this emulator', 'MfaDelete');
    }
    await ensureBucket(bucket.name, { versioning: status });
    send(ctx, 200, {}, '');
  }

  return { createBucket, ensureBucket, deleteBucket, listBuckets, putVersioning };
}
