import { createHash, randomBytes } from 'node:crypto';
import { receiveBody } from './body.ts';
import { encryptionHeaders } from './bucket-config.ts';
import { MAX_PART_NUMBER, MIN_PART_SIZE } from './constants.ts';
import type { S3Core } from './core.ts';
import { invalidArgument, invalidRequest, malformedXml, noSuchUpload, S3Error } from './errors.ts';
import {
  type Ctx,
  headerOf,
  iso,
  keyState,
  md5Transform,
  owner,
  pickStored,
  quote,
  readSmallBody,
  storedHeaders,
  unquote,
  writeConditions,
} from './http-helpers.ts';
import { urlEncodeKey } from './listing.ts';
import type { ObjectActions } from './objects.ts';
import {
  type BatchOp,
  type BucketRecord,
  type CompletedUpload,
  completedKey,
  type ObjectRecord,
  objectKey,
  type PartRecord,
  partKey,
  type UploadRecord,
  uploadKey,
  type VersionRecord,
} from './storage.ts';
import { child, childrenNamed, parseXml, type XmlNode } from './xml.ts';

/** Multipart uploads: create, upload part (and copy), complete, abort, list parts and uploads. */
export function multipartActions(core: S3Core, objects: ObjectActions) {
  const { now, storage, emit, send, sendXml, checkKey, commitVersion, versionHeader, eventVersionId } = core;
  const { readCopySource, objectSettings } = objects;

  async function getUpload(ctx: Ctx, bucket: BucketRecord, key: string): Promise<UploadRecord> {
    const uploadId = ctx.query.get('uploadId') ?? '';
    const upload = uploadId ? await storage.get<UploadRecord>(uploadKey(uploadId)) : undefined;
    if (!upload || upload.bucket !== bucket.name || upload.key !== key) throw noSuchUpload(uploadId);
    return upload;
  }

  async function partsOf(uploadId: string): Promise<PartRecord[]> {
    const parts: PartRecord[] = [];
    const base = Buffer.from(`p\0${uploadId}\0`);
    for await (const [, part] of storage.range<PartRecord>(
      base,
      Buffer.concat([base, Buffer.from([0xff])]),
    )) {
      parts.push(part);
    }
    return parts;
  }

  async function abortUploadRecord(uploadId: string): Promise<void> {
    const parts = await partsOf(uploadId);
    await storage.batch([
      { type: 'del', key: uploadKey(uploadId) },
      ...parts.map((p) => ({ type: 'del' as const, key: partKey(uploadId, p.partNumber) })),
    ]);
    await storage.removeBlobs(parts.map((p) => p.blob));
  }

  async function createUpload(ctx: Ctx, bucket: BucketRecord): Promise<void> {
    const key = checkKey(ctx);
    await readSmallBody(ctx.req);
    const uploadId = randomBytes(30).toString('base64url');
    const settings = objectSettings(ctx, bucket);
    const upload: UploadRecord = {
      ...storedHeaders(ctx.req),
      ...settings,
      uploadId,
      bucket: bucket.name,
      key,
      initiated: now(),
      keyState: keyState(await storage.get<ObjectRecord>(objectKey(bucket.name, key))),
    };
    const algorithm = headerOf(ctx.req, 'x-amz-checksum-algorithm');
    if (algorithm) upload.checksumAlgorithm = algorithm.toUpperCase();
    await storage.batch([{ type: 'put', key: uploadKey(uploadId), value: upload }]);
    sendXml(
      ctx,
      'InitiateMultipartUploadResult',
      [
        ['Bucket', bucket.name],
        ['Key', key],
        ['UploadId', uploadId],
      ],
      {
        ...encryptionHeaders(bucket),
        ...(upload.checksumAlgorithm
          ? { 'x-amz-checksum-algorithm': upload.checksumAlgorithm, 'x-amz-checksum-type': 'COMPOSITE' }
          : {}),
      },
    );
  }

  function partNumberOf(ctx: Ctx): number {
    const raw = ctx.query.get('partNumber') ?? '';
    const part = Number(raw);
    if (!/^\d+$/.test(raw) || part < 1 || part > MAX_PART_NUMBER) {
      throw invalidArgument(
        'Part number must be an integer between 1 and 10000, inclusive',
        'partNumber',
        raw,
      );
    }
    return part;
  }

  async function uploadPart(ctx: Ctx, bucket: BucketRecord): Promise<void> {
    const key = checkKey(ctx);
    const partNumber = partNumberOf(ctx);
    const upload = await getUpload(ctx, bucket, key);
    let blob: string;
    let ops: BatchOp[];
    let size: number;
    let etag: string;
    const copying = headerOf(ctx.req, 'x-amz-copy-source') !== undefined;
    let copyInfo: Record<string, string> = {};
    if (copying) {
      await readSmallBody(ctx.req);
      const { version, sourceBucket } = await readCopySource(ctx);
      const total = version.size ?? 0;
      const rangeHeader = headerOf(ctx.req, 'x-amz-copy-source-range');
      let range: { start: number; end: number } | undefined;
      if (rangeHeader !== undefined) {
        const m = /^bytes=(\d+)-(\d+)$/.exec(rangeHeader);
        // A well-formed range outside the source is InvalidRange (as GetObject answers it).
        if (m && Number(m[2]) >= Number(m[1]) && Number(m[2]) >= total) {
          throw new S3Error('InvalidRange', 416, 'The requested range is not satisfiable', {
            RangeRequested: rangeHeader,
            ActualObjectSize: total,
          });
        }
        if (!m || Number(m[2]) < Number(m[1])) {
          throw invalidArgument(
            'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
            'x-amz-copy-source-range',
            rangeHeader,
          );
        }
        range = { start: Number(m[1]), end: Number(m[2]) };
      }
      const md5 = md5Transform();
      const written = await storage.writeBlob(total > 0 ? await storage.openBlob(version.blob!, range) : [], [
        md5.stream,
      ]);
      ({ blob, size, ops } = written);
      etag = md5.hex();
      if (sourceBucket.versioning !== 'Unversioned')
        copyInfo = { 'x-amz-copy-source-version-id': version.versionId };
    } else {
      const body = await receiveBody(storage, ctx.req, ctx.auth.chunkSigning);
      ({ blob, size, ops } = body);
      etag = body.md5;
    }
    const replaced = await storage.withLock(`upload\0${upload.uploadId}`, async () => {
      if (!(await storage.get<UploadRecord>(uploadKey(upload.uploadId)))) {
        await storage.removeBlobs([blob]);
        throw noSuchUpload(upload.uploadId);
      }
      const previous = await storage.get<PartRecord>(partKey(upload.uploadId, partNumber));
      const part: PartRecord = { partNumber, etag, size, blob, lastModified: now() };
      await storage.batch([{ type: 'put', key: partKey(upload.uploadId, partNumber), value: part }, ...ops]);
      return previous;
    });
    await storage.removeBlobs([replaced?.blob]);
    if (copying) {
      sendXml(
        ctx,
        'CopyPartResult',
        [
          ['ETag', quote(etag)],
          ['LastModified', iso(now())],
        ],
        { ...copyInfo, ...encryptionHeaders(bucket) },
      );
    } else {
      send(ctx, 200, { etag: quote(etag), ...encryptionHeaders(bucket) }, '');
    }
  }

  async function requestedParts(ctx: Ctx): Promise<Array<{ partNumber: number; etag: string }>> {
    const text = await readSmallBody(ctx.req);
    if (text.trim() === '') throw malformedXml('the request has no CompleteMultipartUpload document');
    const doc = parseXml(text);
    if (doc.name !== 'CompleteMultipartUpload') throw malformedXml('expected <CompleteMultipartUpload>');
    const requested = childrenNamed(doc, 'Part').map((p) => ({
      partNumber: Number(child(p, 'PartNumber')?.text.trim()),
      etag: unquote(child(p, 'ETag')?.text ?? ''),
    }));
    if (requested.length === 0) throw invalidRequest('You must specify at least one part');
    return requested;
  }

  function sendCompletion(ctx: Ctx, bucket: BucketRecord, key: string, etag: string, versionId: string) {
    const host = headerOf(ctx.req, 'host') ?? '127.0.0.1';
    sendXml(
      ctx,
      'CompleteMultipartUploadResult',
      [
        ['Location', `http://${host}/${bucket.name}/${urlEncodeKey(key)}`],
        ['Bucket', bucket.name],
        ['Key', key],
        ['ETag', quote(etag)],
      ],
      { ...versionHeader(bucket.versioning, versionId), ...encryptionHeaders(bucket) },
    );
  }

  /**
   * CompleteMultipartUpload of an upload that already completed: S3 answers the same result again
   * when the same parts are named, NoSuchUpload otherwise.
   */
  async function repeatCompletion(
    ctx: Ctx,
    bucket: BucketRecord,
    key: string,
    error: unknown,
  ): Promise<void> {
    const done = await storage.get<CompletedUpload>(completedKey(ctx.query.get('uploadId') ?? ''));
    if (!done || done.bucket !== bucket.name || done.key !== key) throw error;
    const requested = await requestedParts(ctx);
    const same =
      requested.length === done.parts.length &&
      requested.every((r, i) => r.partNumber === done.parts[i]!.partNumber && r.etag === done.parts[i]!.etag);
    if (!same) throw error;
    sendCompletion(ctx, bucket, key, done.etag, done.versionId);
  }

  async function completeUpload(ctx: Ctx, bucket: BucketRecord): Promise<void> {
    const key = checkKey(ctx);
    const conditions = writeConditions(ctx.req);
    let upload: UploadRecord;
    try {
      upload = await getUpload(ctx, bucket, key);
    } catch (error) {
      return repeatCompletion(ctx, bucket, key, error);
    }
    const requested = await requestedParts(ctx);
    await storage.withLock(`upload\0${upload.uploadId}`, async () => {
      const stored = new Map((await partsOf(upload.uploadId)).map((p) => [p.partNumber, p]));
      let previous = 0;
      for (const r of requested) {
        if (!Number.isInteger(r.partNumber) || r.partNumber <= previous) {
          throw new S3Error(
            'InvalidPartOrder',
            400,
            'The list of parts was not in ascending order. Parts must be ordered by part number.',
            { UploadId: upload.uploadId },
          );
        }
        previous = r.partNumber;
      }
      const chosen: PartRecord[] = [];
      for (const r of requested) {
        const part = stored.get(r.partNumber);
        if (!part || part.etag !== r.etag) {
          throw new S3Error(
            'InvalidPart',
            400,
            "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
            { UploadId: upload.uploadId, PartNumber: r.partNumber, ETag: r.etag },
          );
        }
        chosen.push(part);
      }
      chosen.forEach((part, i) => {
        if (i < chosen.length - 1 && part.size < MIN_PART_SIZE) {
          throw new S3Error(
            'EntityTooSmall',
            400,
            'Your proposed upload is smaller than the minimum allowed size',
            {
              ETag: part.etag,
              MinSizeAllowed: MIN_PART_SIZE,
              PartNumber: part.partNumber,
              ProposedSize: part.size,
            },
          );
        }
      });
      const total = chosen.reduce((a, p) => a + p.size, 0);
      const declared = headerOf(ctx.req, 'x-amz-mp-object-size');
      if (declared !== undefined && Number(declared) !== total) {
        throw invalidRequest(
          `The provided 'x-amz-mp-object-size' header value ${declared} does not match what was computed: ${total}`,
        );
      }
      const etag = `${createHash('md5')
        .update(Buffer.concat(chosen.map((p) => Buffer.from(p.etag, 'hex'))))
        .digest('hex')}-${chosen.length}`;
      const written = await storage.writeBlob(
        chosen.filter((p) => p.size > 0).map((p) => () => storage.openBlob(p.blob)),
        [],
      );
      const version: Omit<VersionRecord, 'versionId'> = {
        ...pickStored(upload),
        lastModified: now(),
        etag,
        size: written.size,
        blob: written.blob,
        partSizes: chosen.map((p) => p.size),
      };
      if (upload.tags) version.tags = upload.tags;
      if (upload.acl) version.acl = upload.acl;
      if (upload.retention) version.retention = upload.retention;
      if (upload.legalHold) version.legalHold = upload.legalHold;
      let committed: Awaited<ReturnType<typeof commitVersion>>;
      const allParts = [...stored.values()];
      try {
        committed = await commitVersion(
          bucket.name,
          key,
          version,
          conditions,
          [
            ...written.ops,
            { type: 'del', key: uploadKey(upload.uploadId) },
            ...allParts.map((p) => ({ type: 'del' as const, key: partKey(upload.uploadId, p.partNumber) })),
          ],
          upload.keyState,
          (c) =>
            emit(ctx, {
              eventName: 'ObjectCreated:CompleteMultipartUpload',
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
      await storage.removeBlobs(allParts.map((p) => p.blob));
      const done: CompletedUpload = {
        bucket: bucket.name,
        key,
        etag,
        versionId: committed.versionId,
        parts: chosen.map((p) => ({ partNumber: p.partNumber, etag: p.etag })),
      };
      await storage.batch([{ type: 'put', key: completedKey(upload.uploadId), value: done }]);
      sendCompletion(ctx, { ...bucket, versioning: committed.versioning }, key, etag, committed.versionId);
    });
  }

  async function abortUpload(ctx: Ctx, bucket: BucketRecord): Promise<void> {
    const key = checkKey(ctx);
    const upload = await getUpload(ctx, bucket, key);
    await storage.withLock(`upload\0${upload.uploadId}`, () => abortUploadRecord(upload.uploadId));
    send(ctx, 204, {});
  }

  async function listParts(ctx: Ctx, bucket: BucketRecord): Promise<void> {
    const key = checkKey(ctx);
    const upload = await getUpload(ctx, bucket, key);
    const marker = Number(ctx.query.get('part-number-marker') ?? '0') || 0;
    const maxParts = Math.min(Number(ctx.query.get('max-parts') ?? '1000') || 1000, 1000);
    const after = (await partsOf(upload.uploadId)).filter((p) => p.partNumber > marker);
    const page = after.slice(0, maxParts);
    const truncated = after.length > page.length;
    sendXml(ctx, 'ListPartsResult', [
      ['Bucket', bucket.name],
      ['Key', key],
      ['UploadId', upload.uploadId],
      ['Initiator', owner()],
      ['Owner', owner()],
      ['StorageClass', upload.storageClass ?? 'STANDARD'],
      ['PartNumberMarker', marker],
      ['NextPartNumberMarker', page[page.length - 1]?.partNumber ?? 0],
      ['MaxParts', maxParts],
      ['IsTruncated', truncated],
      ...page.map(
        (p): XmlNode => [
          'Part',
          [
            ['PartNumber', p.partNumber],
            ['LastModified', iso(p.lastModified)],
            ['ETag', quote(p.etag)],
            ['Size', p.size],
          ],
        ],
      ),
    ]);
  }

  async function listUploads(ctx: Ctx, bucket: BucketRecord): Promise<void> {
    const encodingType = ctx.query.get('encoding-type');
    if (encodingType !== undefined && encodingType !== 'url') {
      throw invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', encodingType);
    }
    const encode = (v: string) => (encodingType === 'url' ? urlEncodeKey(v) : v);
    const prefix = ctx.query.get('prefix') ?? '';
    const delimiter = ctx.query.get('delimiter') ?? '';
    const keyMarker = ctx.query.get('key-marker') ?? '';
    const uploadIdMarker = ctx.query.get('upload-id-marker') ?? '';
    const maxUploads = Math.min(Number(ctx.query.get('max-uploads') ?? '1000') || 1000, 1000);
    const all: UploadRecord[] = [];
    for await (const [, u] of storage.range<UploadRecord>(Buffer.from('u\0'), Buffer.from('u\x01'))) {
      if (u.bucket === bucket.name && u.key.startsWith(prefix)) all.push(u);
    }
    all.sort(
      (a, b) =>
        Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)) ||
        a.initiated - b.initiated ||
        (a.uploadId < b.uploadId ? -1 : 1),
    );
    let startIndex = 0;
    if (keyMarker !== '') {
      const markerBytes = Buffer.from(keyMarker);
      startIndex = all.findIndex((u) => {
        const c = Buffer.compare(Buffer.from(u.key), markerBytes);
        if (c > 0) return true;
        if (c < 0 || uploadIdMarker === '') return false;
        const markerUpload = all.find((m) => m.uploadId === uploadIdMarker);
        return markerUpload !== undefined && u.initiated > markerUpload.initiated;
      });
      if (startIndex < 0) startIndex = all.length;
    }
    const items: XmlNode[] = [];
    const prefixes = new Set<string>();
    let count = 0;
    let truncated = false;
    let lastUpload: UploadRecord | undefined;
    for (const u of all.slice(startIndex)) {
      const rest = u.key.slice(prefix.length);
      const at = delimiter ? rest.indexOf(delimiter) : -1;
      if (at >= 0) {
        const common = prefix + rest.slice(0, at + delimiter.length);
        if (prefixes.has(common)) continue;
        if (count >= maxUploads) {
          truncated = true;
          break;
        }
        prefixes.add(common);
        items.push(['CommonPrefixes', [['Prefix', encode(common)]]]);
        count++;
        continue;
      }
      if (count >= maxUploads) {
        truncated = true;
        break;
      }
      items.push([
        'Upload',
        [
          ['Key', encode(u.key)],
          ['UploadId', u.uploadId],
          ['Initiator', owner()],
          ['Owner', owner()],
          ['StorageClass', u.storageClass ?? 'STANDARD'],
          ['Initiated', iso(u.initiated)],
        ],
      ]);
      lastUpload = u;
      count++;
    }
    sendXml(ctx, 'ListMultipartUploadsResult', [
      ['Bucket', bucket.name],
      ['KeyMarker', encode(keyMarker)],
      ['UploadIdMarker', uploadIdMarker],
      truncated && lastUpload ? ['NextKeyMarker', encode(lastUpload.key)] : undefined,
      truncated && lastUpload ? ['NextUploadIdMarker', lastUpload.uploadId] : undefined,
      ['Prefix', encode(prefix)],
      delimiter ? ['Delimiter', encode(delimiter)] : undefined,
      encodingType ? ['EncodingType', 'url'] : undefined,
      ['MaxUploads', maxUploads],
      ['IsTruncated', truncated],
      ...items,
    ]);
  }

  return { createUpload, uploadPart, completeUpload, abortUpload, listParts, listUploads, abortUploadRecord };
}

export type MultipartActions = ReturnType<typeof multipartActions>;
