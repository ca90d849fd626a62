/**
 * Object sub-resources: tagging (Get/Put/DeleteObjectTagging), ACLs (Get/PutObjectAcl, under the
 * bucket's Object Ownership), object lock retention and legal hold, and GetObjectAttributes. They
 * change a version in place (no new version, no ObjectCreated event), as S3 does.
 */
import { requestedAcl } from './bucket-config.ts';
import { aclDoc, cannedAcl, parseTagSet, tagsDoc } from './config-docs.ts';
import type { S3Core } from './core.ts';
import {
  accessDenied,
  invalidArgument,
  invalidRequest,
  malformedXml,
  noSuchVersion,
  S3Error,
} from './errors.ts';
import { type Ctx, headerOf, readSmallBody } from './http-helpers.ts';
import { type BucketRecord, type ObjectRecord, objectKey, type VersionRecord } from './storage.ts';
import { child, parseXml, type XmlNode } from './xml.ts';

const OBJECT_SUBRESOURCES = ['tagging', 'acl', 'retention', 'legal-hold', 'attributes'] as const;

const noLockConfiguration = () =>
  new S3Error(
    'NoSuchObjectLockConfiguration',
    404,
    'The specified object does not have a ObjectLock configuration',
  );
const lockMissing = () => invalidRequest('Bucket is missing Object Lock Configuration');

/** Object lock headers of a PUT (mode, retain-until date, legal hold), checked as S3 checks them. */
export function lockFromHeaders(
  ctx: Ctx,
  bucket: BucketRecord,
  defaultRetention: (now: number) => VersionRecord['retention'],
) {
  const mode = headerOf(ctx.req, 'x-amz-object-lock-mode');
  const until = headerOf(ctx.req, 'x-amz-object-lock-retain-until-date');
  const hold = headerOf(ctx.req, 'x-amz-object-lock-legal-hold');
  const out: Pick<VersionRecord, 'retention' | 'legalHold'> = {};
  if ((mode !== undefined || until !== undefined || hold !== undefined) && !bucket.objectLock)
    throw lockMissing();
  if ((mode === undefined) !== (until === undefined))
    throw invalidArgument(
      'x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied',
      mode === undefined ? 'x-amz-object-lock-mode' : 'x-amz-object-lock-retain-until-date',
    );
  if (mode !== undefined && until !== undefined) {
    if (mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE')
      throw invalidArgument('Unknown wormMode directive.', 'x-amz-object-lock-mode', mode);
    if (Number.isNaN(Date.parse(until)))
      throw invalidArgument(
        'The retain until date must be provided in ISO 8601 format',
        'x-amz-object-lock-retain-until-date',
        until,
      );
    out.retention = { mode, until: new Date(until).toISOString() };
  } else {
    const fallback = defaultRetention(Date.now());
    if (fallback) out.retention = fallback;
  }
  if (hold !== undefined) {
    if (hold !== 'ON' && hold !== 'OFF')
      throw invalidArgument('Legal Hold must be either of ON or OFF', 'x-amz-object-lock-legal-hold', hold);
    out.legalHold = hold;
  }
  return out;
}

/** Response headers of a version's lock settings and tags. */
export function versionExtraHeaders(v: VersionRecord): Record<string, string | number> {
  const h: Record<string, string | number> = {};
  if (v.tags && v.tags.length > 0) h['x-amz-tagging-count'] = v.tags.length;
  if (v.retention) {
    h['x-amz-object-lock-mode'] = v.retention.mode;
    h['x-amz-object-lock-retain-until-date'] = v.retention.until;
  }
  if (v.legalHold) h['x-amz-object-lock-legal-hold'] = v.legalHold;
  return h;
}

/** Whether object lock forbids removing this version now (retention or legal hold). */
export function lockForbidsDelete(v: VersionRecord, now: number, bypassGovernance: boolean): boolean {
  if (v.legalHold === 'ON') return true;
  if (!v.retention || Date.parse(v.retention.until) <= now) return false;
  return v.retention.mode === 'COMPLIANCE' || !bypassGovernance;
}

export function objectConfigActions(core: S3Core) {
  const { now, storage, send, sendXml, checkKey, validVersionId, resolveVersion, versionHeader } = core;

  /** Changes one version's record in place under the key's lock. */
  async function updateVersion(
    bucket: BucketRecord,
    key: string,
    versionParam: string | undefined,
    change: (v: VersionRecord) => void,
  ): Promise<VersionRecord> {
    const versionId = versionParam === undefined ? undefined : validVersionId(versionParam);
    return storage.withLock(`${bucket.name}\0${key}`, async () => {
      const target = await resolveVersion(bucket, key, versionId, 'PUT');
      const dbKey = objectKey(bucket.name, key);
      const record = (await storage.get<ObjectRecord>(dbKey))!;
      const version = record.versions.find((v) => v.versionId === target.versionId);
      if (!version) throw noSuchVersion(key, target.versionId);
      change(version);
      await storage.batch([{ type: 'put', key: dbKey, value: record }]);
      return version;
    });
  }

  async function handleObjectConfig(ctx: Ctx, bucket: BucketRecord): Promise<boolean> {
    const name = OBJECT_SUBRESOURCES.find((n) => ctx.query.has(n));
    if (!name) return false;
    const key = checkKey(ctx);
    const versionParam = ctx.query.get('versionId');
    const read = async () =>
      resolveVersion(
        bucket,
        key,
        versionParam === undefined ? undefined : validVersionId(versionParam),
        'GET',
      );
    const versionOut = (v: VersionRecord) => versionHeader(bucket.versioning, v.versionId);
    const { method } = ctx;
    if (name === 'tagging') {
      if (method === 'GET') {
        const v = await read();
        send(ctx, 200, { 'content-type': 'application/xml', ...versionOut(v) }, tagsDoc(v.tags ?? []));
        return true;
      }
      if (method === 'PUT') {
        const tags = parseTagSet(parseXml(await readSmallBody(ctx.req)), 10, true);
        const v = await updateVersion(bucket, key, versionParam, (version) => {
          version.tags = tags;
        });
        send(ctx, 200, versionOut(v), '');
        return true;
      }
      if (method === 'DELETE') {
        const v = await updateVersion(bucket, key, versionParam, (version) => {
          delete version.tags;
        });
        send(ctx, 204, versionOut(v));
        return true;
      }
    }
    if (name === 'acl') {
      if (method === 'GET') {
        const v = await read();
        send(
          ctx,
          200,
          { 'content-type': 'application/xml', ...versionOut(v) },
          aclDoc(v.acl ?? cannedAcl('private')),
        );
        return true;
      }
      if (method === 'PUT') {
        const grants = requestedAcl(ctx, bucket, await readSmallBody(ctx.req));
        if (!grants)
          throw malformedXml('PutObjectAcl needs x-amz-acl, x-amz-grant-* or an AccessControlPolicy');
        const v = await updateVersion(bucket, key, versionParam, (version) => {
          version.acl = grants;
        });
        send(ctx, 200, versionOut(v), '');
        return true;
      }
    }
    if (name === 'retention' || name === 'legal-hold') {
      if (!bucket.objectLock) throw lockMissing();
      if (method === 'GET') {
        const v = await read();
        if (name === 'retention') {
          if (!v.retention) throw noLockConfiguration();
          sendXml(ctx, 'Retention', [
            ['Mode', v.retention.mode],
            ['RetainUntilDate', v.retention.until],
          ]);
        } else {
          if (!v.legalHold) throw noLockConfiguration();
          sendXml(ctx, 'LegalHold', [['Status', v.legalHold]]);
        }
        return true;
      }
      if (method === 'PUT') {
        const doc = parseXml(await readSmallBody(ctx.req));
        const bypass = headerOf(ctx.req, 'x-amz-bypass-governance-retention')?.toLowerCase() === 'true';
        if (name === 'retention') {
          if (doc.name !== 'Retention') throw malformedXml('expected <Retention>');
          const mode = child(doc, 'Mode')?.text.trim();
          const until = child(doc, 'RetainUntilDate')?.text.trim();
          if ((mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') || !until || Number.isNaN(Date.parse(until)))
            throw malformedXml('Retention needs Mode GOVERNANCE or COMPLIANCE and a RetainUntilDate');
          if (Date.parse(until) <= now())
            throw invalidArgument('The retain until date must be in the future!', 'RetainUntilDate', until);
          await updateVersion(bucket, key, versionParam, (version) => {
            const current = version.retention;
            const shortening =
              current &&
              Date.parse(current.until) > now() &&
              (Date.parse(until) < Date.parse(current.until) || mode !== current.mode);
            if (shortening && (current.mode === 'COMPLIANCE' || !bypass)) throw accessDenied('Access Denied');
            version.retention = { mode, until: new Date(until).toISOString() };
          });
        } else {
          const status = doc.name === 'LegalHold' ? child(doc, 'Status')?.text.trim() : undefined;
          if (status !== 'ON' && status !== 'OFF') throw malformedXml('LegalHold needs Status ON or OFF');
          await updateVersion(bucket, key, versionParam, (version) => {
            version.legalHold = status;
          });
        }
        send(ctx, 200, {}, '');
        return true;
      }
    }
    if (name === 'attributes' && method === 'GET') {
      const v = await read();
      return getAttributes(ctx, bucket, v);
    }
    return false;
  }

  function getAttributes(ctx: Ctx, bucket: BucketRecord, v: VersionRecord): boolean {
    const wanted = new Set(
      (headerOf(ctx.req, 'x-amz-object-attributes') ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    );
    const known = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'];
    if (wanted.size === 0)
      throw invalidArgument('Invalid attribute name specified.', 'x-amz-object-attributes', '');
    for (const a of wanted)
      if (!known.includes(a))
        throw invalidArgument('Invalid attribute name specified.', 'x-amz-object-attributes', a);
    const children: XmlNode[] = [];
    if (wanted.has('ETag')) children.push(['ETag', (v.etag ?? '').replace(/"/g, '')]);
    if (wanted.has('Checksum') && v.checksum)
      children.push([
        'Checksum',
        [
          [`Checksum${v.checksum.algorithm.toUpperCase()}`, v.checksum.value],
          ['ChecksumType', 'FULL_OBJECT'],
        ],
      ]);
    if (wanted.has('ObjectParts') && v.partSizes) {
      const maxParts = Number(ctx.query.get('max-parts') ?? headerOf(ctx.req, 'x-amz-max-parts') ?? 1000);
      const marker = Number(
        ctx.query.get('part-number-marker') ?? headerOf(ctx.req, 'x-amz-part-number-marker') ?? 0,
      );
      const all = v.partSizes.map((size, i) => ({ n: i + 1, size })).filter((p) => p.n > marker);
      const page = all.slice(0, maxParts);
      children.push([
        'ObjectParts',
        [
          ['PartsCount', v.partSizes.length],
          ['PartNumberMarker', marker],
          ['NextPartNumberMarker', page.at(-1)?.n ?? marker],
          ['MaxParts', maxParts],
          ['IsTruncated', all.length > page.length],
          ...page.map(
            (p): XmlNode => [
              'Part',
              [
                ['PartNumber', p.n],
                ['Size', p.size],
              ],
            ],
          ),
        ],
      ]);
    }
    if (wanted.has('StorageClass')) children.push(['StorageClass', v.storageClass ?? 'STANDARD']);
    if (wanted.has('ObjectSize')) children.push(['ObjectSize', v.size ?? 0]);
    sendXml(ctx, 'GetObjectAttributesResponse', children, {
      'last-modified': new Date(v.lastModified).toUTCString(),
      ...versionHeader(bucket.versioning, v.versionId),
    });
    return true;
  }

  return { handleObjectConfig };
}
