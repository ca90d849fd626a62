import type { EventlineConfig } from './schema.ts';

/**
 * The ingest bucket's settings, in one place: the CDK app (packages/infra) builds the deployed
 * bucket from here and the local stack (packages/local) configures the local bucket from here, so
 * that `aws s3api get-bucket-encryption` (-lifecycle-configuration, -public-access-block,
 * -ownership-controls, -policy) answers the same locally and on AWS.
 */

export interface IngestLifecycleRule {
  id: string;
  /** Old versions are deleted this many days after they stop being current. */
  noncurrentVersionDays: number;
  /** A delete marker with no versions under it is removed. */
  expiredObjectDeleteMarker: boolean;
  abortIncompleteMultipartUploadDays: number;
}

export interface IngestBucketSettings {
  versioned: true;
  /** All four public access blocks. */
  blockPublicAccess: {
    blockPublicAcls: true;
    ignorePublicAcls: true;
    blockPublicPolicy: true;
    restrictPublicBuckets: true;
  };
  /** SSE-S3: the function reads objects without any KMS permission. */
  encryption: 'AES256';
  /** ACLs disabled. */
  objectOwnership: 'BucketOwnerEnforced';
  /** A bucket policy denies any request without TLS… */
  enforceSSL: true;
  /** …and with a TLS version below this one. */
  minimumTLSVersion: 1.2;
  lifecycleRules: IngestLifecycleRule[];
}

export function ingestBucketSettings(config: EventlineConfig): IngestBucketSettings {
  return {
    versioned: true,
    blockPublicAccess: {
      blockPublicAcls: true,
      ignorePublicAcls: true,
      blockPublicPolicy: true,
      restrictPublicBuckets: true,
    },
    encryption: 'AES256',
    objectOwnership: 'BucketOwnerEnforced',
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    lifecycleRules: [
      {
        id: 'expire-noncurrent-versions',
        noncurrentVersionDays: config.bucket.noncurrentVersionDays,
        expiredObjectDeleteMarker: true,
        abortIncompleteMultipartUploadDays: 7,
      },
    ],
  };
}

/**
 * The bucket policy statements S3 holds for these settings, as aws-cdk-lib writes them for
 * `enforceSSL` and `minimumTLSVersion` (Deny to anyone, on the bucket and its objects).
 */
export function ingestBucketPolicyStatements(settings: IngestBucketSettings, bucketArn: string) {
  const resources = [bucketArn, `${bucketArn}/*`];
  const deny = (condition: Record<string, Record<string, string | number>>) => ({
    Action: 's3:*',
    Condition: condition,
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Resource: resources,
  });
  return [
    ...(settings.enforceSSL ? [deny({ Bool: { 'aws:SecureTransport': 'false' } })] : []),
    deny({ NumericLessThan: { 's3:TlsVersion': settings.minimumTLSVersion } }),
  ];
}
