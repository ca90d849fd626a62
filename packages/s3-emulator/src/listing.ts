import { HIGH, type ObjectRecord, objectPrefix, type Storage, type VersionRecord } from './storage.ts';

/**
 * Walks a bucket's keys in UTF-8 byte order (LevelDB's order: the keys are stored as bytes),
 * rolling keys up into common prefixes, and skipping a whole rolled-up group with one seek.
 * Reference s3-api-semantics.md section 1.
 */

export type ListEntry =
  | { kind: 'object'; key: string; version: VersionRecord; isLatest: boolean }
  | { kind: 'prefix'; prefix: string };

export interface ListInput {
  prefix: string;
  delimiter: string;
  /** Keys and common prefixes not greater than this (in byte order) are left out. */
  after?: string;
  /** With `versions`: continue after this version of the key `after` (key-marker + version-id-marker). */
  afterVersionId?: string;
  maxKeys: number;
  /** List every version and delete marker (ListObjectVersions) instead of current objects. */
  versions?: boolean;
}

const enc = (s: string) => Buffer.from(s, 'utf8');

export async function listBucket(
  storage: Storage,
  bucket: string,
  input: ListInput,
): Promise<{ entries: ListEntry[]; truncated: boolean }> {
  const entries: ListEntry[] = [];
  if (input.maxKeys <= 0) return { entries, truncated: false };
  const base = objectPrefix(bucket);
  const prefixBytes = enc(input.prefix);
  const afterBytes = input.after !== undefined ? enc(input.after) : undefined;
  const upper = Buffer.concat([base, prefixBytes, HIGH]);
  const range: { gt?: Buffer; gte?: Buffer; lt: Buffer } = { lt: upper };
  if (afterBytes && Buffer.compare(afterBytes, prefixBytes) >= 0) {
    if (input.afterVersionId !== undefined) range.gte = Buffer.concat([base, afterBytes]);
    else range.gt = Buffer.concat([base, afterBytes]);
  } else {
    range.gte = Buffer.concat([base, prefixBytes]);
  }
  let truncated = false;
  const iterator = storage.db.iterator(range);
  try {
    walk: for (;;) {
      const next = await iterator.next();
      if (!next) break;
      const [rawKey, value] = next;
      const record = value as ObjectRecord;
      const key = rawKey.subarray(base.length).toString('utf8');
      const current = record.versions[0];
      if (!current || (!input.versions && current.deleteMarker)) continue;
      if (input.delimiter !== '') {
        const rest = key.slice(input.prefix.length);
        const at = rest.indexOf(input.delimiter);
        if (at >= 0) {
          const common = input.prefix + rest.slice(0, at + input.delimiter.length);
          const commonBytes = enc(common);
          if (!afterBytes || Buffer.compare(commonBytes, afterBytes) > 0) {
            if (entries.length >= input.maxKeys) {
              truncated = true;
              break;
            }
            entries.push({ kind: 'prefix', prefix: common });
          }
          iterator.seek(Buffer.concat([base, commonBytes, HIGH]));
          continue;
        }
      }
      if (!input.versions) {
        if (entries.length >= input.maxKeys) {
          truncated = true;
          break;
        }
        entries.push({ kind: 'object', key, version: current, isLatest: true });
        continue;
      }
      let versions = record.versions;
      if (input.afterVersionId !== undefined && key === input.after) {
        const at = versions.findIndex((v) => v.versionId === input.afterVersionId);
        versions = at >= 0 ? versions.slice(at + 1) : [];
      }
      for (const version of versions) {
        if (entries.length >= input.maxKeys) {
          truncated = true;
          break walk;
        }
        entries.push({ kind: 'object', key, version, isLatest: version === current });
      }
    }
  } finally {
    await iterator.close();
  }
  return { entries, truncated };
}

/** `encoding-type=url`: UTF-8 bytes percent-encoded except `A-Za-z0-9-_.~` and `/` (space as %20). */
export function urlEncodeKey(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~/]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
