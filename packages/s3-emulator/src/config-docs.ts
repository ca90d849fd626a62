/**
 * The bucket and object configuration documents of the S3 API: parsing and validating what a PUT
 * sends (public access block, encryption, lifecycle, policy, ownership controls, CORS, tagging,
 * ACLs, object lock), the defaults S3 gives a new bucket since 2023, and the canned ACLs.
 * Error codes and messages as S3 answers them (API reference of each Put operation).
 */
import { OWNER_ID, OWNER_NAME, S3_XMLNS } from './constants.ts';
import { invalidArgument, invalidRequest, malformedXml, S3Error } from './errors.ts';
import { child, childrenNamed, type XmlElement, type XmlNode } from './xml.ts';

/** The bucket sub-resources whose configuration is stored with the bucket. */
export type BucketConfigName =
  | 'publicAccessBlock'
  | 'encryption'
  | 'lifecycle'
  | 'policy'
  | 'ownershipControls'
  | 'cors'
  | 'tagging'
  | 'object-lock'
  | 'acl';

export const BUCKET_CONFIG_NAMES: readonly BucketConfigName[] = [
  'publicAccessBlock',
  'encryption',
  'lifecycle',
  'policy',
  'ownershipControls',
  'cors',
  'tagging',
  'object-lock',
  'acl',
];

/**
 * What S3 gives every new general purpose bucket (since January 2023: SSE-S3 default encryption;
 * since April 2023: all four public access block settings on and ACLs disabled, BucketOwnerEnforced).
 */
export const DEFAULT_CONFIG: Partial<Record<BucketConfigName, string>> = {
  publicAccessBlock: xmlDoc('PublicAccessBlockConfiguration', [
    ['BlockPublicAcls', 'true'],
    ['IgnorePublicAcls', 'true'],
    ['BlockPublicPolicy', 'true'],
    ['RestrictPublicBuckets', 'true'],
  ]),
  encryption: xmlDoc('ServerSideEncryptionConfiguration', [
    [
      'Rule',
      [
        ['ApplyServerSideEncryptionByDefault', [['SSEAlgorithm', 'AES256']]],
        ['BucketKeyEnabled', 'false'],
      ],
    ],
  ]),
  ownershipControls: xmlDoc('OwnershipControls', [['Rule', [['ObjectOwnership', 'BucketOwnerEnforced']]]]),
};

/** The error S3 answers to a GET of a configuration the bucket does not have. */
export function notFound(name: BucketConfigName, bucket: string): S3Error {
  const f = { BucketName: bucket };
  switch (name) {
    case 'publicAccessBlock':
      return new S3Error(
        'NoSuchPublicAccessBlockConfiguration',
        404,
        'The public access block configuration was not found',
        f,
      );
    case 'encryption':
      return new S3Error(
        'ServerSideEncryptionConfigurationNotFoundError',
        404,
        'The server side encryption configuration was not found',
        f,
      );
    case 'lifecycle':
      return new S3Error(
        'NoSuchLifecycleConfiguration',
        404,
        'The lifecycle configuration does not exist',
        f,
      );
    case 'policy':
      return new S3Error('NoSuchBucketPolicy', 404, 'The bucket policy does not exist', f);
    case 'ownershipControls':
      return new S3Error(
        'OwnershipControlsNotFoundError',
        404,
        'The bucket ownership controls were not found',
        f,
      );
    case 'cors':
      return new S3Error('NoSuchCORSConfiguration', 404, 'The CORS configuration does not exist', f);
    case 'tagging':
      return new S3Error('NoSuchTagSet', 404, 'The TagSet does not exist', f);
    case 'object-lock':
      return new S3Error(
        'ObjectLockConfigurationNotFoundError',
        404,
        'Object Lock configuration does not exist for this bucket',
        f,
      );
    case 'acl':
      return new S3Error('InternalError', 500, 'no ACL');
  }
}

/** Renders an element tree to the stored (and returned) document. */
export function xmlDoc(root: string, children: XmlNode[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${S3_XMLNS}">${render(children)}</${root}>`;
}

function render(children: XmlNode[]): string {
  let out = '';
  for (const node of children) {
    if (!node) continue;
    const [name, value] = node;
    if (Array.isArray(value)) out += `<${name}>${render(value)}</${name}>`;
    else
      out += `<${name}>${String(value).replace(/[<>&]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&amp;'))}</${name}>`;
  }
  return out;
}

/** A parsed element back to a node tree (text of leaves kept as sent). */
export function toNodes(element: XmlElement): XmlNode[] {
  return element.children.map((c): XmlNode => [c.name, c.children.length > 0 ? toNodes(c) : c.text]);
}

const expectRoot = (doc: XmlElement, root: string) => {
  if (doc.name !== root) throw malformedXml(`expected <${root}>, got <${doc.name}>`);
};
const bool = (element: XmlElement | undefined, name: string): string => {
  const text = element?.text.trim().toLowerCase() ?? 'false';
  if (text !== 'true' && text !== 'false') throw malformedXml(`${name} must be true or false`);
  return text;
};

/** Validates a PUT document of a bucket sub-resource; returns the document to store. */
export function parseBucketConfig(name: BucketConfigName, doc: XmlElement): string {
  switch (name) {
    case 'publicAccessBlock': {
      expectRoot(doc, 'PublicAccessBlockConfiguration');
      const names = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'];
      return xmlDoc(
        doc.name,
        names.map((n): XmlNode => [n, bool(child(doc, n), n)]),
      );
    }
    case 'encryption': {
      expectRoot(doc, 'ServerSideEncryptionConfiguration');
      const rules = childrenNamed(doc, 'Rule');
      if (rules.length === 0) throw malformedXml('a ServerSideEncryptionConfiguration needs a Rule');
      for (const rule of rules) {
        const algorithm = child(child(rule, 'ApplyServerSideEncryptionByDefault') ?? rule, 'SSEAlgorithm');
        const value = algorithm?.text.trim();
        if (value !== undefined && !['AES256', 'aws:kms', 'aws:kms:dsse'].includes(value))
          throw malformedXml(`SSEAlgorithm ${value} is not AES256, aws:kms or aws:kms:dsse`);
      }
      return xmlDoc(doc.name, toNodes(doc));
    }
    case 'lifecycle':
      return parseLifecycle(doc);
    case 'ownershipControls': {
      expectRoot(doc, 'OwnershipControls');
      const rules = childrenNamed(doc, 'Rule');
      const value = rules.length === 1 ? child(rules[0]!, 'ObjectOwnership')?.text.trim() : undefined;
      if (!value || !['BucketOwnerPreferred', 'ObjectWriter', 'BucketOwnerEnforced'].includes(value))
        throw malformedXml('OwnershipControls needs one Rule with ObjectOwnership');
      return xmlDoc(doc.name, [['Rule', [['ObjectOwnership', value]]]]);
    }
    case 'cors':
      return parseCors(doc);
    case 'tagging':
      return tagsDoc(parseTagSet(doc, 50));
    case 'object-lock':
      return parseObjectLock(doc);
    case 'policy':
    case 'acl':
      throw new Error(`${name} is not an XML configuration`);
  }
}

function parseLifecycle(doc: XmlElement): string {
  expectRoot(doc, 'LifecycleConfiguration');
  const rules = childrenNamed(doc, 'Rule');
  if (rules.length === 0 || rules.length > 1000) throw malformedXml('1 to 1000 lifecycle rules');
  const ids = new Set<string>();
  for (const rule of rules) {
    const id = child(rule, 'ID')?.text ?? '';
    if (id.length > 255) throw invalidArgument('ID length should not exceed allowed limit of 255', 'ID', id);
    if (id !== '' && ids.has(id))
      throw invalidArgument('Rule ID must be unique. Found same ID for more than one rule', 'ID', id);
    ids.add(id);
    const status = child(rule, 'Status')?.text.trim();
    if (status !== 'Enabled' && status !== 'Disabled')
      throw malformedXml('a lifecycle rule needs Status Enabled or Disabled');
    if (child(rule, 'Filter') === undefined && child(rule, 'Prefix') === undefined)
      throw malformedXml('a lifecycle rule needs a Filter or a Prefix');
    const actions = [
      'Expiration',
      'NoncurrentVersionExpiration',
      'AbortIncompleteMultipartUpload',
      'Transition',
      'NoncurrentVersionTransition',
    ];
    if (!rule.children.some((c) => actions.includes(c.name)))
      throw invalidRequest('At least one action needs to be specified in a rule');
    for (const [action, field] of [
      ['Expiration', 'Days'],
      ['NoncurrentVersionExpiration', 'NoncurrentDays'],
      ['AbortIncompleteMultipartUpload', 'DaysAfterInitiation'],
    ] as const) {
      const days = child(child(rule, action) ?? rule, field)?.text.trim();
      if (child(rule, action) && days !== undefined && !(Number(days) > 0 && Number.isInteger(Number(days))))
        throw invalidArgument(`'${field}' for ${action} action must be a positive integer`, field, days);
    }
  }
  return xmlDoc(doc.name, toNodes(doc));
}

const CORS_METHODS = ['GET', 'PUT', 'HEAD', 'POST', 'DELETE'];

function parseCors(doc: XmlElement): string {
  expectRoot(doc, 'CORSConfiguration');
  const rules = childrenNamed(doc, 'CORSRule');
  if (rules.length === 0 || rules.length > 100) throw malformedXml('1 to 100 CORSRule elements');
  for (const rule of rules) {
    const methods = childrenNamed(rule, 'AllowedMethod').map((m) => m.text.trim());
    if (methods.length === 0 || childrenNamed(rule, 'AllowedOrigin').length === 0)
      throw malformedXml('a CORSRule needs AllowedMethod and AllowedOrigin');
    for (const method of methods) {
      if (!CORS_METHODS.includes(method))
        throw invalidRequest(`Found unsupported HTTP method in CORS config. Unsupported method is ${method}`);
    }
    for (const origin of childrenNamed(rule, 'AllowedOrigin')) {
      if ((origin.text.match(/\*/g) ?? []).length > 1)
        throw invalidRequest(`AllowedOrigin "${origin.text}" can not have more than one wildcard.`);
    }
  }
  return xmlDoc(doc.name, toNodes(doc));
}

function parseObjectLock(doc: XmlElement): string {
  expectRoot(doc, 'ObjectLockConfiguration');
  if (child(doc, 'ObjectLockEnabled')?.text.trim() !== 'Enabled')
    throw malformedXml('ObjectLockEnabled must be Enabled');
  const retention = child(child(child(doc, 'Rule') ?? doc, 'DefaultRetention') ?? doc, 'Mode');
  const rule = child(doc, 'Rule');
  if (rule) {
    const dr = child(rule, 'DefaultRetention');
    const mode = dr && child(dr, 'Mode')?.text.trim();
    if (!dr || (mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE'))
      throw malformedXml('DefaultRetention needs Mode GOVERNANCE or COMPLIANCE');
    const days = child(dr, 'Days');
    const years = child(dr, 'Years');
    if ((days === undefined) === (years === undefined))
      throw malformedXml('DefaultRetention needs either Days or Years');
    const n = Number((days ?? years)!.text.trim());
    if (!(Number.isInteger(n) && n > 0))
      throw invalidArgument(
        'Default retention period must be a positive integer value',
        days ? 'Days' : 'Years',
      );
  }
  void retention;
  return xmlDoc(doc.name, toNodes(doc));
}

// ---- tags ----------------------------------------------------------------------------------------

export type TagSet = Array<[string, string]>;

const invalidTag = (message: string) => new S3Error('InvalidTag', 400, message);

export function checkTags(tags: TagSet, max: number, objectTags: boolean): TagSet {
  if (tags.length > max) {
    if (objectTags) throw new S3Error('BadRequest', 400, `Object tags cannot be greater than ${max}`);
    throw invalidTag(`Bucket tag count cannot be greater than ${max}`);
  }
  const seen = new Set<string>();
  for (const [key, value] of tags) {
    if (seen.has(key)) throw invalidTag('Cannot provide multiple Tags with the same key');
    seen.add(key);
    if (key.length === 0 || [...key].length > 128)
      throw invalidTag('The TagKey you have provided is invalid');
    if ([...value].length > 256) throw invalidTag('The TagValue you have provided is invalid');
    if (key.toLowerCase().startsWith('aws:'))
      throw invalidTag('System tags cannot be added/updated by requester');
  }
  return tags;
}

export function parseTagSet(doc: XmlElement, max: number, objectTags = false): TagSet {
  expectRoot(doc, 'Tagging');
  const set = child(doc, 'TagSet');
  if (!set) throw malformedXml('Tagging needs a TagSet');
  const tags = childrenNamed(set, 'Tag').map((tag): [string, string] => {
    const key = child(tag, 'Key');
    if (!key) throw malformedXml('a Tag needs a Key');
    return [key.text, child(tag, 'Value')?.text ?? ''];
  });
  return checkTags(tags, max, objectTags);
}

/** `x-amz-tagging`: a URL query string (`k1=v1&k2=v2`). */
export function parseTaggingHeader(header: string): TagSet {
  const tags: TagSet = [];
  for (const [key, value] of new URLSearchParams(header)) tags.push([key, value]);
  return checkTags(tags, 10, true);
}

export function tagsDoc(tags: TagSet): string {
  return xmlDoc('Tagging', [
    [
      'TagSet',
      tags.map(
        ([k, v]): XmlNode => [
          'Tag',
          [
            ['Key', k],
            ['Value', v],
          ],
        ],
      ),
    ],
  ]);
}

// ---- ACLs ----------------------------------------------------------------------------------------

export type Grant = { grantee: XmlNode[]; type: 'CanonicalUser' | 'Group'; permission: string };

const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const AUTHENTICATED = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
const LOG_DELIVERY = 'http://acs.amazonaws.com/groups/s3/LogDelivery';

const ownerGrant = (permission: string): Grant => ({
  type: 'CanonicalUser',
  grantee: [
    ['ID', OWNER_ID],
    ['DisplayName', OWNER_NAME],
  ],
  permission,
});
const group = (uri: string, permission: string): Grant => ({
  type: 'Group',
  grantee: [['URI', uri]],
  permission,
});

export const CANNED_ACLS: Record<string, Grant[]> = {
  private: [ownerGrant('FULL_CONTROL')],
  'public-read': [ownerGrant('FULL_CONTROL'), group(ALL_USERS, 'READ')],
  'public-read-write': [ownerGrant('FULL_CONTROL'), group(ALL_USERS, 'READ'), group(ALL_USERS, 'WRITE')],
  'authenticated-read': [ownerGrant('FULL_CONTROL'), group(AUTHENTICATED, 'READ')],
  'aws-exec-read': [ownerGrant('FULL_CONTROL')],
  'bucket-owner-read': [ownerGrant('FULL_CONTROL')],
  'bucket-owner-full-control': [ownerGrant('FULL_CONTROL')],
  'log-delivery-write': [
    ownerGrant('FULL_CONTROL'),
    group(LOG_DELIVERY, 'WRITE'),
    group(LOG_DELIVERY, 'READ_ACP'),
  ],
};

export function cannedAcl(name: string): Grant[] {
  const grants = CANNED_ACLS[name];
  if (!grants) throw invalidArgument(`Invalid canned ACL ${name}`, 'x-amz-acl', name);
  return grants;
}

/** A grant to everyone or every AWS user makes an ACL public (Block Public Access). */
export const isPublic = (grants: Grant[]) =>
  grants.some(
    (g) => g.type === 'Group' && g.grantee.some((n) => n?.[1] === ALL_USERS || n?.[1] === AUTHENTICATED),
  );

/** Only these ACLs are accepted where ACLs are disabled (BucketOwnerEnforced). */
export const allowedWhenEnforced = (grants: Grant[]) =>
  grants.length === 1 && grants[0]!.type === 'CanonicalUser' && grants[0]!.permission === 'FULL_CONTROL';

export function parseAccessControlPolicy(doc: XmlElement): Grant[] {
  expectRoot(doc, 'AccessControlPolicy');
  const list = child(doc, 'AccessControlList');
  if (!list) throw malformedXml('AccessControlPolicy needs an AccessControlList');
  return childrenNamed(list, 'Grant').map((g) => {
    const grantee = child(g, 'Grantee');
    const permission = child(g, 'Permission')?.text.trim() ?? '';
    if (!grantee || !['FULL_CONTROL', 'READ', 'WRITE', 'READ_ACP', 'WRITE_ACP'].includes(permission))
      throw malformedXml('a Grant needs a Grantee and a Permission');
    const uri = child(grantee, 'URI')?.text.trim();
    if (uri) return group(uri, permission);
    const id = child(grantee, 'ID')?.text.trim() ?? '';
    return { type: 'CanonicalUser', grantee: [['ID', id]], permission } as Grant;
  });
}

/** Grants of `x-amz-grant-*` headers (`id="…", uri="…"`). */
export function parseGrantHeaders(
  headers: Record<string, string | string[] | undefined>,
): Grant[] | undefined {
  const found: Grant[] = [];
  const map: Record<string, string> = {
    'x-amz-grant-full-control': 'FULL_CONTROL',
    'x-amz-grant-read': 'READ',
    'x-amz-grant-write': 'WRITE',
    'x-amz-grant-read-acp': 'READ_ACP',
    'x-amz-grant-write-acp': 'WRITE_ACP',
  };
  for (const [header, permission] of Object.entries(map)) {
    const value = headers[header];
    if (typeof value !== 'string') continue;
    for (const part of value.split(',')) {
      const m = /^\s*(id|uri|emailAddress)\s*=\s*"?([^"]*)"?\s*$/.exec(part);
      if (!m) throw invalidArgument('Invalid grant header', header, value);
      found.push(
        m[1] === 'uri'
          ? group(m[2]!, permission)
          : { type: 'CanonicalUser', grantee: [['ID', m[2]!]], permission },
      );
    }
  }
  return found.length > 0 ? found : undefined;
}

export function aclDoc(grants: Grant[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<AccessControlPolicy xmlns="${S3_XMLNS}"><Owner><ID>${OWNER_ID}</ID><DisplayName>${OWNER_NAME}</DisplayName></Owner><AccessControlList>${grants
    .map(
      (g) =>
        `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="${g.type}">${render(g.grantee)}</Grantee><Permission>${g.permission}</Permission></Grant>`,
    )
    .join('')}</AccessControlList></AccessControlPolicy>`;
}
