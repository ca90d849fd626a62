/**
 * The S3 emulator's public types: its options, the emulator itself, and the object events it emits.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BucketConfigName } from './config-docs.ts';

export type VersioningState = 'Unversioned' | 'Enabled' | 'Suspended';

export type S3EventName =
  | 'ObjectCreated:Put'
  | 'ObjectCreated:Copy'
  | 'ObjectCreated:Post'
  | 'ObjectCreated:CompleteMultipartUpload'
  | 'ObjectRemoved:Delete'
  | 'ObjectRemoved:DeleteMarkerCreated';

/** One object-level change, after it is durable; shape it into an S3 event record as needed. */
export interface S3ObjectEvent {
  eventName: S3EventName;
  bucket: string;
  /** The key as stored (not URL-encoded). */
  key: string;
  /** Bytes of the object; absent on removals. */
  size?: number;
  /** Hex MD5 or `md5-N`, without quotes; on a delete marker the MD5 of nothing. */
  eTag?: string;
  /** Present for writes and deletes in a versioned bucket, absent for `null` versions (as AWS sends). */
  versionId?: string;
  /** Hex, grows with every write and delete of the key, also across restarts. */
  sequencer: string;
  /** ISO-8601 with milliseconds. */
  eventTime: string;
  region: string;
  requestId: string;
  sourceIpAddress: string;
}

export interface S3EmulatorOptions {
  /** Directory for object data and metadata; created when missing; one emulator at a time. */
  dataDir: string;
  /** Region of every bucket (default us-east-1). */
  region?: string;
  /**
   * The secret for an access key id, or undefined when the key is unknown. Signatures (SigV4 header,
   * query and chunked; SigV2 header and query) are verified only when this is given.
   */
  credentials?: (accessKeyId: string) => string | undefined;
  /** Called after each object-level change is durable; must not throw. */
  onObjectEvent?: (event: S3ObjectEvent) => void;
  /** Called when onObjectEvent throws (default: a process warning). */
  onEventError?: (error: unknown, event: S3ObjectEvent) => void;
  /** Longest key in UTF-8 bytes (default 1024, as S3). */
  maxKeyBytes?: number;
  /** fsync object data, its directory and metadata before answering (default true). */
  fsync?: boolean;
  /** Clock, for tests of expiry (default Date.now). */
  now?: () => number;
  /**
   * Lifecycle rules are applied every `intervalMs` (default: only when `runLifecycle()` is called),
   * counting days of `dayMs` milliseconds (default 86,400,000; tests use a short day).
   */
  lifecycle?: { intervalMs?: number; dayMs?: number };
  /** Account of every signed request, the principal bucket policies are evaluated for (default 000000000000). */
  accountId?: string;
  /**
   * Whether a request came over a secure transport (the policy key aws:SecureTransport); default:
   * its socket is TLS. Policies are evaluated only when `credentials` is given.
   */
  secureTransport?: (req: IncomingMessage) => boolean;
}

export interface S3Emulator {
  /** Serves one S3 request; mount it on any node:http server. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /**
   * Creates a bucket unless it exists, and sets its versioning and configuration documents when given
   * (the bodies of PutBucketEncryption, PutBucketLifecycleConfiguration, PutPublicAccessBlock,
   * PutBucketOwnershipControls, PutBucketPolicy, PutBucketCors, PutBucketTagging).
   */
  ensureBucket(name: string, options?: EnsureBucketOptions): Promise<void>;
  /** Applies every bucket's lifecycle rules once, now (expirations, aborted uploads). */
  runLifecycle(): Promise<LifecycleReport>;
  close(): Promise<void>;
}

export interface ListeningS3Emulator extends S3Emulator {
  port: number;
  url: string;
}

/** Configurations a bucket can be given at start (`ensureBucket`): the bodies of the S3 Put requests. */
export type BucketConfiguration = Partial<Record<Exclude<BucketConfigName, 'acl' | 'object-lock'>, string>>;

export interface EnsureBucketOptions {
  versioning?: 'Enabled' | 'Suspended';
  /** Set (and kept in step on every start) as PutBucket* requests with these documents would. */
  configuration?: BucketConfiguration;
}

/** What one lifecycle run removed. */
export interface LifecycleReport {
  expiredCurrent: number;
  expiredNoncurrent: number;
  removedDeleteMarkers: number;
  abortedUploads: number;
}
