/** Limits and fixed values of S3 (reference s3-api-semantics.md; AWS user guide `qfacts.md`). */

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
/** A key is at most 1,024 bytes of UTF-8 (UG `object-keys.md`). */
export const MAX_KEY_BYTES = 1024;
/** Every part but the last must be at least 5 MiB (UG `qfacts.md`). */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const MAX_PART_NUMBER = 10_000;
export const DEFAULT_MAX_KEYS = 1000;
/** MD5 of the empty string: the eTag of a delete marker in event notifications. */
export const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e';
export const NULL_VERSION = 'null';
/** Largest X-Amz-Expires of a SigV4 presigned URL: seven days. */
export const MAX_PRESIGN_EXPIRES = 604_800;
/** Largest difference between a signed request's date and the server clock (AWS: 15 minutes). */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
export const DEFAULT_REGION = 'us-east-1';
/** The account a signed request belongs to, for bucket policies (option accountId). */
export const DEFAULT_ACCOUNT_ID = '000000000000';
export const OWNER_ID = '75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a';
export const OWNER_NAME = 'emulator';

/** Query parameters that select a bucket or object sub-resource this emulator does not serve. */
export const UNSUPPORTED_SUBRESOURCES = [
  'accelerate',
  'analytics',
  'intelligent-tiering',
  'inventory',
  'logging',
  'metrics',
  'policyStatus',
  'replication',
  'requestPayment',
  'restore',
  'select',
  'torrent',
  'website',
] as const;
