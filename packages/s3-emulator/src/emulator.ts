import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type AuthOutcome, authenticate, percentDecode } from './auth.ts';
import { receiveBody } from './body.ts';
import {
  DEFAULT_MAX_KEYS,
  DEFAULT_REGION,
  EMPTY_MD5,
  MAX_KEY_BYTES,
  MAX_PART_NUMBER,
  MIN_PART_SIZE,
  NULL_VERSION,
  OWNER_ID,
  OWNER_NAME,
  S3_XMLNS,
  UNSUPPORTED_SUBRESOURCES,
} from './constants.ts';
import {
  invalidArgument,
  invalidRequest,
  malformedXml,
  noSuchBucket,
  noSuchKey,
  noSuchUpload,
  noSuchVersion,
  notImplemented,
  preconditionFailed,
  S3EmulatorConfigError,
  S3Error,
} from './errors.ts';
import { type ListEntry, listBucket, urlEncodeKey } from './listing.ts';
import {
  type BatchOp,
  type BucketRecord,
  bucketKey,
  type ObjectRecord,
  objectKey,
  objectPrefix,
  type PartRecord,
  partKey,
  Storage,
  type StoredHeaders,
  type UploadRecord,
  uploadKey,
  type VersionRecord,
} from './storage.ts';
import type { S3Emulator, S3EmulatorOptions, S3EventName, S3ObjectEvent, VersioningState } from './types.ts';
import { child, childrenNamed, parseXml, renderXml, type XmlNode } from './xml.ts';

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  rawPath: string;
  rawQuery: Array<[string, string]>;
  query: Map<string, string>;
  bucket?: string;
  key?: string;
  hostBucket?: string;
  requestId: string;
  hostId: string;
  auth: AuthOutcome;
}

const OPTION_NAMES = new Set([
  'dataDir',
  'region',
  'credentials',
  'onObjectEvent',
  'onEventError',
  'maxKeyBytes',
  'fsync',
  'now',
]);
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const VERSION_ID = /^[A-Za-z0-9._]{32}$/;
const MAX_XML_BODY = 2 * 1024 * 1024;

const owner = (): XmlNode[] => [
  ['ID', OWNER_ID],
  ['DisplayName', OWNER_NAME],
];
const iso = (ms: number) => new Date(ms).toISOString();
const quote = (etag: string) => `"${etag}"`;
const unquote = (etag: string) => etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');

function newVersionId(): string {
  return randomBytes(24).toString('base64').replace(/\+/g, '.').replace(/\//g, '_');
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function validateOptions(options: S3EmulatorOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new S3EmulatorConfigError('createS3Emulator: options must be an object with at least dataDir');
  }
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name)) {
      throw new S3EmulatorConfigError(
        `createS3Emulator: unknown option "${name}" (known: ${[...OPTION_NAMES].join(', ')})`,
      );
    }
  }
  if (typeof options.dataDir !== 'string' || options.dataDir === '') {
    throw new S3EmulatorConfigError('createS3Emulator: option dataDir must be a non-empty directory path');
  }
  if (options.region !== undefined && !/^[a-z0-9-]+$/.test(options.region)) {
    throw new S3EmulatorConfigError(
      `createS3Emulator: option region "${options.region}" is not a region name`,
    );
  }
  if (
    options.maxKeyBytes !== undefined &&
    (!Number.isInteger(options.maxKeyBytes) || options.maxKeyBytes < 1 || options.maxKeyBytes > MAX_KEY_BYTES)
  ) {
    throw new S3EmulatorConfigError(
      `createS3Emulator: option maxKeyBytes must be an integer from 1 to ${MAX_KEY_BYTES}`,
    );
  }
  for (const fn of ['credentials', 'onObjectEvent', 'onEventError', 'now'] as const) {
    if (options[fn] !== undefined && typeof options[fn] !== 'function') {
      throw new S3EmulatorConfigError(`createS3Emulator: option ${fn} must be a function`);
    }
  }
}

async function readSmallBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_XML_BODY) throw malformedXml('the request document is larger than 2 MiB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Range header (s3-api-semantics.md section 4): undefined = ignore, 'unsatisfiable' = 416. */
export function parseRange(
  value: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (value === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!m) return undefined;
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const n = Number(last);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

function etagMatches(list: string, etag: string): boolean {
  return list.split(',').some((t) => {
    const tag = unquote(t);
    return tag === '*' || tag === etag;
  });
}

/** GET/HEAD preconditions in the order AWS evaluates them (section 3.1); returns 304 or throws 412. */
function readPreconditions(
  req: IncomingMessage,
  version: VersionRecord,
  now: number,
  prefix = '',
): 304 | undefined {
  const h = (n: string) => headerOf(req, `${prefix}${n}`);
  const lastModified = Math.floor(version.lastModified / 1000) * 1000;
  const date = (v: string | undefined) => (v === undefined ? Number.NaN : Date.parse(v));
  const ifMatch = h('if-match');
  const ifNoneMatch = h('if-none-match');
  const condition = (name: string) => (prefix ? `x-amz-copy-source-${name}` : name);
  const titled = (name: string) =>
    prefix
      ? condition(name)
      : name.replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase());
  if (ifMatch !== undefined) {
    if (!etagMatches(ifMatch, version.etag ?? '')) throw preconditionFailed(titled('if-match'));
  } else {
    const ius = date(h('if-unmodified-since'));
    if (!Number.isNaN(ius) && lastModified > ius) throw preconditionFailed(titled('if-unmodified-since'));
  }
  if (ifNoneMatch !== undefined) {
    if (etagMatches(ifNoneMatch, version.etag ?? '')) {
      if (prefix) throw preconditionFailed(titled('if-none-match'));
      return 304;
    }
  } else {
    const ims = date(h('if-modified-since'));
    if (!Number.isNaN(ims) && ims <= now && lastModified <= ims) {
      if (prefix) throw preconditionFailed(titled('if-modified-since'));
      return 304;
    }
  }
  return undefined;
}

interface WriteConditions {
  ifMatch?: string;
  ifNoneMatch?: boolean;
}

/** PutObject / CompleteMultipartUpload / CopyObject conditions (section 3.2), validated up front. */
function writeConditions(req: IncomingMessage): WriteConditions {
  const ifMatch = headerOf(req, 'if-match');
  const ifNoneMatch = headerOf(req, 'if-none-match');
  if (ifMatch !== undefined && ifNoneMatch !== undefined) {
    throw notImplemented(
      'Multiple conditional request headers present in the request',
      'If-Match,If-None-Match',
    );
  }
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') {
    throw notImplemented(
      "A header you provided implies functionality that is not implemented. We don't accept the provided value of If-None-Match header for this API",
      'If-None-Match',
    );
  }
  if (ifMatch !== undefined && ifMatch.trim() === '*') {
    throw notImplemented(
      "A header you provided implies functionality that is not implemented. We don't accept the provided value of If-Match header for this API",
      'If-Match',
    );
  }
  return { ifMatch, ifNoneMatch: ifNoneMatch !== undefined };
}

function checkWriteConditions(
  conditions: WriteConditions,
  current: VersionRecord | undefined,
  key: string,
): void {
  const live = current && !current.deleteMarker ? current : undefined;
  if (conditions.ifNoneMatch && live) throw preconditionFailed('If-None-Match');
  if (conditions.ifMatch !== undefined) {
    if (!live) throw noSuchKey(key);
    if (!etagMatches(conditions.ifMatch, live.etag ?? '')) throw preconditionFailed('If-Match');
  }
}

/** What identifies the key's current state: its newest version (or marker), or its absence. */
function keyState(record: ObjectRecord | undefined): string {
  return record?.sequencer ?? 'never written';
}

function storedHeaders(req: IncomingMessage): StoredHeaders {
  const userMetadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith('x-amz-meta-') && value !== undefined) {
      userMetadata[name.slice('x-amz-meta-'.length)] = Array.isArray(value) ? value.join(',') : value;
    }
  }
  const h: StoredHeaders = {
    contentType: headerOf(req, 'content-type') ?? 'binary/octet-stream',
    userMetadata,
  };
  const optional = {
    contentEncoding: headerOf(req, 'content-encoding')
      ?.split(',')
      .map((s) => s.trim())
      .filter((s) => s !== 'aws-chunked' && s !== '')
      .join(','),
    contentDisposition: headerOf(req, 'content-disposition'),
    contentLanguage: headerOf(req, 'content-language'),
    cacheControl: headerOf(req, 'cache-control'),
    expires: headerOf(req, 'expires'),
    websiteRedirectLocation: headerOf(req, 'x-amz-website-redirect-location'),
    storageClass: headerOf(req, 'x-amz-storage-class'),
  };
  for (const [name, value] of Object.entries(optional)) {
    if (value !== undefined && value !== '') (h as unknown as Record<string, string>)[name] = value;
  }
  return h;
}

function pickStored(v: Partial<StoredHeaders>): StoredHeaders {
  const h: StoredHeaders = {
    contentType: v.contentType ?? 'binary/octet-stream',
    userMetadata: v.userMetadata ?? {},
  };
  for (const name of [
    'contentEncoding',
    'contentDisposition',
    'contentLanguage',
    'cacheControl',
    'expires',
    'websiteRedirectLocation',
    'storageClass',
  ] as const) {
    if (v[name] !== undefined) h[name] = v[name];
  }
  return h;
}

export async function createS3Emulator(options: S3EmulatorOptions): Promise<
  S3Emulator & {
    listen(port?: number, host?: string): Promise<{ port: number; url: string }>;
  }
> {
  validateOptions(options);
  const region = options.region ?? DEFAULT_REGION;
  const maxKeyBytes = options.maxKeyBytes ?? MAX_KEY_BYTES;
  const now = options.now ?? Date.now;
  const storage = await Storage.open(options.dataDir, options.fsync ?? true);
  let server: Server | undefined;

  const emit = (
    ctx: Ctx,
    event: Omit<S3ObjectEvent, 'eventTime' | 'region' | 'requestId' | 'sourceIpAddress'>,
  ) => {
    if (!options.onObjectEvent) return;
    const full: S3ObjectEvent = {
      ...event,
      eventTime: iso(now()),
      region,
      requestId: ctx.requestId,
      sourceIpAddress: ctx.req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
    };
    try {
      options.onObjectEvent(full);
    } catch (error) {
      if (options.onEventError) options.onEventError(error, full);
      else
        process.emitWarning(
          `S3 emulator: onObjectEvent threw for ${full.eventName} ${full.bucket}/${full.key}: ${String(error)}`,
        );
    }
  };

  async function getBucket(name: string): Promise<BucketRecord> {
    const bucket = await storage.get<BucketRecord>(bucketKey(name));
    if (!bucket) throw noSuchBucket(name);
    return bucket;
  }

  function send(
    ctx: Ctx,
    status: number,
    headers: Record<string, string | number>,
    body?: string | Buffer,
  ): void {
    ctx.res.writeHead(status, {
      'x-amz-request-id': ctx.requestId,
      'x-amz-id-2': ctx.hostId,
      ...headers,
      ...(body !== undefined ? { 'content-length': Buffer.byteLength(body) } : {}),
    });
    ctx.res.end(ctx.method === 'HEAD' ? undefined : body);
  }

  function sendXml(ctx: Ctx, root: string, children: XmlNode[], headers: Record<string, string> = {}): void {
    send(ctx, 200, { 'content-type': 'application/xml', ...headers }, renderXml(root, children, S3_XMLNS));
  }

  function sendError(ctx: Ctx, error: S3Error): void {
    const body =
      ctx.method === 'HEAD' || error.status === 304
        ? undefined
        : renderXml('Error', [
            ['Code', error.code],
            ['Message', error.message],
            ...Object.entries(error.fields)
              .filter(([, v]) => v !== undefined)
              .map(([k, v]): XmlNode => [k, String(v)]),
            ['RequestId', ctx.requestId],
            ['HostId', ctx.hostId],
          ]);
    send(
      ctx,
      error.status,
      { ...(body ? { 'content-type': 'application/xml' } : {}), ...error.headers },
      body ?? '',
    );
  }

  function checkKey(ctx: Ctx): string {
    const key = ctx.key!;
    const size = Buffer.byteLength(key, 'utf8');
    if (size > maxKeyBytes) {
      throw new S3Error('KeyTooLongError', 400, 'Your key is too long', {
        Size: size,
        MaxSizeAllowed: maxKeyBytes,
      });
    }
    return key;
  }

  /** Stores a new version under the bucket's versioning state; returns what the response and event need. */
  async function commitVersion(
    bucketName: string,
    key: string,
    version: Omit<VersionRecord, 'versionId'>,
    conditions?: WriteConditions,
    extraOps: BatchOp[] = [],
    stateAtUploadStart?: string,
    /** Emits the event inside the key's lock, so that events of one key leave in commit order. */
    announce?: (committed: { versionId: string; sequencer: string }) => void,
  ) {
    return storage.withLock(`${bucketName}\0${key}`, async () => {
      const bucket = await getBucket(bucketName);
      const dbKey = objectKey(bucketName, key);
      const record = (await storage.get<ObjectRecord>(dbKey)) ?? { versions: [] };
      const conditional = conditions && (conditions.ifMatch !== undefined || conditions.ifNoneMatch);
      // A conditional CompleteMultipartUpload whose key was written or deleted since
      // CreateMultipartUpload conflicts, even if the condition holds now (section 3.2).
      if (conditional && stateAtUploadStart !== undefined && keyState(record) !== stateAtUploadStart) {
        throw new S3Error(
          'ConditionalRequestConflict',
          409,
          'The conditional request cannot succeed due to a conflicting operation against this resource.',
          { Condition: conditions.ifMatch !== undefined ? 'If-Match' : 'If-None-Match', Key: key },
        );
      }
      if (conditions) checkWriteConditions(conditions, record.versions[0], key);
      const versionId = bucket.versioning === 'Enabled' ? newVersionId() : NULL_VERSION;
      const removed =
        bucket.versioning === 'Enabled' ? [] : record.versions.filter((v) => v.versionId === NULL_VERSION);
      const stored: VersionRecord = { ...version, versionId };
      record.versions = [stored, ...record.versions.filter((v) => !removed.includes(v))];
      const { sequencer, op } = storage.nextSequencer(now());
      await storage.batch([{ type: 'put', key: dbKey, value: { ...record, sequencer } }, op, ...extraOps]);
      announce?.({ versionId, sequencer });
      await storage.removeBlobs(removed.map((v) => v.blob));
      return { versionId, sequencer, versioning: bucket.versioning };
    });
  }

  function versionHeader(versioning: VersioningState, versionId: string): Record<string, string> {
    return versioning === 'Unversioned' ? {} : { 'x-amz-version-id': versionId };
  }

  function eventVersionId(versionId: string) {
    return versionId === NULL_VERSION ? {} : { versionId };
  }

  function validVersionId(value: string): string {
    if (value !== NULL_VERSION && !VERSION_ID.test(value)) {
      throw invalidArgument('Invalid version id specified', 'versionId', value);
    }
    return value;
  }

  /** The version a GET/HEAD/COPY names; throws S3's errors for missing keys, versions and delete markers. */
  async function resolveVersion(
    bucket: BucketRecord,
    key: string,
    versionId: string | undefined,
    method: string,
  ) {
    const record = await storage.get<ObjectRecord>(objectKey(bucket.name, key));
    if (versionId === undefined) {
      const current = record?.versions[0];
      if (!current) throw noSuchKey(key);
      if (current.deleteMarker) {
        throw noSuchKey(key, {
          'x-amz-delete-marker': 'true',
          ...versionHeader(bucket.versioning, current.versionId),
        });
      }
      return current;
    }
    const version = record?.versions.find((v) => v.versionId === versionId);
    if (!version) throw noSuchVersion(key, versionId);
    if (version.deleteMarker) {
      throw new S3Error(
        'MethodNotAllowed',
        405,
        'The specified method is not allowed against this resource.',
        { Method: method, ResourceType: 'DeleteMarker' },
        {
          'x-amz-delete-marker': 'true',
          'x-amz-version-id': version.versionId,
          'last-modified': new Date(version.lastModified).toUTCString(),
        },
      );
    }
    return version;
  }

  // ---- buckets ------------------------------------------------------------------------------

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
    if (constraint !== '' && constraint !== region && !(constraint === 'US' && region === 'us-east-1')) {
      throw new S3Error(
        'IllegalLocationConstraintException',
        400,
        `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to (${region}).`,
      );
    }
    await ensureBucket(name);
    send(ctx, 200, { location: `/${name}`, 'x-amz-bucket-arn': `arn:aws:s3:::${name}` }, '');
  }

  async function ensureBucket(
    name: string,
    opts: { versioning?: 'Enabled' | 'Suspended' } = {},
  ): Promise<void> {
    await storage.withLock(`bucket\0${name}`, async () => {
      const existing = await storage.get<BucketRecord>(bucketKey(name));
      const record: BucketRecord = existing ?? { name, created: now(), region, versioning: 'Unversioned' };
      if (opts.versioning) record.versioning = opts.versioning;
      if (!existing || opts.versioning)
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
    if (child(doc, 'MfaDelete')?.text.trim() === 'Enabled') {
      throw notImplemented('MFA Delete is not supported by this emulator', 'MfaDelete');
    }
    await ensureBucket(bucket.name, { versioning: status });
    send(ctx, 200, {}, '');
  }

  // ---- objects ------------------------------------------------------------------------------

  async function putObject(ctx: Ctx, bucket: BucketRecord): Promise<void> {
    const key = checkKey(ctx);
    const conditions = writeConditions(ctx.req);
    const headers = storedHeaders(ctx.req);
    const body = await receiveBody(storage, ctx.req, ctx.auth.chunkSigning);
    let committed: Awaited<ReturnType<typeof commitVersion>>;
    const version: Omit<VersionRecord, 'versionId'> = {
      ...headers,
      lastModified: now(),
      etag: body.md5,
      size: body.size,
      blob: body.blob,
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
      { etag: quote(body.md5), ...versionHeader(committed.versioning, committed.versionId), ...extra },
      '',
    );
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
          throw new S3Error('InvalidPartNumber', 416, 'The requested partnumber is not satisfiable', {
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
      { ...extra, ...versionHeader(committed.versioning, committed.versionId) },
    );
  }

  // ---- listings -----------------------------------------------------------------------------

  function listParams(ctx: Ctx) {
    const encodingType = ctx.query.get('encoding-type');
    if (encodingType !== undefined && encodingType !== 'url') {
      throw invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', encodingType);
    }
    const maxParam = ctx.query.get('max-keys');
    let maxKeys = DEFAULT_MAX_KEYS;
    if (maxParam !== undefined) {
      if (!/^\d+$/.test(maxParam)) {
        throw invalidArgument(
          'Provided max-keys not an integer or within integer range',
          'max-keys',
          maxParam,
        );
      }
      maxKeys = Math.min(Number(maxParam), DEFAULT_MAX_KEYS);
    }
    const encode = (value: string) => (encodingType === 'url' ? urlEncodeKey(value) : value);
    const delimiter = ctx.query.get('delimiter') ?? '';
    return { encodingType, maxKeys, encode, prefix: ctx.query.get('prefix') ?? '', delimiter };
  }

  function contents(entries: ListEntry[], encode: (v: string) => string, withOwner: boolean): XmlNode[] {
    return entries.map((e): XmlNode => {
      if (e.kind === 'prefix') return ['CommonPrefixes', [['Prefix', encode(e.prefix)]]];
      const v = e.version;
      return [
        'Contents',
        [
          ['Key', encode(e.key)],
          ['LastModified', iso(v.lastModified)],
          ['ETag', quote(v.etag ?? '')],
          v.checksum ? ['ChecksumAlgorithm', v.checksum.algorithm.toUpperCase()] : undefined,
          v.checksum ? ['ChecksumType', 'FULL_OBJECT'] : undefined,
          ['Size', v.size ?? 0],
          withOwner ? ['Owner', owner()] : undefined,
          ['StorageClass', v.storageClass ?? 'STANDARD'],
        ],
      ];
    });
  }

  const TOKEN_TAG = 'el1:';
  const makeToken = (after: string) => Buffer.from(TOKEN_TAG + after, 'utf8').toString('base64url');
  function readToken(token: string): string {
    const decoded = Buffer.from(token, 'base64url').toString('utf8');
    if (
      token === '' ||
      !decoded.startsWith(TOKEN_TAG) ||
      makeToken(decoded.slice(TOKEN_TAG.length)) !== token
    ) {
      throw invalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
    }
    return decoded.slice(TOKEN_TAG.length);
  }

  const lastName = (entries: ListEntry[]) => {
    const last = entries[entries.length - 1];
    return last ? (last.kind === 'prefix' ? last.prefix : last.key) : undefined;
  };

  async function listObjectsV2(ctx: Ctx, bucket: BucketRecord): Promise<void> {
    const p = listParams(ctx);
    const token = ctx.query.get('continuation-token');
    const startAfter = ctx.query.get('start-after');
    const after = token !== undefined ? readToken(token) : startAfter || undefined;
    const { entries, truncated } = await listBucket(storage, bucket.name, {
      prefix: p.prefix,
      delimiter: p.delimiter,
      after,
      maxKeys: p.maxKeys,
    });
    const last = lastName(entries);
    sendXml(ctx, 'ListBucketResult', [
      ['Name', bucket.name],
      ['Prefix', p.encode(p.prefix)],
      token !== undefined ? ['ContinuationToken', token] : undefined,
      token === undefined && startAfter !== undefined ? ['StartAfter', p.encode(startAfter)] : undefined,
      ['KeyCount', entries.length],
      ['MaxKeys', p.maxKeys],
      p.delimiter !== '' ? ['Delimiter', p.encode(p.delimiter)] : undefined,
      p.encodingType ? ['EncodingType', 'url'] : undefined,
      ['IsTruncated', truncated],
      truncated && last !== undefined ? ['NextContinuationToken', makeToken(last)] : undefined,
      ...contents(entries, p.encode, ctx.query.get('fetch-owner') === 'true'),
    ]);
  }

  async function listObjectsV1(ctx: Ctx, bucket: BucketRecord): Promise<void> {
    const p = listParams(ctx);
    const marker = ctx.query.get('marker') ?? '';
    const { entries, truncated } = await listBucket(storage, bucket.name, {
      prefix: p.prefix,
      delimiter: p.delimiter,
      after: marker || undefined,
      maxKeys: p.maxKeys,
    });
    const last = lastName(entries);
    sendXml(ctx, 'ListBucketResult', [
      ['Name', bucket.name],
      ['Prefix', p.encode(p.prefix)],
      ['Marker', p.encode(marker)],
      ['MaxKeys', p.maxKeys],
      p.delimiter !== '' ? ['Delimiter', p.encode(p.delimiter)] : undefined,
      p.encodingType ? ['EncodingType', 'url'] : undefined,
      ['IsTruncated', truncated],
      truncated && p.delimiter !== '' && last !== undefined ? ['NextMarker', p.encode(last)] : undefined,
      ...contents(entries, p.encode, true),
    ]);
  }

  async function listObjectVersions(ctx: Ctx, bucket: BucketRecord): Promise<void> {
    const p = listParams(ctx);
    const keyMarker = ctx.query.get('key-marker') ?? '';
    const versionIdMarker = ctx.query.get('version-id-marker') ?? '';
    if (versionIdMarker !== '' && keyMarker === '') {
      throw invalidArgument(
        'A version-id marker cannot be specified without a key marker.',
        'version-id-marker',
        versionIdMarker,
      );
    }
    const { entries, truncated } = await listBucket(storage, bucket.name, {
      prefix: p.prefix,
      delimiter: p.delimiter,
      after: keyMarker || undefined,
      afterVersionId: versionIdMarker || undefined,
      maxKeys: p.maxKeys,
      versions: true,
    });
    const last = entries[entries.length - 1];
    const items = entries.map((e): XmlNode => {
      if (e.kind === 'prefix') return ['CommonPrefixes', [['Prefix', p.encode(e.prefix)]]];
      const v = e.version;
      const common: XmlNode[] = [
        ['Key', p.encode(e.key)],
        ['VersionId', v.versionId],
        ['IsLatest', e.isLatest],
        ['LastModified', iso(v.lastModified)],
      ];
      if (v.deleteMarker) return ['DeleteMarker', [...common, ['Owner', owner()]]];
      return [
        'Version',
        [
          ...common,
          ['ETag', quote(v.etag ?? '')],
          ['Size', v.size ?? 0],
          ['StorageClass', v.storageClass ?? 'STANDARD'],
          ['Owner', owner()],
        ],
      ];
    });
    sendXml(ctx, 'ListVersionsResult', [
      ['Name', bucket.name],
      ['Prefix', p.encode(p.prefix)],
      ['KeyMarker', p.encode(keyMarker)],
      ['VersionIdMarker', versionIdMarker],
      ['MaxKeys', p.maxKeys],
      p.delimiter !== '' ? ['Delimiter', p.encode(p.delimiter)] : undefined,
      p.encodingType ? ['EncodingType', 'url'] : undefined,
      ['IsTruncated', truncated],
      truncated && last
        ? ['NextKeyMarker', p.encode(last.kind === 'prefix' ? last.prefix : last.key)]
        : undefined,
      truncated && last?.kind === 'object' ? ['NextVersionIdMarker', last.version.versionId] : undefined,
      ...items,
    ]);
  }

  // ---- multipart ----------------------------------------------------------------------------

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
    const upload: UploadRecord = {
      ...storedHeaders(ctx.req),
      uploadId,
      bucket: bucket.name,
      key,
      initiated: now(),
      keyState: keyState(await storage.get<ObjectRecord>(objectKey(bucket.name, key))),
    };
    const algorithm = headerOf(ctx.req, 'x-amz-checksum-algorithm');
    if (algorithm) upload.checksumAlgorithm = algorithm.toUpperCase();
    await storage.batch([{ type: 'put', key: uploadKey(uploadId), value: upload }]);
    sendXml(ctx, 'InitiateMultipartUploadResult', [
      ['Bucket', bucket.name],
      ['Key', key],
      ['UploadId', uploadId],
    ]);
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
        if (!m || Number(m[2]) < Number(m[1]) || Number(m[2]) >= total) {
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
        copyInfo,
      );
    } else {
      send(ctx, 200, { etag: quote(etag) }, '');
    }
  }

  async function completeUpload(ctx: Ctx, bucket: BucketRecord): Promise<void> {
    const key = checkKey(ctx);
    const conditions = writeConditions(ctx.req);
    const upload = await getUpload(ctx, bucket, key);
    const text = await readSmallBody(ctx.req);
    if (text.trim() === '') throw malformedXml('the request has no CompleteMultipartUpload document');
    const doc = parseXml(text);
    if (doc.name !== 'CompleteMultipartUpload') throw malformedXml('expected <CompleteMultipartUpload>');
    const requested = childrenNamed(doc, 'Part').map((p) => ({
      partNumber: Number(child(p, 'PartNumber')?.text.trim()),
      etag: unquote(child(p, 'ETag')?.text ?? ''),
    }));
    if (requested.length === 0) throw invalidRequest('You must specify at least one part');
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
        versionHeader(committed.versioning, committed.versionId),
      );
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

  // ---- dispatch -----------------------------------------------------------------------------

  function parseTarget(req: IncomingMessage): Omit<Ctx, 'res' | 'auth'> {
    let target = req.url ?? '/';
    const absolute = /^https?:\/\/[^/]*/i.exec(target);
    if (absolute) target = target.slice(absolute[0].length) || '/';
    const q = target.indexOf('?');
    const rawPath = q < 0 ? target : target.slice(0, q);
    const search = q < 0 ? '' : target.slice(q + 1);
    const rawQuery: Array<[string, string]> = search
      .split('&')
      .filter((p) => p !== '')
      .map((p) => {
        const eq = p.indexOf('=');
        return eq < 0 ? [p, ''] : [p.slice(0, eq), p.slice(eq + 1)];
      });
    const query = new Map<string, string>();
    for (const [n, v] of rawQuery) {
      const name = percentDecode(n);
      if (!query.has(name)) query.set(name, percentDecode(v));
    }
    const hostname = (headerOf(req, 'host') ?? '').replace(/:\d+$/, '').toLowerCase();
    let hostBucket: string | undefined;
    const vhost = /^(.+?)(?:\.s3)?\.localhost$/.exec(hostname);
    if (vhost && vhost[1] !== 's3') hostBucket = vhost[1];
    const ctx: Omit<Ctx, 'res' | 'auth'> = {
      req,
      method: req.method ?? 'GET',
      rawPath,
      rawQuery,
      query,
      requestId: randomBytes(8).toString('hex').toUpperCase(),
      hostId: randomBytes(24).toString('base64'),
    };
    if (hostBucket !== undefined) {
      ctx.hostBucket = hostBucket;
      ctx.bucket = hostBucket;
      const key = percentDecode(rawPath.slice(1));
      if (key !== '') ctx.key = key;
    } else {
      const path = rawPath.slice(1);
      const slash = path.indexOf('/');
      const bucket = percentDecode(slash < 0 ? path : path.slice(0, slash));
      if (bucket !== '') ctx.bucket = bucket;
      const key = slash < 0 ? '' : percentDecode(path.slice(slash + 1));
      if (key !== '') ctx.key = key;
    }
    return ctx;
  }

  async function route(ctx: Ctx): Promise<void> {
    const { method, query } = ctx;
    const unsupported = UNSUPPORTED_SUBRESOURCES.find((name) => query.has(name));
    if (unsupported) {
      throw notImplemented(`This emulator does not implement the ?${unsupported} sub-resource`, unsupported);
    }
    if (ctx.bucket === undefined) {
      if (method === 'GET') return listBuckets(ctx);
      throw new S3Error(
        'MethodNotAllowed',
        405,
        'The specified method is not allowed against this resource.',
        {
          Method: method,
          ResourceType: 'SERVICE',
        },
      );
    }
    if (ctx.key === undefined) {
      if (method === 'PUT' && !query.has('versioning') && !query.has('notification')) {
        return createBucket(ctx, ctx.bucket);
      }
      const bucket = await getBucket(ctx.bucket);
      switch (method) {
        case 'HEAD':
          return send(ctx, 200, { 'x-amz-bucket-region': bucket.region });
        case 'DELETE':
          return deleteBucket(ctx, bucket);
        case 'POST':
          if (query.has('delete')) return deleteObjects(ctx, bucket);
          break;
        case 'PUT':
          if (query.has('versioning')) return putVersioning(ctx, bucket);
          if (query.has('notification')) {
            const text = await readSmallBody(ctx.req);
            if (text.trim() !== '') parseXml(text);
            await storage.withLock(`bucket\0${bucket.name}`, async () => {
              const current = await getBucket(bucket.name);
              await storage.batch([
                { type: 'put', key: bucketKey(bucket.name), value: { ...current, notification: text } },
              ]);
            });
            return send(ctx, 200, {}, '');
          }
          break;
        case 'GET':
          if (query.has('location')) {
            // us-east-1 answers an empty LocationConstraint (S3 API GetBucketLocation).
            const location = bucket.region === 'us-east-1' ? '' : bucket.region;
            return send(
              ctx,
              200,
              { 'content-type': 'application/xml' },
              `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="${S3_XMLNS}">${location}</LocationConstraint>`,
            );
          }
          if (query.has('versioning')) {
            return sendXml(
              ctx,
              'VersioningConfiguration',
              bucket.versioning === 'Unversioned' ? [] : [['Status', bucket.versioning]],
            );
          }
          if (query.has('notification')) {
            const body = bucket.notification?.trim()
              ? bucket.notification
              : renderXml('NotificationConfiguration', [], S3_XMLNS);
            return send(ctx, 200, { 'content-type': 'application/xml' }, body);
          }
          if (query.has('versions')) return listObjectVersions(ctx, bucket);
          if (query.has('uploads')) return listUploads(ctx, bucket);
          if (query.get('list-type') === '2') return listObjectsV2(ctx, bucket);
          return listObjectsV1(ctx, bucket);
      }
      throw new S3Error(
        'MethodNotAllowed',
        405,
        'The specified method is not allowed against this resource.',
        {
          Method: method,
          ResourceType: 'BUCKET',
        },
      );
    }
    const bucket = await getBucket(ctx.bucket);
    switch (method) {
      case 'PUT':
        if (query.has('uploadId')) return uploadPart(ctx, bucket);
        if (headerOf(ctx.req, 'x-amz-copy-source') !== undefined) return copyObject(ctx, bucket);
        return putObject(ctx, bucket);
      case 'GET':
        if (query.has('uploadId')) return listParts(ctx, bucket);
        return getObject(ctx, bucket);
      case 'HEAD':
        return getObject(ctx, bucket);
      case 'DELETE':
        if (query.has('uploadId')) return abortUpload(ctx, bucket);
        return deleteObject(ctx, bucket);
      case 'POST':
        if (query.has('uploads')) return createUpload(ctx, bucket);
        if (query.has('uploadId')) return completeUpload(ctx, bucket);
        throw notImplemented('This emulator does not implement POST Object (browser form uploads)');
    }
    throw new S3Error('MethodNotAllowed', 405, 'The specified method is not allowed against this resource.', {
      Method: method,
      ResourceType: 'OBJECT',
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let ctx: Ctx = {
      req,
      res,
      method: req.method ?? 'GET',
      rawPath: '/',
      rawQuery: [],
      query: new Map(),
      requestId: randomBytes(8).toString('hex').toUpperCase(),
      hostId: randomBytes(24).toString('base64'),
      auth: {},
    };
    try {
      ctx = { ...parseTarget(req), res, auth: {} };
      if (options.credentials) {
        ctx.auth = authenticate(
          {
            method: ctx.method,
            headers: req.headers,
            rawPath: ctx.rawPath,
            rawQuery: ctx.rawQuery,
            ...(ctx.hostBucket !== undefined ? { hostBucket: ctx.hostBucket } : {}),
          },
          options.credentials,
          now(),
        );
      }
      await route(ctx);
    } catch (error) {
      if (res.headersSent) {
        res.destroy(error as Error);
        return;
      }
      const s3Error =
        error instanceof S3Error
          ? error
          : new S3Error(
              'InternalError',
              500,
              `We encountered an internal error: ${(error as Error).message}`,
              {},
              {},
              {
                cause: error,
              },
            );
      // Anything of the request body not read yet is drained, so the connection stays usable.
      if (!req.readableEnded) req.resume();
      sendError(ctx, s3Error);
    }
  }

  return {
    handle,
    ensureBucket,
    async listen(port = 0, host = '127.0.0.1') {
      if (server) throw new S3EmulatorConfigError('S3 emulator: listen() was already called');
      const created = createServer((req, res) => {
        void handle(req, res);
      });
      server = created;
      await new Promise<void>((resolve, reject) => {
        created.once('error', reject);
        created.listen(port, host, () => {
          created.off('error', reject);
          resolve();
        });
      });
      const bound = (created.address() as AddressInfo).port;
      return { port: bound, url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}` };
    },
    async close() {
      if (server) {
        const s = server;
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        });
        server = undefined;
      }
      await storage.close();
    },
  };
}

/** A pass-through stream that hashes what flows through it. */
function md5Transform(): { stream: Transform; hex(): string } {
  const hash = createHash('md5');
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  return { stream, hex: () => hash.digest('hex') };
}
