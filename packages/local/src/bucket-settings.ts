import type { EventlineConfig } from '@eventline/config';
import {
  type IngestBucketSettings,
  ingestBucketPolicyStatements,
  ingestBucketSettings,
} from '@eventline/config';
import type { BucketConfiguration } from '@eventline/s3-emulator';

/**
 * The local ingest bucket's configuration documents, made from the same settings the CDK app gives
 * the deployed bucket (packages/config/src/bucket.ts): the bodies of PutBucketEncryption,
 * PutPublicAccessBlock, PutBucketOwnershipControls, PutBucketLifecycleConfiguration and
 * PutBucketPolicy, so that `aws s3api get-bucket-*` answers locally what it answers on AWS.
 */

const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const doc = (root: string, body: string) => `<${root} xmlns="${S3_XMLNS}">${body}</${root}>`;
const escapeText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function bucketDocuments(settings: IngestBucketSettings, bucketName: string): BucketConfiguration {
  const pab = settings.blockPublicAccess;
  const rules = settings.lifecycleRules
    .map(
      (rule) =>
        `<Rule><ID>${escapeText(rule.id)}</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status>` +
        (rule.expiredObjectDeleteMarker
          ? '<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>'
          : '') +
        `<NoncurrentVersionExpiration><NoncurrentDays>${rule.noncurrentVersionDays}</NoncurrentDays></NoncurrentVersionExpiration>` +
        `<AbortIncompleteMultipartUpload><DaysAfterInitiation>${rule.abortIncompleteMultipartUploadDays}</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>`,
    )
    .join('');
  return {
    publicAccessBlock: doc(
      'PublicAccessBlockConfiguration',
      `<BlockPublicAcls>${pab.blockPublicAcls}</BlockPublicAcls><IgnorePublicAcls>${pab.ignorePublicAcls}</IgnorePublicAcls>` +
        `<BlockPublicPolicy>${pab.blockPublicPolicy}</BlockPublicPolicy><RestrictPublicBuckets>${pab.restrictPublicBuckets}</RestrictPublicBuckets>`,
    ),
    encryption: doc(
      'ServerSideEncryptionConfiguration',
      `<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>${settings.encryption}</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule>`,
    ),
    ownershipControls: doc(
      'OwnershipControls',
      `<Rule><ObjectOwnership>${settings.objectOwnership}</ObjectOwnership></Rule>`,
    ),
    lifecycle: doc('LifecycleConfiguration', rules),
    policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: ingestBucketPolicyStatements(settings, `arn:aws:s3:::${bucketName}`),
    }),
  };
}

export const localBucketDocuments = (config: EventlineConfig) =>
  bucketDocuments(ingestBucketSettings(config), config.bucket.name);
