/**
 * POST Object: browser-based uploads with an HTML form (presigned POST). The multipart/form-data
 * body is parsed as a stream by busboy, so a file of any size goes straight to storage. The policy
 * document is decoded and every condition S3 checks is checked (expiration, exact matches,
 * `eq`, `starts-with`, `content-length-range`, and that every form field is covered by a
 * condition); the signature is SigV4 (`x-amz-signature` over the policy) or SigV2 (`signature`).
 * `${filename}` in the key is the file's name. The answer follows `success_action_redirect`
 * (303) or `success_action_status` (200, 201 with a PostResponse document, 204 by default), and
 * the upload emits `ObjectCreated:Post`. (AWS user guide "Browser-based uploads using POST",
 * API reference "POST Object", "Creating a POST policy".)
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Transform } from 'node:stream';
import busboy from 'busboy';
import { signingKey } from './auth.ts';
import {
  aclsNotSupported,
  defaultRetentionOf,
  encryptionHeaders,
  ownershipOf,
  publicAccessBlockOf,
} from './bucket-config.ts';
import { allowedWhenEnforced, cannedAcl, isPublic, parseTagSet } from './config-docs.ts';
import type { S3Core } from './core.ts';
import { accessDenied, invalidArgument, S3Error } from './errors.ts';
import { type Ctx, headerOf, md5Transform, quote } from './http-helpers.ts';
import { urlEncodeKey } from './listing.ts';
import type { BucketRecord, VersionRecord } from './storage.ts';
import type { S3EmulatorOptions } from './types.ts';
import { parseXml, renderXml } from './xml.ts';

/** Fields S3 does not require a policy condition for. */
const EXEMPT = new Set(['x-amz-signature', 'signature', 'awsaccesskeyid', 'file', 'policy', 'bucket']);

const policyFailed = (detail: string) => accessDenied(`Invalid according to Policy: ${detail}`);

interface Policy {
  expiration?: string;
  conditions?: unknown[];
}

function decodePolicy(encoded: string): Policy {
  try {
    const policy = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as Policy;
    if (typeof policy !== 'object' || policy === null) throw new Error('not an object');
    return policy;
  } catch {
    throw invalidArgument('Invalid Policy: Invalid JSON.', 'policy', encoded);
  }
}

/** The conditions as [operator, field (lower case, no $), value]; content-length-range apart. */
function readConditions(policy: Policy) {
  const checks: Array<{ op: 'eq' | 'starts-with'; field: string; value: string; text: string }> = [];
  let range: { min: number; max: number } | undefined;
  for (const condition of policy.conditions ?? []) {
    const text = JSON.stringify(condition);
    if (Array.isArray(condition)) {
      const [op, field, value] = condition as [unknown, unknown, unknown];
      const name = String(op).toLowerCase();
      if (name === 'content-length-range') {
        range = { min: Number(field), max: Number(value) };
        continue;
      }
      if ((name !== 'eq' && name !== 'starts-with') || typeof field !== 'string' || !field.startsWith('$'))
        throw invalidArgument(`Invalid Policy: Invalid Condition: ${text}`, 'policy');
      checks.push({ op: name, field: field.slice(1).toLowerCase(), value: String(value), text });
    } else if (typeof condition === 'object' && condition !== null) {
      for (const [field, value] of Object.entries(condition)) {
        checks.push({
          op: 'eq',
          field: field.toLowerCase(),
          value: String(value),
          text: JSON.stringify({ [field]: value }),
        });
      }
    } else throw invalidArgument(`Invalid Policy: Invalid Condition: ${text}`, 'policy');
  }
  return { checks, range };
}

export function postObjectActions(core: S3Core, options: S3EmulatorOptions) {
  const { now, storage, emit, send, commitVersion, versionHeader, eventVersionId, maxKeyBytes } = core;

  /** Checks the form's signature and policy; returns the content-length range to enforce. */
  function authorize(fields: Map<string, string>, bucket: BucketRecord, key: string) {
    const encoded = fields.get('policy');
    const credential = fields.get('x-amz-credential');
    const signed = fields.get('x-amz-signature') ?? fields.get('signature');
    if (options.credentials) {
      if (!encoded || !signed) throw accessDenied('Access Denied');
      let secret: string | undefined;
      let expected: string;
      if (fields.has('x-amz-signature')) {
        if (fields.get('x-amz-algorithm') !== 'AWS4-HMAC-SHA256')
          throw invalidArgument(
            'Only AWS4-HMAC-SHA256 is supported',
            'x-amz-algorithm',
            fields.get('x-amz-algorithm'),
          );
        const [accessKeyId = '', date = '', region = '', service = ''] = (credential ?? '').split('/');
        secret = options.credentials(accessKeyId);
        if (secret === undefined)
          throw new S3Error(
            'InvalidAccessKeyId',
            403,
            'The AWS Access Key Id you provided does not exist in our records.',
            {
              AWSAccessKeyId: accessKeyId,
            },
          );
        expected = createHmac('sha256', signingKey(secret, date, region, service))
          .update(encoded)
          .digest('hex');
      } else {
        const accessKeyId = fields.get('awsaccesskeyid') ?? '';
        secret = options.credentials(accessKeyId);
        if (secret === undefined)
          throw new S3Error(
            'InvalidAccessKeyId',
            403,
            'The AWS Access Key Id you provided does not exist in our records.',
            {
              AWSAccessKeyId: accessKeyId,
            },
          );
        expected = createHmac('sha1', secret).update(encoded).digest('base64');
      }
      const a = Buffer.from(expected);
      const b = Buffer.from(signed);
      if (a.length !== b.length || !timingSafeEqual(a, b))
        throw new S3Error(
          'SignatureDoesNotMatch',
          403,
          'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
          { StringToSign: encoded, SignatureProvided: signed },
        );
    }
    if (!encoded) return undefined;
    const policy = decodePolicy(encoded);
    if (!policy.expiration || Number.isNaN(Date.parse(policy.expiration)))
      throw invalidArgument('Invalid Policy: Policy missing expiration.', 'policy');
    if (Date.parse(policy.expiration) <= now()) throw policyFailed('Policy expired.');
    const { checks, range } = readConditions(policy);
    const values = new Map(fields);
    values.set('bucket', bucket.name);
    values.set('key', key);
    for (const c of checks) {
      const actual = values.get(c.field) ?? '';
      const holds = c.op === 'eq' ? actual === c.value : actual.startsWith(c.value);
      if (!holds) throw policyFailed(`Policy Condition failed: ${c.text}`);
    }
    const covered = new Set(checks.map((c) => c.field));
    for (const name of fields.keys()) {
      if (EXEMPT.has(name) || name.startsWith('x-ignore-') || covered.has(name)) continue;
      throw policyFailed(`Extra input fields: ${name}`);
    }
    return range;
  }

  /** The ACL, tags and headers the form's fields give the object, checked as a PUT's would be. */
  function settingsOf(
    fields: Map<string, string>,
    bucket: BucketRecord,
  ): Omit<VersionRecord, 'versionId' | 'lastModified'> {
    const out: Omit<VersionRecord, 'versionId' | 'lastModified'> = {
      contentType: fields.get('content-type') ?? 'binary/octet-stream',
      userMetadata: {},
    };
    for (const [name, value] of fields) {
      if (name.startsWith('x-amz-meta-')) out.userMetadata![name.slice('x-amz-meta-'.length)] = value;
    }
    const copy: Array<[string, keyof VersionRecord]> = [
      ['cache-control', 'cacheControl'],
      ['content-disposition', 'contentDisposition'],
      ['content-encoding', 'contentEncoding'],
      ['content-language', 'contentLanguage'],
      ['expires', 'expires'],
      ['x-amz-storage-class', 'storageClass'],
      ['x-amz-website-redirect-location', 'websiteRedirectLocation'],
    ];
    for (const [field, prop] of copy) {
      const value = fields.get(field);
      if (value !== undefined) (out as Record<string, unknown>)[prop] = value;
    }
    const acl = fields.get('acl');
    if (acl !== undefined) {
      const grants = cannedAcl(acl);
      if (ownershipOf(bucket) === 'BucketOwnerEnforced' && !allowedWhenEnforced(grants))
        throw aclsNotSupported();
      if (isPublic(grants) && publicAccessBlockOf(bucket).BlockPublicAcls)
        throw accessDenied('Access Denied');
      out.acl = grants;
    }
    const tagging = fields.get('tagging');
    if (tagging !== undefined) out.tags = parseTagSet(parseXml(tagging), 10, true);
    const retention = defaultRetentionOf(bucket)(now());
    if (retention) out.retention = retention;
    return out;
  }

  /** Serves a POST Object (multipart/form-data) request to `bucket`. */
  async function postObject(ctx: Ctx, bucket: BucketRecord): Promise<void> {
    const fields = new Map<string, string>();
    let parser: ReturnType<typeof busboy>;
    try {
      parser = busboy({ headers: ctx.req.headers, preservePath: true, limits: { fieldSize: 1024 * 1024 } });
    } catch (error) {
      throw new S3Error(
        'MalformedPOSTRequest',
        400,
        'The body of your POST request is not well-formed multipart/form-data.',
        {},
        {},
        { cause: error },
      );
    }
    let done: Promise<
      | {
          blob: string;
          size: number;
          md5: string;
          ops: Awaited<ReturnType<typeof storage.writeBlob>>['ops'];
          key: string;
          range?: { min: number; max: number };
        }
      | undefined
    >;
    let fileSeen = false;
    const finished = new Promise<void>((resolve, reject) => {
      parser.on('field', (name, value) => {
        // Fields after the file are ignored (S3 reads the file last).
        if (!fileSeen) fields.set(name.toLowerCase(), value);
      });
      parser.on('file', (name, stream, info) => {
        if (fileSeen || name.toLowerCase() !== 'file') {
          stream.resume();
          return;
        }
        fileSeen = true;
        done = (async () => {
          const rawKey = fields.get('key');
          if (rawKey === undefined) {
            stream.resume();
            throw invalidArgument(
              "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
              'key',
            );
          }
          const key = rawKey.replace(/\$\{filename\}/g, info.filename ?? '');
          if (Buffer.byteLength(key) > maxKeyBytes)
            throw new S3Error('KeyTooLongError', 400, 'Your key is too long');
          const range = authorize(fields, bucket, key);
          // Past the range's maximum the rest is read and dropped (the form must be read to its end).
          let size = 0;
          const limit = new Transform({
            transform(chunk: Buffer, _encoding, next) {
              size += chunk.length;
              if (range && size > range.max) next();
              else next(null, chunk);
            },
          });
          const md5 = md5Transform();
          const written = await storage.writeBlob(stream, [limit, md5.stream]);
          if (range && size > range.max) {
            await storage.removeBlobs([written.blob]);
            throw new S3Error(
              'EntityTooLarge',
              400,
              'Your proposed upload exceeds the maximum allowed size',
              {
                ProposedSize: size,
                MaxSizeAllowed: range.max,
              },
            );
          }
          return { ...written, md5: md5.hex(), key, ...(range ? { range } : {}) };
        })();
        done.catch(() => stream.resume());
      });
      parser.on('error', reject);
      parser.on('close', resolve);
    });
    ctx.req.pipe(parser);
    try {
      await finished;
    } catch (error) {
      throw new S3Error(
        'MalformedPOSTRequest',
        400,
        'The body of your POST request is not well-formed multipart/form-data.',
        {},
        {},
        { cause: error },
      );
    }
    if (!fileSeen) {
      throw invalidArgument('POST requires exactly one file upload per request.', 'file', '0');
    }
    const body = (await done!)!;
    try {
      if (body.range && body.size < body.range.min) {
        throw new S3Error(
          'EntityTooSmall',
          400,
          'Your proposed upload is smaller than the minimum allowed size',
          {
            ProposedSize: body.size,
            MinSizeAllowed: body.range.min,
          },
        );
      }
      const version: Omit<VersionRecord, 'versionId'> = {
        ...settingsOf(fields, bucket),
        lastModified: now(),
        etag: body.md5,
        size: body.size,
        blob: body.blob,
      };
      const committed = await commitVersion(
        bucket.name,
        body.key,
        version,
        undefined,
        body.ops,
        undefined,
        (c) =>
          emit(ctx, {
            eventName: 'ObjectCreated:Post',
            bucket: bucket.name,
            key: body.key,
            size: body.size,
            eTag: body.md5,
            ...eventVersionId(c.versionId),
            sequencer: c.sequencer,
          }),
      );
      const host = headerOf(ctx.req, 'host') ?? '127.0.0.1';
      const location = `http://${host}/${bucket.name}/${urlEncodeKey(body.key)}`;
      const headers = {
        etag: quote(body.md5),
        location,
        ...versionHeader(committed.versioning, committed.versionId),
        ...encryptionHeaders(bucket),
      };
      const redirect = fields.get('success_action_redirect') ?? fields.get('redirect');
      if (redirect) {
        const target = new URL(redirect);
        target.searchParams.set('bucket', bucket.name);
        target.searchParams.set('key', body.key);
        target.searchParams.set('etag', quote(body.md5));
        send(ctx, 303, { ...headers, location: target.toString() }, '');
        return;
      }
      const status = fields.get('success_action_status');
      if (status === '201') {
        send(
          ctx,
          201,
          { ...headers, 'content-type': 'application/xml' },
          renderXml('PostResponse', [
            ['Location', location],
            ['Bucket', bucket.name],
            ['Key', body.key],
            ['ETag', quote(body.md5)],
          ]),
        );
        return;
      }
      send(ctx, status === '200' ? 200 : 204, headers, status === '200' ? '' : undefined);
    } catch (error) {
      await storage.removeBlobs([body.blob]);
      throw error;
    }
  }

  return { postObject };
}

/** A POST to a bucket with a form body is POST Object (it carries its own signature, in the form). */
export const isPostObject = (ctx: Pick<Ctx, 'method' | 'req' | 'query'>) =>
  ctx.method === 'POST' &&
  !ctx.query.has('delete') &&
  !ctx.query.has('uploads') &&
  !ctx.query.has('uploadId') &&
  /^multipart\/form-data/i.test(headerOf(ctx.req, 'content-type') ?? '');
