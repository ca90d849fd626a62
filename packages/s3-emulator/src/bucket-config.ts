/**
 * The bucket configuration APIs (Get/Put/Delete of ?publicAccessBlock, ?encryption, ?lifecycle,
 * ?policy, ?ownershipControls, ?cors, ?tagging, ?object-lock, ?acl): stored durably in the bucket's
 * record, answered with S3's documents and errors, and the lookups the other handlers act on
 * (default encryption, ownership, public access block).
 */

import {
  aclDoc,
  allowedWhenEnforced,
  BUCKET_CONFIG_NAMES,
  type BucketConfigName,
  cannedAcl,
  DEFAULT_CONFIG,
  type Grant,
  isPublic,
  notFound,
  parseAccessControlPolicy,
  parseBucketConfig,
  parseGrantHeaders,
  xmlDoc,
} from './config-docs.ts';
import type { S3Core } from './core.ts';
import { accessDenied, S3Error } from './errors.ts';
import { type Ctx, headerOf, readSmallBody } from './http-helpers.ts';
import { type BucketRecord, bucketKey } from './storage.ts';
import { parseXml } from './xml.ts';

export const aclsNotSupported = () =>
  new S3Error('AccessControlListNotSupported', 400, 'The bucket does not allow ACLs');

/** The configuration document a bucket has for `name` (its own, or S3's default), or undefined. */
export function configOf(bucket: BucketRecord, name: BucketConfigName): string | undefined {
  const own = bucket.config?.[name];
  if (own === null) return undefined;
  return own ?? DEFAULT_CONFIG[name];
}

/** The bucket's Object Ownership setting; undefined once its ownership controls are deleted (ACLs enabled). */
export function ownershipOf(bucket: BucketRecord): string | undefined {
  const doc = configOf(bucket, 'ownershipControls');
  return doc ? /<ObjectOwnership>([^<]*)</.exec(doc)?.[1] : undefined;
}

export function publicAccessBlockOf(bucket: BucketRecord): Record<string, boolean> {
  const doc = configOf(bucket, 'publicAccessBlock') ?? '';
  const flag = (name: string) => new RegExp(`<${name}>true</${name}>`).test(doc);
  return {
    BlockPublicAcls: flag('BlockPublicAcls'),
    IgnorePublicAcls: flag('IgnorePublicAcls'),
    BlockPublicPolicy: flag('BlockPublicPolicy'),
    RestrictPublicBuckets: flag('RestrictPublicBuckets'),
  };
}

/** Headers of default encryption that S3 sends on every object write and read. */
export function encryptionHeaders(bucket: BucketRecord): Record<string, string> {
  const doc = configOf(bucket, 'encryption') ?? '';
  const algorithm = /<SSEAlgorithm>([^<]*)</.exec(doc)?.[1] ?? 'AES256';
  const headers: Record<string, string> = { 'x-amz-server-side-encryption': algorithm };
  const key = /<KMSMasterKeyID>([^<]*)</.exec(doc)?.[1];
  if (algorithm !== 'AES256' && key) headers['x-amz-server-side-encryption-aws-kms-key-id'] = key;
  if (/<BucketKeyEnabled>true</.test(doc))
    headers['x-amz-server-side-encryption-bucket-key-enabled'] = 'true';
  return headers;
}

/** The retention a new object gets from the bucket's default (ObjectLockConfiguration Rule). */
export function defaultRetentionOf(bucket: BucketRecord) {
  return (now: number): { mode: string; until: string } | undefined => {
    if (!bucket.objectLock) return undefined;
    const doc = configOf(bucket, 'object-lock') ?? '';
    const mode = /<Mode>([^<]*)</.exec(doc)?.[1];
    const days = /<Days>(\d+)</.exec(doc)?.[1];
    const years = /<Years>(\d+)</.exec(doc)?.[1];
    if (!mode || (!days && !years)) return undefined;
    const until = new Date(now);
    if (days) until.setUTCDate(until.getUTCDate() + Number(days));
    else until.setUTCFullYear(until.getUTCFullYear() + Number(years));
    return { mode, until: until.toISOString() };
  };
}

/**
 * The ACL a request asks for (`x-amz-acl`, `x-amz-grant-*`), checked against the bucket's Object
 * Ownership and Block Public Access as S3 checks it; undefined when the request names none.
 */
export function requestedAcl(ctx: Ctx, bucket: BucketRecord, body?: string): Grant[] | undefined {
  const canned = headerOf(ctx.req, 'x-amz-acl');
  let grants = canned !== undefined ? cannedAcl(canned) : parseGrantHeaders(ctx.req.headers);
  if (grants === undefined && body !== undefined && body.trim() !== '')
    grants = parseAccessControlPolicy(parseXml(body));
  if (grants === undefined) return undefined;
  if (ownershipOf(bucket) === 'BucketOwnerEnforced' && !allowedWhenEnforced(grants)) throw aclsNotSupported();
  if (isPublic(grants) && publicAccessBlockOf(bucket).BlockPublicAcls) throw accessDenied('Access Denied');
  return grants;
}

/** A policy statement that allows everyone without a condition is public (Block Public Policy). */
function isPublicPolicy(policy: { Statement?: unknown }): boolean {
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  return statements.some((s: { Effect?: string; Principal?: unknown; Condition?: unknown }) => {
    if (s?.Effect !== 'Allow' || s.Condition !== undefined) return false;
    const p = s.Principal;
    const aws = typeof p === 'object' && p !== null ? (p as { AWS?: unknown }).AWS : undefined;
    return p === '*' || aws === '*' || (Array.isArray(aws) && aws.includes('*'));
  });
}

const malformedPolicy = (message: string) => new S3Error('MalformedPolicy', 400, message);

export function parsePolicy(text: string): string {
  if (!text.trimStart().startsWith('{'))
    throw malformedPolicy("Policies must be valid JSON and the first byte must be '{'");
  let policy: { Statement?: unknown };
  try {
    policy = JSON.parse(text) as { Statement?: unknown };
  } catch {
    throw malformedPolicy('This policy contains invalid Json');
  }
  if (policy.Statement === undefined) throw malformedPolicy('Missing required field Statement');
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  for (const s of statements as Array<Record<string, unknown>>) {
    if (s?.Effect !== 'Allow' && s?.Effect !== 'Deny') throw malformedPolicy('Invalid effect');
    if (s.Action === undefined && s.NotAction === undefined)
      throw malformedPolicy('Missing required field Action');
    if (s.Resource === undefined && s.NotResource === undefined)
      throw malformedPolicy('Missing required field Resource');
    if (s.Principal === undefined && s.NotPrincipal === undefined)
      throw malformedPolicy('Missing required field Principal');
  }
  return text;
}

export function bucketConfigActions(core: S3Core) {
  const { storage, getBucket, send } = core;

  /** Applies `change` to the bucket's record under the bucket's lock. */
  async function updateBucket(name: string, change: (bucket: BucketRecord) => void): Promise<BucketRecord> {
    return storage.withLock(`bucket\0${name}`, async () => {
      const current = await getBucket(name);
      change(current);
      await storage.batch([{ type: 'put', key: bucketKey(name), value: current }]);
      return current;
    });
  }

  const selected = (ctx: Ctx): BucketConfigName | undefined =>
    BUCKET_CONFIG_NAMES.find((n) => ctx.query.has(n));

  async function getConfig(ctx: Ctx, bucket: BucketRecord, name: BucketConfigName): Promise<void> {
    if (name === 'acl') {
      send(ctx, 200, { 'content-type': 'application/xml' }, aclDoc(bucket.acl ?? cannedAcl('private')));
      return;
    }
    let doc = configOf(bucket, name);
    if (name === 'object-lock' && doc === undefined && bucket.objectLock)
      doc = xmlDoc('ObjectLockConfiguration', [['ObjectLockEnabled', 'Enabled']]);
    if (doc === undefined) throw notFound(name, bucket.name);
    const headers: Record<string, string> = {
      'content-type': name === 'policy' ? 'application/json' : 'application/xml',
    };
    if (name === 'lifecycle')
      headers['x-amz-transition-default-minimum-object-size'] =
        bucket.lifecycleMinimumSize ?? 'all_storage_classes_128K';
    send(ctx, 200, headers, doc);
  }

  async function putConfig(ctx: Ctx, bucket: BucketRecord, name: BucketConfigName): Promise<void> {
    const text = await readSmallBody(ctx.req);
    if (name === 'acl') {
      const grants = requestedAcl(ctx, bucket, text);
      if (!grants)
        throw new S3Error('MissingSecurityHeader', 400, 'Your request was missing a required header', {
          MissingHeaderName: 'x-amz-acl',
        });
      await updateBucket(bucket.name, (b) => {
        b.acl = grants;
      });
      send(ctx, 200, {}, '');
      return;
    }
    if (name === 'policy') {
      const policy = parsePolicy(text);
      if (
        publicAccessBlockOf(bucket).BlockPublicPolicy &&
        isPublicPolicy(JSON.parse(policy) as { Statement?: unknown })
      )
        throw accessDenied('Access Denied');
      await updateBucket(bucket.name, (b) => {
        b.config = { ...b.config, policy };
      });
      send(ctx, 204, {});
      return;
    }
    if (text.trim() === '') throw new S3Error('MissingRequestBodyError', 400, 'Request Body is empty');
    const doc = parseBucketConfig(name, parseXml(text));
    if (name === 'object-lock' && bucket.versioning !== 'Enabled')
      throw new S3Error(
        'InvalidBucketState',
        409,
        "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
      );
    if (
      name === 'ownershipControls' &&
      /BucketOwnerEnforced/.test(doc) &&
      bucket.acl &&
      !allowedWhenEnforced(bucket.acl)
    )
      throw new S3Error(
        'InvalidBucketAclWithObjectOwnership',
        400,
        "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
      );
    await updateBucket(bucket.name, (b) => {
      b.config = { ...b.config, [name]: doc };
      if (name === 'object-lock') b.objectLock = true;
      if (name === 'lifecycle') {
        const size = headerOf(ctx.req, 'x-amz-transition-default-minimum-object-size');
        if (size) b.lifecycleMinimumSize = size;
        else delete b.lifecycleMinimumSize;
      }
    });
    const headers: Record<string, string> = {};
    if (name === 'lifecycle')
      headers['x-amz-transition-default-minimum-object-size'] =
        headerOf(ctx.req, 'x-amz-transition-default-minimum-object-size') ?? 'all_storage_classes_128K';
    send(ctx, name === 'tagging' ? 204 : 200, headers, '');
  }

  async function deleteConfig(ctx: Ctx, bucket: BucketRecord, name: BucketConfigName): Promise<void> {
    if (name === 'acl' || name === 'object-lock') {
      throw new S3Error(
        'MethodNotAllowed',
        405,
        'The specified method is not allowed against this resource.',
        {
          Method: 'DELETE',
          ResourceType: name === 'acl' ? 'ACL' : 'OBJECT_LOCK_CONFIGURATION',
        },
      );
    }
    await updateBucket(bucket.name, (b) => {
      // Deleting the encryption configuration resets it to SSE-S3 (API DeleteBucketEncryption).
      if (name === 'encryption') {
        if (b.config) delete b.config.encryption;
      } else b.config = { ...b.config, [name]: null };
    });
    send(ctx, 204, {});
  }

  /** Serves a bucket configuration request; false when the request selects none. */
  async function handleConfig(ctx: Ctx, bucket: BucketRecord): Promise<boolean> {
    const name = selected(ctx);
    if (!name) return false;
    if (ctx.method === 'GET') await getConfig(ctx, bucket, name);
    else if (ctx.method === 'PUT') await putConfig(ctx, bucket, name);
    else if (ctx.method === 'DELETE') await deleteConfig(ctx, bucket, name);
    else return false;
    return true;
  }

  /** Applies a CreateBucket request's own settings (object lock, object ownership, ACL). */
  function createSettings(ctx: Ctx): (bucket: BucketRecord) => void {
    const lock = headerOf(ctx.req, 'x-amz-bucket-object-lock-enabled')?.toLowerCase() === 'true';
    const ownership = headerOf(ctx.req, 'x-amz-object-ownership');
    if (
      ownership !== undefined &&
      !['BucketOwnerPreferred', 'ObjectWriter', 'BucketOwnerEnforced'].includes(ownership)
    )
      throw new S3Error('InvalidArgument', 400, 'Invalid x-amz-object-ownership header', {
        ArgumentName: 'x-amz-object-ownership',
        ArgumentValue: ownership,
      });
    const draft: BucketRecord = { name: '', created: 0, region: '', versioning: 'Unversioned' };
    if (ownership)
      draft.config = {
        ownershipControls: xmlDoc('OwnershipControls', [['Rule', [['ObjectOwnership', ownership]]]]),
      };
    const canned = headerOf(ctx.req, 'x-amz-acl');
    const grants = canned !== undefined ? cannedAcl(canned) : parseGrantHeaders(ctx.req.headers);
    if (grants && ownershipOf(draft) === 'BucketOwnerEnforced' && !allowedWhenEnforced(grants))
      throw new S3Error(
        'InvalidBucketAclWithObjectOwnership',
        400,
        "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
      );
    return (bucket) => {
      if (draft.config) bucket.config = { ...bucket.config, ...draft.config };
      if (grants) bucket.acl = grants;
      if (lock) {
        bucket.objectLock = true;
        bucket.versioning = 'Enabled';
      }
    };
  }

  return { handleConfig, updateBucket, createSettings };
}

export type BucketConfigActions = ReturnType<typeof bucketConfigActions>;
