/**
 * Lifecycle as S3 acts on a bucket's lifecycle configuration: expiration of current versions
 * (Days, Date), of noncurrent versions (NoncurrentDays, NewerNoncurrentVersions), of expired
 * delete markers (ExpiredObjectDeleteMarker), and aborting incomplete multipart uploads
 * (DaysAfterInitiation), on the emulator's clock with a configurable day length (tests use a short
 * day). Differences from S3: a day counts from the exact moment (S3 rounds to the next midnight
 * UTC), transitions are ignored (one storage class here), and no lifecycle event is emitted.
 */
import { configOf } from './bucket-config.ts';
import { NULL_VERSION } from './constants.ts';
import type { S3Core } from './core.ts';
import { newVersionId } from './http-helpers.ts';
import type { MultipartActions } from './multipart.ts';
import {
  type BucketRecord,
  bucketKey,
  HIGH,
  type ObjectRecord,
  objectKey,
  objectPrefix,
  type UploadRecord,
  type VersionRecord,
} from './storage.ts';
import type { LifecycleReport } from './types.ts';
import { child, childrenNamed, parseXml, type XmlElement } from './xml.ts';

export const DAY_MS = 86_400_000;

interface Rule {
  prefix: string;
  tags: Array<[string, string]>;
  minSize?: number;
  maxSize?: number;
  expireDays?: number;
  expireDate?: number;
  expiredDeleteMarker: boolean;
  noncurrentDays?: number;
  newerNoncurrent?: number;
  abortDays?: number;
}

const num = (e: XmlElement | undefined) => (e ? Number(e.text.trim()) : undefined);

function rulesOf(bucket: BucketRecord): Rule[] {
  const doc = configOf(bucket, 'lifecycle');
  if (!doc) return [];
  return childrenNamed(parseXml(doc), 'Rule')
    .filter((r) => child(r, 'Status')?.text.trim() === 'Enabled')
    .map((r) => {
      const filter = child(r, 'Filter');
      const and = filter && child(filter, 'And');
      const scope = and ?? filter;
      const tags = (and ? childrenNamed(and, 'Tag') : filter ? childrenNamed(filter, 'Tag') : []).map(
        (t): [string, string] => [child(t, 'Key')?.text ?? '', child(t, 'Value')?.text ?? ''],
      );
      const expiration = child(r, 'Expiration');
      const noncurrent = child(r, 'NoncurrentVersionExpiration');
      const date = expiration && child(expiration, 'Date')?.text.trim();
      const rule: Rule = {
        prefix: (scope && child(scope, 'Prefix')?.text) ?? child(r, 'Prefix')?.text ?? '',
        tags,
        expiredDeleteMarker: expiration
          ? child(expiration, 'ExpiredObjectDeleteMarker')?.text.trim() === 'true'
          : false,
      };
      const set = <K extends keyof Rule>(key: K, value: Rule[K] | undefined) => {
        if (value !== undefined && !Number.isNaN(value)) rule[key] = value;
      };
      set('minSize', num(scope && child(scope, 'ObjectSizeGreaterThan')));
      set('maxSize', num(scope && child(scope, 'ObjectSizeLessThan')));
      set('expireDays', num(expiration && child(expiration, 'Days')));
      set('expireDate', date ? Date.parse(date) : undefined);
      set('noncurrentDays', num(noncurrent && child(noncurrent, 'NoncurrentDays')));
      set('newerNoncurrent', num(noncurrent && child(noncurrent, 'NewerNoncurrentVersions')));
      set('abortDays', num(child(child(r, 'AbortIncompleteMultipartUpload') ?? r, 'DaysAfterInitiation')));
      return rule;
    });
}

function applies(rule: Rule, key: string, v: VersionRecord | undefined): boolean {
  if (!key.startsWith(rule.prefix)) return false;
  if (!v) return rule.tags.length === 0;
  if (rule.tags.some(([k, val]) => !(v.tags ?? []).some(([tk, tv]) => tk === k && tv === val))) return false;
  const size = v.size ?? 0;
  if (rule.minSize !== undefined && !(size > rule.minSize)) return false;
  if (rule.maxSize !== undefined && !(size < rule.maxSize)) return false;
  return true;
}

export function lifecycleActions(core: S3Core, multipart: MultipartActions, dayMs = DAY_MS) {
  const { storage, now } = core;

  /** One key's versions after the rules: what stays, and how many of each kind went. */
  function sweepKey(
    bucket: BucketRecord,
    rules: Rule[],
    key: string,
    versions: VersionRecord[],
    at: number,
    report: LifecycleReport,
  ) {
    let kept = [...versions];
    const current = kept[0];
    if (current && !current.deleteMarker) {
      const rule = rules.find(
        (r) =>
          applies(r, key, current) &&
          ((r.expireDays !== undefined && current.lastModified + r.expireDays * dayMs <= at) ||
            (r.expireDate !== undefined && r.expireDate <= at)),
      );
      if (rule) {
        report.expiredCurrent++;
        if (bucket.versioning === 'Unversioned') kept = kept.slice(1);
        else {
          const id = bucket.versioning === 'Enabled' ? newVersionId() : NULL_VERSION;
          const marker: VersionRecord = { versionId: id, deleteMarker: true, lastModified: at };
          kept = [marker, ...kept.filter((v) => !(id === NULL_VERSION && v.versionId === NULL_VERSION))];
        }
      }
    }
    // Noncurrent versions: each became noncurrent when the version above it was written.
    const out: VersionRecord[] = [];
    let noncurrentSeen = 0;
    kept.forEach((v, i) => {
      if (i === 0) {
        out.push(v);
        return;
      }
      const since = kept[i - 1]!.lastModified;
      noncurrentSeen++;
      const rule = rules.find(
        (r) =>
          r.noncurrentDays !== undefined &&
          applies(r, key, v.deleteMarker ? undefined : v) &&
          since + r.noncurrentDays * dayMs <= at &&
          (r.newerNoncurrent === undefined || noncurrentSeen > r.newerNoncurrent),
      );
      if (rule) report.expiredNoncurrent++;
      else out.push(v);
    });
    // A delete marker with no versions under it is an expired object delete marker.
    if (
      out.length === 1 &&
      out[0]!.deleteMarker &&
      rules.some((r) => r.expiredDeleteMarker && applies(r, key, undefined))
    ) {
      report.removedDeleteMarkers++;
      return [];
    }
    return out;
  }

  /** Applies every bucket's lifecycle rules once, at the emulator's current time. */
  async function runLifecycle(): Promise<LifecycleReport> {
    const report: LifecycleReport = {
      expiredCurrent: 0,
      expiredNoncurrent: 0,
      removedDeleteMarkers: 0,
      abortedUploads: 0,
    };
    const at = now();
    const buckets: BucketRecord[] = [];
    for await (const [, b] of storage.range<BucketRecord>(Buffer.from('b\0'), Buffer.from('b\x01')))
      buckets.push(b);
    for (const listed of buckets) {
      const rules = rulesOf(listed);
      if (rules.length === 0) continue;
      const base = objectPrefix(listed.name);
      const keys: string[] = [];
      for await (const [k] of storage.range<ObjectRecord>(base, Buffer.concat([base, HIGH]))) {
        keys.push(k.subarray(base.length).toString('utf8'));
      }
      for (const key of keys) {
        await storage.withLock(`${listed.name}\0${key}`, async () => {
          const bucket = await storage.get<BucketRecord>(bucketKey(listed.name));
          const record = await storage.get<ObjectRecord>(objectKey(listed.name, key));
          if (!bucket || !record || record.versions.length === 0) return;
          const versions = sweepKey(bucket, rules, key, record.versions, at, report);
          const removed = record.versions.filter((v) => !versions.includes(v));
          if (removed.length === 0 && versions.length === record.versions.length) return;
          const { sequencer, op } = storage.nextSequencer(at);
          await storage.batch([
            { type: 'put', key: objectKey(listed.name, key), value: { versions, sequencer } },
            op,
          ]);
          await storage.removeBlobs(removed.map((v) => v.blob));
        });
      }
      const stale: string[] = [];
      for await (const [, upload] of storage.range<UploadRecord>(Buffer.from('u\0'), Buffer.from('u\x01'))) {
        if (upload.bucket !== listed.name) continue;
        if (
          rules.some(
            (r) =>
              r.abortDays !== undefined &&
              upload.key.startsWith(r.prefix) &&
              upload.initiated + r.abortDays * dayMs <= at,
          )
        )
          stale.push(upload.uploadId);
      }
      for (const uploadId of stale) {
        await storage.withLock(`upload\0${uploadId}`, () => multipart.abortUploadRecord(uploadId));
        report.abortedUploads++;
      }
    }
    return report;
  }

  return { runLifecycle };
}
