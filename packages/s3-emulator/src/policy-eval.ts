/**
 * A bucket policy's explicit Deny, evaluated for signed requests when the emulator verifies
 * credentials: Principal/NotPrincipal, Action/NotAction, Resource/NotResource (with `*` and `?`
 * wildcards) and the condition operators String*, Bool, Numeric*, Date*, Null (with `IfExists`),
 * over the keys listed in `contextOf`. What it does not do, plainly: Allow statements grant nothing
 * (access is what the credentials give; anonymous requests stay refused, so a public-read policy
 * does not open the bucket), IAM identity policies do not exist, `ForAnyValue:`/`ForAllValues:`
 * set operators, IpAddress, Arn* and policy variables (`${aws:username}`) are not evaluated: a
 * statement that uses them is skipped, which for a Deny means it does not deny. Every signed
 * request is the account's root principal (`arn:aws:iam::<accountId>:root`), which cannot be
 * locked out of Get/Put/DeleteBucketPolicy (as on S3).
 */
import type { IncomingMessage } from 'node:http';
import { configOf } from './bucket-config.ts';
import { S3Error } from './errors.ts';
import { type Ctx, headerOf } from './http-helpers.ts';
import type { BucketRecord } from './storage.ts';

const BUCKET_SUBRESOURCES: Record<string, [get: string, put: string, del?: string]> = {
  acl: ['GetBucketAcl', 'PutBucketAcl'],
  policy: ['GetBucketPolicy', 'PutBucketPolicy', 'DeleteBucketPolicy'],
  cors: ['GetBucketCORS', 'PutBucketCORS', 'PutBucketCORS'],
  lifecycle: ['GetLifecycleConfiguration', 'PutLifecycleConfiguration', 'PutLifecycleConfiguration'],
  encryption: ['GetEncryptionConfiguration', 'PutEncryptionConfiguration', 'PutEncryptionConfiguration'],
  publicAccessBlock: [
    'GetBucketPublicAccessBlock',
    'PutBucketPublicAccessBlock',
    'PutBucketPublicAccessBlock',
  ],
  ownershipControls: [
    'GetBucketOwnershipControls',
    'PutBucketOwnershipControls',
    'PutBucketOwnershipControls',
  ],
  tagging: ['GetBucketTagging', 'PutBucketTagging', 'PutBucketTagging'],
  'object-lock': ['GetBucketObjectLockConfiguration', 'PutBucketObjectLockConfiguration'],
  versioning: ['GetBucketVersioning', 'PutBucketVersioning'],
  notification: ['GetBucketNotification', 'PutBucketNotification'],
  location: ['GetBucketLocation', 'GetBucketLocation'],
  versions: ['ListBucketVersions', 'ListBucketVersions'],
  uploads: ['ListBucketMultipartUploads', 'ListBucketMultipartUploads'],
};

const OBJECT_SUBRESOURCES: Record<string, [get: string, put: string, del?: string]> = {
  tagging: ['GetObjectTagging', 'PutObjectTagging', 'DeleteObjectTagging'],
  acl: ['GetObjectAcl', 'PutObjectAcl'],
  retention: ['GetObjectRetention', 'PutObjectRetention'],
  'legal-hold': ['GetObjectLegalHold', 'PutObjectLegalHold'],
  attributes: ['GetObjectAttributes', 'GetObjectAttributes'],
};

/** The IAM action of a request (`s3:GetObject`…), as the S3 authorization reference names it. */
export function actionOf(ctx: Pick<Ctx, 'method' | 'query' | 'key'>): string {
  const { method, query, key } = ctx;
  const versioned = query.has('versionId');
  const pick = (table: typeof BUCKET_SUBRESOURCES): string | undefined => {
    for (const [name, [get, put, del]] of Object.entries(table)) {
      if (!query.has(name)) continue;
      if (method === 'GET' || method === 'HEAD') return get;
      if (method === 'DELETE') return del ?? put;
      return put;
    }
    return undefined;
  };
  if (key === undefined) {
    const sub = pick(BUCKET_SUBRESOURCES);
    if (sub) return `s3:${sub}`;
    if (method === 'PUT') return 's3:CreateBucket';
    if (method === 'DELETE') return 's3:DeleteBucket';
    if (method === 'POST') return 's3:DeleteObject';
    return 's3:ListBucket';
  }
  const sub = pick(OBJECT_SUBRESOURCES);
  if (sub) return `s3:${sub}${versioned && sub !== 'GetObjectAttributes' ? 'Version' : ''}`;
  if (method === 'GET' || method === 'HEAD') {
    if (query.has('uploadId')) return 's3:ListMultipartUploadParts';
    return versioned ? 's3:GetObjectVersion' : 's3:GetObject';
  }
  if (method === 'DELETE') {
    if (query.has('uploadId')) return 's3:AbortMultipartUpload';
    return versioned ? 's3:DeleteObjectVersion' : 's3:DeleteObject';
  }
  return 's3:PutObject';
}

/** IAM wildcards: `*` any run, `?` one character. */
function glob(pattern: string, value: string, caseless: boolean): boolean {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, caseless ? 'is' : 's').test(value);
}

const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)];

interface Statement {
  Effect?: string;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

export interface RequestFacts {
  action: string;
  resource: string;
  accountId: string;
  context: Record<string, string | undefined>;
}

function principalMatches(value: unknown, accountId: string): boolean {
  if (value === '*') return true;
  const aws = typeof value === 'object' && value !== null ? list((value as { AWS?: unknown }).AWS) : [];
  return aws.some((p) => p === '*' || p === accountId || p.startsWith(`arn:aws:iam::${accountId}:`));
}

/** true / false, or undefined when the block uses what this evaluator does not cover. */
function conditionsHold(
  condition: Statement['Condition'],
  context: RequestFacts['context'],
): boolean | undefined {
  for (const [rawOperator, entries] of Object.entries(condition ?? {})) {
    if (rawOperator.includes(':')) return undefined; // ForAnyValue: / ForAllValues:
    const ifExists = rawOperator.endsWith('IfExists');
    const operator = ifExists ? rawOperator.slice(0, -'IfExists'.length) : rawOperator;
    for (const [rawKey, expected] of Object.entries(entries)) {
      const key = Object.keys(context).find((k) => k.toLowerCase() === rawKey.toLowerCase());
      const values = list(expected);
      if (values.some((v) => v.includes('${'))) return undefined;
      const actual = key ? context[key] : undefined;
      if (operator === 'Null') {
        if ((actual === undefined) !== (values[0] === 'true')) return false;
        continue;
      }
      if (actual === undefined) {
        if (ifExists) continue;
        if (!key && !(rawKey.toLowerCase() in KNOWN_KEYS)) return undefined;
        if (operator.startsWith('StringNot') || operator === 'NotIpAddress') continue;
        return false;
      }
      const num = Number(actual);
      const date = Date.parse(actual);
      let holds: boolean;
      switch (operator) {
        case 'StringEquals':
          holds = values.includes(actual);
          break;
        case 'StringNotEquals':
          holds = !values.includes(actual);
          break;
        case 'StringEqualsIgnoreCase':
          holds = values.some((v) => v.toLowerCase() === actual.toLowerCase());
          break;
        case 'StringNotEqualsIgnoreCase':
          holds = !values.some((v) => v.toLowerCase() === actual.toLowerCase());
          break;
        case 'StringLike':
          holds = values.some((v) => glob(v, actual, false));
          break;
        case 'StringNotLike':
          holds = !values.some((v) => glob(v, actual, false));
          break;
        case 'Bool':
          holds = values.some((v) => v.toLowerCase() === actual.toLowerCase());
          break;
        case 'NumericEquals':
          holds = values.some((v) => num === Number(v));
          break;
        case 'NumericNotEquals':
          holds = !values.some((v) => num === Number(v));
          break;
        case 'NumericLessThan':
          holds = values.some((v) => num < Number(v));
          break;
        case 'NumericLessThanEquals':
          holds = values.some((v) => num <= Number(v));
          break;
        case 'NumericGreaterThan':
          holds = values.some((v) => num > Number(v));
          break;
        case 'NumericGreaterThanEquals':
          holds = values.some((v) => num >= Number(v));
          break;
        case 'DateLessThan':
          holds = values.some((v) => date < Date.parse(v));
          break;
        case 'DateGreaterThan':
          holds = values.some((v) => date > Date.parse(v));
          break;
        default:
          return undefined;
      }
      if (!holds) return false;
    }
  }
  return true;
}

/** Keys the evaluator knows; a condition on one of them that is absent from a request does not hold. */
const KNOWN_KEYS: Record<string, true> = Object.fromEntries(
  [
    'aws:securetransport',
    'aws:principalaccount',
    'aws:principalarn',
    'aws:currenttime',
    'aws:epochtime',
    's3:tlsversion',
    's3:x-amz-acl',
    's3:x-amz-server-side-encryption',
    's3:x-amz-content-sha256',
    's3:prefix',
    's3:delimiter',
    's3:max-keys',
    's3:authtype',
    's3:signatureversion',
    's3:versionid',
  ].map((k) => [k, true]),
);

/** The explicit Deny statement that applies to the request, if any. */
export function explicitDeny(policyText: string, facts: RequestFacts): Statement | undefined {
  const policy = JSON.parse(policyText) as { Statement?: Statement | Statement[] };
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  return statements.find((s): s is Statement => {
    if (s?.Effect !== 'Deny') return false;
    if (s.Principal !== undefined && !principalMatches(s.Principal, facts.accountId)) return false;
    if (s.NotPrincipal !== undefined && principalMatches(s.NotPrincipal, facts.accountId)) return false;
    const actionHit = (v: unknown) => list(v).some((a) => glob(a, facts.action, true));
    if (s.Action !== undefined && !actionHit(s.Action)) return false;
    if (s.NotAction !== undefined && actionHit(s.NotAction)) return false;
    const resourceHit = (v: unknown) => list(v).some((r) => glob(r, facts.resource, false));
    if (s.Resource !== undefined && !resourceHit(s.Resource)) return false;
    if (s.NotResource !== undefined && resourceHit(s.NotResource)) return false;
    return conditionsHold(s.Condition, facts.context) === true;
  });
}

/** The condition keys of a request, as S3 sets them. */
export function contextOf(
  ctx: Ctx,
  accountId: string,
  secure: boolean,
  now: number,
): Record<string, string | undefined> {
  const req: IncomingMessage = ctx.req;
  const presigned = ctx.query.has('X-Amz-Signature') || ctx.query.has('Signature');
  const tls = (req.socket as { getProtocol?: () => string | null }).getProtocol?.();
  return {
    'aws:SecureTransport': secure ? 'true' : 'false',
    'aws:PrincipalAccount': accountId,
    'aws:PrincipalArn': `arn:aws:iam::${accountId}:root`,
    'aws:CurrentTime': new Date(now).toISOString(),
    'aws:EpochTime': String(Math.floor(now / 1000)),
    's3:TlsVersion': tls ? tls.replace(/^TLSv/, '') : undefined,
    's3:x-amz-acl': headerOf(req, 'x-amz-acl'),
    's3:x-amz-server-side-encryption': headerOf(req, 'x-amz-server-side-encryption'),
    's3:x-amz-content-sha256': headerOf(req, 'x-amz-content-sha256'),
    's3:prefix': ctx.key === undefined ? ctx.query.get('prefix') : undefined,
    's3:delimiter': ctx.key === undefined ? ctx.query.get('delimiter') : undefined,
    's3:max-keys': ctx.key === undefined ? ctx.query.get('max-keys') : undefined,
    's3:authType': presigned ? 'REST-QUERY-STRING' : 'REST-HEADER',
    's3:signatureversion':
      ctx.query.has('Signature') || /^AWS /.test(headerOf(req, 'authorization') ?? '')
        ? 'AWS'
        : 'AWS4-HMAC-SHA256',
    's3:VersionId': ctx.query.get('versionId'),
  };
}

const LOCKOUT_SAFE = new Set(['s3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy']);

/** Throws AccessDenied when the bucket's policy explicitly denies the request. */
export function enforcePolicy(
  ctx: Ctx,
  bucket: BucketRecord,
  accountId: string,
  secure: boolean,
  now: number,
): void {
  const policy = configOf(bucket, 'policy');
  if (!policy) return;
  const action = actionOf(ctx);
  if (LOCKOUT_SAFE.has(action)) return;
  const resource =
    ctx.key === undefined ? `arn:aws:s3:::${bucket.name}` : `arn:aws:s3:::${bucket.name}/${ctx.key}`;
  const denied = explicitDeny(policy, {
    action,
    resource,
    accountId,
    context: contextOf(ctx, accountId, secure, now),
  });
  if (denied) {
    throw new S3Error(
      'AccessDenied',
      403,
      `User: arn:aws:iam::${accountId}:root is not authorized to perform: ${action} on resource: "${resource}" with an explicit deny in a resource-based policy`,
    );
  }
}

/**
 * S3's answer to a GET or HEAD of a key (or version) that does not exist depends on whether the caller
 * may list the bucket: 404 with s3:ListBucket, 403 AccessDenied without it (it must not learn that the
 * key is absent). Here "may not list" is a bucket policy's explicit Deny of s3:ListBucket for the key
 * as prefix; the AccessDenied to throw instead of `notFound`, or undefined.
 */
export function missingKeyRefusal(
  ctx: Ctx,
  bucket: BucketRecord,
  accountId: string,
  secure: boolean,
  now: number,
): S3Error | undefined {
  const policy = configOf(bucket, 'policy');
  if (!policy || ctx.key === undefined || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return undefined;
  const resource = `arn:aws:s3:::${bucket.name}`;
  const context = { ...contextOf(ctx, accountId, secure, now), 's3:prefix': ctx.key };
  if (!explicitDeny(policy, { action: 's3:ListBucket', resource, accountId, context })) return undefined;
  return new S3Error('AccessDenied', 403, 'Access Denied');
}
