import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { percentDecode } from './auth.ts';
import { receiveBody } from './body.ts';
import { defaultRetentionOf, encryptionHeaders, requestedAcl } from './bucket-config.ts';
import { parseTaggingHeader } from './config-docs.ts';
import { EMPTY_MD5, MAX_PART_NUMBER, NULL_VERSION } from './constants.ts';
import type { S3Core } from './core.ts';
import { invalidArgument, invalidRequest, malformedXml, S3Error } from './errors.ts';
import {
  type Ctx,
  headerOf,
  iso,
  md5Transform,
  newVersionId,
  parseRange,
  pickStored,
  quote,
  readPreconditions,
  readSmallBody,
  storedHeaders,
  writeConditions,
} from './http-helpers.ts';
import { lockForbidsDelete, lockFromHeaders, versionExtraHeaders } from './object-config.ts';
import {
  type BucketRecord,
  type ObjectRecord,
  objectKey,
  type StoredHeaders,
  type VersionRecord,
} from './storage.ts';
import type { S3EventName } from './types.ts';
import { child, childrenNamed, parseXml, type XmlNode } from './xml.ts';

/** Object handlers: PutObject, GetObject/HeadObject, DeleteObject(s), CopyObject. */
export function objectActions(core: S3Core) {
  const {
    maxKeyBytes,
    now,
    storage,
    emit,
    getBucket,
    send,
    sendXml,
    checkKey,
    commitVersion,
    eventVersionId,
    versionHeader,
    validVersionId,
    resolveVersion,
  } = core;

  async function putObject(ctx: Ctx, bucket: BucketRecord): Promise<void> {
    const key = checkKey(ctx);
    const conditions = writeConditions(ctx.req);
    const headers = storedHeaders(ctx.req);
    const settings = objectSettings(ctx, bucket);
    const body = await receiveBody(storage, ctx.req, ctx.auth.chunkSigning);
    let committed: Awaited<ReturnType<typeof commitVersion>>;
    const version: Omit<VersionRecord, 'versionId'> = {
      ...headers,
      lastModified: now(),
      etag: body.md5,
      size: body.size,
      blob: body.blob,
      ...settings,
    };
    if (body.checksum) version.checksum = body.checksum;
    try {
      committed = await commitVersion(bucket.name, key, version, conditions, body.ops, undefined, (c) =>
        emit(ctx, {
          eventName: 'ObjectCreated:Put',
          bucket: bucket.name,
          key,
          size: body.size,
          eTag: body.md5,
          ...eventVersionId(c.versionId),
          sequencer: c.sequencer,
        }),
      );
    } catch (error) {
      await storage.removeBlobs([body.blob]);
      throw error;
    }
    const extra: Record<string, string> = {};
    if (body.checksum) {
      extra[`x-amz-checksum-${body.checksum.algorithm}`] = body.checksum.value;
      extra['x-amz-checksum-type'] = 'FULL_OBJECT';
    }
    send(
      ctx,
      200,
      {
        etag: quote(body.md5),
        ...versionHeader(committed.versioning, committed.versionId),
        ...encryptionHeaders(bucket),
        ...extra,
      },
      '',
    );
  }

  /** Tags (`x-amz-tagging`), ACL and object lock settings a write request gives the new object. */
  function objectSettings(
    ctx: Ctx,
    bucket: BucketRecord,
  ): Pick<VersionRecord, 'tags' | 'acl' | 'retention' | 'legalHold'> {
    const out: Pick<VersionRecord, 'tags' | 'acl' | 'retention' | 'legalHold'> = {};
    const tagging = headerOf(ctx.req, 'x-amz-tagging');
    if (tagging !== undefined) out.tags = parseTaggingHeader(tagging);
    const acl = requestedAcl(ctx, bucket);
    if (acl) out.acl = acl;
    return { ...out, ...lockFromHeaders(ctx, bucket, defaultRetentionOf(bucket)) };
  }

  function objectResponseHeaders(
    ctx: Ctx,
    bucket: BucketRecord,
    v: VersionRecord,
  ): Record<string, string | number> {
    const h: Record<string, string | number> = {
      'last-modified': new Date(v.lastModified).toUTCString(),
      etag: quote(v.etag ?? ''),
      'content-type': v.contentType ?? 'binary/octet-stream',
      'accept-ranges': 'bytes',
      ...versionHeader(bucket.versioning, v.versionId),
      ...encryptionHeaders(bucket),
      ...versionExtraHeaders(v),
    };
    if (v.contentEncoding) h['content-encoding'] = v.contentEncoding;
    if (v.contentDisposition) h['content-disposition'] = v.contentDisposition;
    if (v.contentLanguage) h['content-language'] = v.contentLanguage;
    if (v.cacheControl) h['cache-control'] = v.cacheControl;
    if (v.expires) h.expires = v.expires;
    if (v.websiteRedirectLocation) h['x-amz-website-redirect-location'] = v.websiteRedirectLocation;
    if (v.storageClass && v.storageClass !== 'STANDARD') h['x-amz-storage-class'] = v.storageClass;
    for (const [name, value] of Object.entries(v.userMetadata ?? {})) h[`x-amz-meta-${name}`] = value;
    const overrides: Array<[string, string]> = [
      ['response-content-type', 'content-type'],
      ['response-content-language', 'content-language'],
      ['response-expires', 'expires'],
      ['response-cache-control', 'cache-control'],
      ['response-content-disposition', 'content-disposition'],
      ['response-content-encoding', 'content-encoding'],
    ];
    for (const [param, name] of overrides) {
      const value = ctx.query.get(param);
      if (value !== undefined) h[name] = value;
    }
    return h;
  }

  async function getObject(ctx: Ctx, bucket: BucketRecord): Promise<void> {
    const key = checkKey(ctx);
    const versionParam = ctx.query.get('versionId');
    const versionId = versionParam === undefined ? undefined : validVersionId(versionParam);
    for (let attempt = 0; ; attempt++) {
      const version = await resolveVersion(bucket, key, versionId, ctx.method);
      const headers = objectResponseHeaders(ctx, bucket, version);
      if (readPreconditions(ctx.req, version, now()) === 304) {
        const notModified: Record<string, string | number> = {};
        for (const name of ['etag', 'last-modified', 'x-amz-version-id']) {
          if (headers[name] !== undefined) notModified[name] = headers[name];
        }
        ctx.res.writeHead(304, {
          'x-amz-request-id': ctx.requestId,
          'x-amz-id-2': ctx.hostId,
          ...notModified,
        });
        ctx.res.end();
        return;
      }
      const size = version.size ?? 0;
      const rangeHeader = headerOf(ctx.req, 'range');
      const partParam = ctx.query.get('partNumber');
      let range: { start: number; end: number } | undefined;
      if (partParam !== undefined) {
        if (rangeHeader !== undefined)
          throw invalidRequest('Cannot specify both Range header and partNumber query parameter');
        const part = Number(partParam);
        if (!Number.isInteger(part) || part < 1 || part > MAX_PART_NUMBER) {
          throw invalidArgument(
            'Part number must be an integer between 1 and 10000, inclusive',
            'partNumber',
            partParam,
          );
        }
        const sizes = version.partSizes ?? [size];
        if (part > sizes.length) {
          throw new S3Error('InvalidPartNumber', 400, 'The requested partnumber is not satisfiable', {
            PartNumberRequested: part,
            ActualPartCount: sizes.length,
          });
        }
        const start = sizes.slice(0, part - 1).reduce((a, b) => a + b, 0);
        range = { start, end: start + sizes[part - 1]! - 1 };
        headers['x-amz-mp-parts-count'] = sizes.length;
      } else {
        const parsed = parseRange(rangeHeader, size);
        if (parsed === 'unsatisfiable') {
          throw new S3Error(
            'InvalidRange',
            416,
            'The requested range is not satisfiable',
            {
              RangeRequested: rangeHeader,
              ActualObjectSize: size,
            },
            { 'content-range': `bytes */${size}` },
          );
        }
        range = parsed;
      }
      if (range) {
        headers['content-range'] = `bytes ${range.start}-${range.end}/${size}`;
        headers['content-length'] = range.end - range.start + 1;
      } else {
        headers['content-length'] = size;
        if (version.checksum && headerOf(ctx.req, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED') {
          headers[`x-amz-checksum-${version.checksum.algorithm}`] = version.checksum.value;
          headers['x-amz-checksum-type'] = 'FULL_OBJECT';
        }
      }
      const status = range ? 206 : 200;
      if (ctx.method === 'HEAD' || size === 0 || (range && range.end < range.start)) {
        ctx.res.writeHead(status, {
          'x-amz-request-id': ctx.requestId,
          'x-amz-id-2': ctx.hostId,
          ...headers,
        });
        ctx.res.end();
        return;
      }
      let stream: Readable;
      try {
        stream = await storage.openBlob(version.blob!, range);
      } catch (error) {
        // Overwritten (and its data removed) between reading its metadata and opening the data.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' && attempt < 5) continue;
        throw error;
      }
      ctx.res.writeHead(status, { 'x-amz-request-id': ctx.requestId, 'x-amz-id-2': ctx.hostId, ...headers });
      await pipeline(stream, ctx.res);
      return;
    }
  }

  interface DeleteOutcome {
    versionId?: string;
    deleteMarker: boolean;
  }

  async function deleteOne(
    ctx: Ctx,
    bucketName: string,
    key: string,
    versionParam: string | undefined,
  ): Promise<DeleteOutcome> {
    const versionId = versionParam === undefined ? undefined : validVersionId(versionParam);
    const outcome = await storage.withLock(`${bucketName}\0${key}`, async () => {
      const bucket = await getBucket(bucketName);
      const dbKey = objectKey(bucketName, key);
      const record = (await storage.get<ObjectRecord>(dbKey)) ?? { versions: [] };
      let removed: VersionRecord[] = [];
      let marker: VersionRecord | undefined;
      let eventName: S3EventName = 'ObjectRemoved:Delete';
      let result: DeleteOutcome;
      if (versionId !== undefined) {
        removed = record.versions.filter((v) => v.versionId === versionId);
        result = { versionId, deleteMarker: removed[0]?.deleteMarker === true };
        if (removed.length === 0) return { result };
        const bypass = headerOf(ctx.req, 'x-amz-bypass-governance-retention')?.toLowerCase() === 'true';
        if (lockForbidsDelete(removed[0]!, now(), bypass))
          throw new S3Error('AccessDenied', 403, 'Access Denied because object protected by object lock.');
      } else if (bucket.versioning === 'Unversioned') {
        removed = record.versions;
        result = { deleteMarker: false };
        if (removed.length === 0) return { result };
      } else {
        const id = bucket.versioning === 'Enabled' ? newVersionId() : NULL_VERSION;
        if (id === NULL_VERSION) removed = record.versions.filter((v) => v.versionId === NULL_VERSION);
        marker = { versionId: id, deleteMarker: true, lastModified: now() };
        eventName = 'ObjectRemoved:DeleteMarkerCreated';
        result = { versionId: id, deleteMarker: true };
      }
      record.versions = [...(marker ? [marker] : []), ...record.versions.filter((v) => !removed.includes(v))];
      const { sequencer, op } = storage.nextSequencer(now());
      await storage.batch([
        // A key with no versions left keeps its record (the sequencer of its last change), so that a
        // conditional CompleteMultipartUpload can tell the key changed since the upload began.
        { type: 'put', key: dbKey, value: { ...record, sequencer } },
        op,
      ]);
      const eventVersion = marker?.versionId ?? versionId;
      // Emitted inside the key's lock, so that events of one key leave in commit order.
      emit(ctx, {
        eventName,
        bucket: bucketName,
        key,
        ...(marker ? { eTag: EMPTY_MD5 } : {}),
        ...(eventVersion !== undefined ? eventVersionId(eventVersion) : {}),
        sequencer,
      });
      await storage.removeBlobs(removed.map((v) => v.blob));
      return { result };
    });
    return outcome.result;
  }

  async function deleteObject(ctx: Ctx, bucket: BucketRecord): Promise<void> {
    const key = checkKey(ctx);
    const result = await deleteOne(ctx, bucket.name, key, ctx.query.get('versionId'));
    const headers: Record<string, string> = {};
    if (result.versionId !== undefined) headers['x-amz-version-id'] = result.versionId;
    if (result.deleteMarker) headers['x-amz-delete-marker'] = 'true';
    send(ctx, 204, headers);
  }

  async function deleteObjects(ctx: Ctx, bucket: BucketRecord): Promise<void> {
    const doc = parseXml(await readSmallBody(ctx.req));
    if (doc.name !== 'Delete') throw malformedXml('expected <Delete>');
    const quiet = child(doc, 'Quiet')?.text.trim() === 'true';
    const objects = childrenNamed(doc, 'Object');
    if (objects.length === 0 || objects.length > 1000)
      throw malformedXml('a Delete request names 1 to 1000 objects');
    const results: XmlNode[] = [];
    for (const object of objects) {
      const key = child(object, 'Key')?.text;
      if (key === undefined) throw malformedXml('an <Object> has no <Key>');
      const versionId = child(object, 'VersionId')?.text;
      try {
        if (Buffer.byteLength(key) > maxKeyBytes) {
          throw new S3Error('KeyTooLongError', 400, 'Your key is too long');
        }
        const result = await deleteOne(ctx, bucket.name, key, versionId);
        if (quiet) continue;
        const deleted: XmlNode[] = [['Key', key]];
        if (versionId !== undefined) deleted.push(['VersionId', versionId]);
        if (result.deleteMarker) deleted.push(['DeleteMarker', 'true']);
        if (result.deleteMarker && versionId === undefined)
          deleted.push(['DeleteMarkerVersionId', result.versionId!]);
        if (result.deleteMarker && versionId !== undefined)
          deleted.push(['DeleteMarkerVersionId', versionId]);
        results.push(['Deleted', deleted]);
      } catch (error) {
        if (!(error instanceof S3Error)) throw error;
        results.push([
          'Error',
          [
            ['Key', key],
            versionId !== undefined ? ['VersionId', versionId] : undefined,
            ['Code', error.code],
            ['Message', error.message],
          ],
        ]);
      }
    }
    sendXml(ctx, 'DeleteResult', results);
  }

  function parseCopySource(ctx: Ctx): { bucket: string; key: string; versionId?: string } {
    const raw = headerOf(ctx.req, 'x-amz-copy-source')!;
    const [path = '', search] = raw.split('?', 2) as [string, string | undefined];
    const decoded = percentDecode(path.replace(/^\//, ''));
    const slash = decoded.indexOf('/');
    if (slash < 1 || slash === decoded.length - 1) {
      throw invalidArgument('Invalid copy source object key', 'x-amz-copy-source', raw);
    }
    const source: { bucket: string; key: string; versionId?: string } = {
      bucket: decoded.slice(0, slash),
      key: decoded.slice(slash + 1),
    };
    if (search !== undefined) {
      const params = new Map(
        search.split('&').map((p) => {
          const eq = p.indexOf('=');
          return [
            percentDecode(eq < 0 ? p : p.slice(0, eq)),
            percentDecode(eq < 0 ? '' : p.slice(eq + 1)),
          ] as const;
        }),
      );
      const versionId = params.get('versionId');
      if (versionId !== undefined) source.versionId = validVersionId(versionId);
    }
    return source;
  }

  async function readCopySource(ctx: Ctx) {
    const source = parseCopySource(ctx);
    const sourceBucket = await getBucket(source.bucket);
    let version: VersionRecord;
    try {
      version = await resolveVersion(sourceBucket, source.key, source.versionId, 'GET');
    } catch (error) {
      if (error instanceof S3Error && error.code === 'MethodNotAllowed') {
        throw invalidRequest(
          'The source of a copy request may not specifically refer to a delete marker by version id.',
        );
      }
      throw error;
    }
    readPreconditions(ctx.req, version, now(), 'x-amz-copy-source-');
    return { source, sourceBucket, version };
  }

  async function copyObject(ctx: Ctx, bucket: BucketRecord): Promise<void> {
    const key = checkKey(ctx);
    const conditions = writeConditions(ctx.req);
    await readSmallBody(ctx.req);
    const { source, sourceBucket, version } = await readCopySource(ctx);
    const directive = (headerOf(ctx.req, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase();
    if (directive !== 'COPY' && directive !== 'REPLACE') {
      throw invalidArgument('Unknown metadata directive.', 'x-amz-metadata-directive', directive);
    }
    const tagDirective = (headerOf(ctx.req, 'x-amz-tagging-directive') ?? 'COPY').toUpperCase();
    if (tagDirective !== 'COPY' && tagDirective !== 'REPLACE') {
      throw invalidArgument('Unknown tagging directive.', 'x-amz-tagging-directive', tagDirective);
    }
    const settings = objectSettings(ctx, bucket);
    if (tagDirective === 'COPY') {
      if (version.tags) settings.tags = version.tags;
      else delete settings.tags;
    } else if (headerOf(ctx.req, 'x-amz-tagging') === undefined) delete settings.tags;
    const sameObject = source.bucket === bucket.name && source.key === key;
    if (
      sameObject &&
      directive === 'COPY' &&
      headerOf(ctx.req, 'x-amz-storage-class') === undefined &&
      headerOf(ctx.req, 'x-amz-website-redirect-location') === undefined &&
      headerOf(ctx.req, 'x-amz-server-side-encryption') === undefined
    ) {
      throw invalidRequest(
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      );
    }
    const headers: StoredHeaders =
      directive === 'REPLACE'
        ? storedHeaders(ctx.req)
        : { ...pickStored(version), websiteRedirectLocation: undefined };
    if (directive === 'COPY') {
      delete headers.websiteRedirectLocation;
      const redirect = headerOf(ctx.req, 'x-amz-website-redirect-location');
      if (redirect) headers.websiteRedirectLocation = redirect;
      const storageClass = headerOf(ctx.req, 'x-amz-storage-class');
      if (storageClass) headers.storageClass = storageClass;
    }
    // A copy is a single-part object: its ETag is the MD5 of its bytes, also from a multipart source.
    const md5 = md5Transform();
    const written = await storage.writeBlob(version.size ? await storage.openBlob(version.blob!) : [], [
      md5.stream,
    ]);
    const etag = md5.hex();
    const copied: Omit<VersionRecord, 'versionId'> = {
      ...headers,
      lastModified: now(),
      etag,
      size: written.size,
      blob: written.blob,
      ...settings,
    };
    if (version.checksum) copied.checksum = version.checksum;
    let committed: Awaited<ReturnType<typeof commitVersion>>;
    try {
      committed = await commitVersion(bucket.name, key, copied, conditions, written.ops, undefined, (c) =>
        emit(ctx, {
          eventName: 'ObjectCreated:Copy',
          bucket: bucket.name,
          key,
          size: written.size,
          eTag: etag,
          ...eventVersionId(c.versionId),
          sequencer: c.sequencer,
        }),
      );
    } catch (error) {
      await storage.removeBlobs([written.blob]);
      throw error;
    }
    const extra: Record<string, string> = {};
    if (sourceBucket.versioning !== 'Unversioned') extra['x-amz-copy-source-version-id'] = version.versionId;
    sendXml(
      ctx,
      'CopyObjectResult',
      [
        ['ETag', quote(etag)],
        ['LastModified', iso(copied.lastModified)],
      ],
      { ...extra, ...versionHeader(committed.versioning, committed.versionId), ...encryptionHeaders(bucket) },
    );
  }

  return { putObject, getObject, deleteObject, deleteObjects, copyObject, readCopySource, objectSettings };
}

export type ObjectActions = ReturnType<typeof objectActions>;
