import type { ObjectEvent, ObjectSource, OpenedObject } from '@eventline/core';
import { PermanentError, SupersededError, TransientError } from '@eventline/core';
import type { S3Api } from './apis.ts';
import { isMissing, translate } from './errors.ts';

/** Reads routed objects as streams and writes eventline's own objects, through S3. */
export class S3ObjectSource implements ObjectSource {
  /** `bucketSetting`: the setting that named the bucket (`bucket.name`, `BUCKET_NAME`), for errors. */
  constructor(
    private readonly s3: S3Api,
    private readonly bucketSetting = 'bucket.name',
  ) {}

  async open(
    event: ObjectEvent,
    options: { fromByte?: number; toByte?: number } = {},
  ): Promise<OpenedObject> {
    try {
      const response = await this.s3.getObject({
        Bucket: event.bucket,
        Key: event.key,
        // The version the event names; without versioning, the object only if it is still that write.
        ...(event.versionId
          ? { VersionId: event.versionId }
          : event.eTag
            ? { IfMatch: `"${event.eTag}"` }
            : {}),
        // Resuming a paused file: the rest of the same version, from the checkpoint's byte; a
        // Parquet file: one range of it (its footer, a row group's column chunks).
        ...(options.fromByte || options.toByte !== undefined
          ? { Range: `bytes=${options.fromByte ?? 0}-${options.toByte ?? ''}` }
          : {}),
      });
      if (!response.Body) throw new PermanentError('object-missing', `${event.key}: S3 returned no body`);
      const opened: OpenedObject = { body: response.Body };
      if (response.ContentLength !== undefined) opened.contentLength = response.ContentLength;
      const total = /\/(\d+)$/.exec(response.ContentRange ?? '')?.[1];
      if (total !== undefined) opened.size = Number(total);
      if (response.ContentEncoding) opened.contentEncoding = response.ContentEncoding;
      if (response.ContentType) opened.contentType = response.ContentType;
      if (response.ETag) opened.eTag = response.ETag.replace(/"/g, '');
      if (response.VersionId) opened.versionId = response.VersionId;
      if (response.Metadata && Object.keys(response.Metadata).length > 0) opened.metadata = response.Metadata;
      if (response.TagCount !== undefined) opened.tagCount = response.TagCount;
      return opened;
    } catch (error) {
      const name = (error as { name?: string }).name;
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (isMissing(error, 'bucket')) {
        throw translate(error, `GetObject ${event.bucket}/${event.key}`, this.bucket(event.bucket));
      }
      if (name === 'NoSuchKey' || name === 'NoSuchVersion' || name === 'NotFound' || status === 404) {
        throw new PermanentError(
          'object-missing',
          `${event.bucket}/${event.key}: the object no longer exists`,
          {
            cause: error,
          },
        );
      }
      if (name === 'AccessDenied' || status === 403) {
        // Retrying cannot help: the role's permissions decide. A missing key or version is a 403 too
        // when the role may not list the bucket (S3 hides whether a key exists from such callers).
        const action = event.versionId ? 's3:GetObjectVersion' : 's3:GetObject';
        throw new PermanentError(
          'access-denied',
          `${event.bucket}/${event.key}: S3 refused ${action} (403 AccessDenied): the object${event.versionId ? ` version ${event.versionId}` : ''} is gone and the function may not s3:ListBucket the bucket for this prefix (then S3 answers 403, not 404), or the function's role lacks ${action} on arn:aws:s3:::${event.bucket}/${event.key} (or a bucket policy or KMS key denies it); fix the permission, then npx eventline dlq replay`,
          { cause: error },
        );
      }
      if (name === 'InvalidRange' || status === 416) {
        throw new PermanentError(
          'bad-range',
          `${event.bucket}/${event.key}: S3 refused the range from byte ${options.fromByte ?? 0} (416): the object is shorter`,
          { cause: error },
        );
      }
      if (name === 'PreconditionFailed' || status === 412) {
        throw new SupersededError(`${event.key}: replaced by a newer write since this event`, {
          cause: error,
        });
      }
      throw translate(error, `GetObject ${event.bucket}/${event.key}`);
    }
  }

  async current(
    bucket: string,
    key: string,
  ): Promise<{ eTag?: string; versionId?: string; lastModified?: string } | undefined> {
    try {
      const head = await this.s3.headObject({ Bucket: bucket, Key: key });
      return {
        ...(head.ETag ? { eTag: head.ETag.replace(/"/g, '') } : {}),
        ...(head.VersionId && head.VersionId !== 'null' ? { versionId: head.VersionId } : {}),
        ...(head.LastModified ? { lastModified: head.LastModified.toISOString() } : {}),
      };
    } catch (error) {
      const name = (error as { name?: string }).name;
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (isMissing(error, 'bucket'))
        throw translate(error, `HeadObject ${bucket}/${key}`, this.bucket(bucket));
      if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) return undefined;
      if (name === 'AccessDenied' || status === 403) {
        // The role may s3:ListBucket the routed prefixes, so a missing key is a 404: a 403 is a real
        // denial. Not "missing" (the event would be skipped as stale, silently) and not a FAILED
        // outcome (whether this version is older than the ledger's is exactly what is unknown, so it
        // may not take the item over): the event is retried and then waits in the events DLQ,
        // replayable once the permission is fixed.
        throw new TransientError(
          'access-denied',
          `${bucket}/${key}: S3 refused HeadObject (403 AccessDenied), needed to order an event without a sequencer against the ledger: the function's role lacks s3:GetObject on arn:aws:s3:::${bucket}/${key} or s3:ListBucket on arn:aws:s3:::${bucket} for this prefix (or a bucket policy or KMS key denies it); fix the permission, then npx eventline dlq replay`,
          { cause: error },
        );
      }
      throw translate(error, `HeadObject ${bucket}/${key}`);
    }
  }

  private bucket(name: string) {
    return { kind: 'bucket' as const, name, setting: this.bucketSetting };
  }

  async putInternal(
    bucket: string,
    key: string,
    body: string | Uint8Array,
    contentType: string,
  ): Promise<void> {
    try {
      await this.s3.putObject({ Bucket: bucket, Key: key, Body: body, ContentType: contentType });
    } catch (error) {
      throw translate(error, `PutObject ${bucket}/${key}`, this.bucket(bucket));
    }
  }
}
