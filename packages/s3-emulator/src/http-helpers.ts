import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform } from 'node:stream';
import type { AuthOutcome } from './auth.ts';
import { MAX_KEY_BYTES, OWNER_ID, OWNER_NAME } from './constants.ts';
import {
  malformedXml,
  noSuchKey,
  notImplemented,
  preconditionFailed,
  S3EmulatorConfigError,
} from './errors.ts';
import type { ObjectRecord, StoredHeaders, VersionRecord } from './storage.ts';
import type { S3EmulatorOptions } from './types.ts';
import type { XmlNode } from './xml.ts';

/**
 * What the S3 emulator's handlers share that needs no state: the request context, the options
 * check, range and preconditions, the stored headers of an object.
 */

export interface Ctx {
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

export const OPTION_NAMES = new Set([
  'dataDir',
  'region',
  'credentials',
  'onObjectEvent',
  'onEventError',
  'maxKeyBytes',
  'fsync',
  'now',
  'lifecycle',
  'accountId',
  'secureTransport',
]);
export const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
export const VERSION_ID = /^[A-Za-z0-9._]{32}$/;
export const MAX_XML_BODY = 2 * 1024 * 1024;

export const owner = (): XmlNode[] => [
  ['ID', OWNER_ID],
  ['DisplayName', OWNER_NAME],
];
export const iso = (ms: number) => new Date(ms).toISOString();
export const quote = (etag: string) => `"${etag}"`;
export const unquote = (etag: string) => etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');

export function newVersionId(): string {
  return randomBytes(24).toString('base64').replace(/\+/g, '.').replace(/\//g, '_');
}

export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

export function validateOptions(options: S3EmulatorOptions): void {
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
  const lifecycle = options.lifecycle;
  for (const name of ['intervalMs', 'dayMs'] as const) {
    const value = lifecycle?.[name];
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      throw new S3EmulatorConfigError(
        `createS3Emulator: option lifecycle.${name} must be a positive number of milliseconds`,
      );
    }
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

export async function readSmallBody(req: IncomingMessage): Promise<string> {
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

export function etagMatches(list: string, etag: string): boolean {
  return list.split(',').some((t) => {
    const tag = unquote(t);
    return tag === '*' || tag === etag;
  });
}

/** GET/HEAD preconditions in the order AWS evaluates them (section 3.1); returns 304 or throws 412. */
export function readPreconditions(
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

export interface WriteConditions {
  ifMatch?: string;
  ifNoneMatch?: boolean;
}

/** PutObject / CompleteMultipartUpload / CopyObject conditions (section 3.2), validated up front. */
export function writeConditions(req: IncomingMessage): WriteConditions {
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

export function checkWriteConditions(
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
export function keyState(record: ObjectRecord | undefined): string {
  return record?.sequencer ?? 'never written';
}

/**
 * Content-Encoding as sent (`deflate, gzip` keeps its spacing), without the `aws-chunked` coding
 * that only describes the request's transfer.
 */
export function storedContentEncoding(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const codings = value.split(',');
  if (!codings.some((c) => c.trim() === 'aws-chunked')) return value.trim();
  return codings
    .filter((c) => c.trim() !== 'aws-chunked' && c.trim() !== '')
    .map((c) => c.trim())
    .join(',');
}

export function storedHeaders(req: IncomingMessage): StoredHeaders {
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
    contentEncoding: storedContentEncoding(headerOf(req, 'content-encoding')),
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

export function pickStored(v: Partial<StoredHeaders>): StoredHeaders {
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

/** A pass-through stream that hashes what flows through it. */
export function md5Transform(): { stream: Transform; hex(): string } {
  const hash = createHash('md5');
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  return { stream, hex: () => hash.digest('hex') };
}
