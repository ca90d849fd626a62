import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCorsCommand,
  DeleteBucketEncryptionCommand,
  DeleteBucketLifecycleCommand,
  DeleteBucketOwnershipControlsCommand,
  DeleteBucketPolicyCommand,
  DeleteBucketTaggingCommand,
  DeleteObjectCommand,
  DeleteObjectTaggingCommand,
  DeletePublicAccessBlockCommand,
  GetBucketAclCommand,
  GetBucketCorsCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetObjectAclCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  GetObjectTaggingCommand,
  GetPublicAccessBlockCommand,
  HeadObjectCommand,
  PutBucketAclCommand,
  PutBucketCorsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectLockConfigurationCommand,
  PutObjectRetentionCommand,
  PutObjectTaggingCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { type Case, newBucket, put, rejects } from './case-kit.ts';
import { bucketName, errorCode, signedFetch } from './target.ts';

/**
 * Bucket configuration (S3 API reference of each Get/Put/Delete operation) and the object
 * sub-resources: tagging, ACLs under Object Ownership, object lock, GetObjectAttributes. Section
 * names are the operations of the API reference; "defaults" are those of a bucket created since
 * April 2023 (S3 user guide: default encryption; Block Public Access and Object Ownership defaults).
 */

const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';

/** A bucket whose ACLs are enabled and public ACLs allowed (ObjectWriter, no public access block). */
async function aclBucket(s3: S3Client, label: string): Promise<string> {
  const Bucket = await newBucket(s3, label);
  await s3.send(
    new PutBucketOwnershipControlsCommand({
      Bucket,
      OwnershipControls: { Rules: [{ ObjectOwnership: 'ObjectWriter' }] },
    }),
  );
  await s3.send(new DeletePublicAccessBlockCommand({ Bucket }));
  return Bucket;
}

const tlsOnlyPolicy = (Bucket: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:*',
        Resource: [`arn:aws:s3:::${Bucket}`, `arn:aws:s3:::${Bucket}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  });

export const bucketConfigCases: Case[] = [
  {
    name: 'defaults: a new bucket has SSE-S3 encryption, all four public access blocks on, BucketOwnerEnforced',
    motoDiffers: 'moto gives a new bucket no public access block and no ownership controls',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'defaults');
      const enc = await s3.send(new GetBucketEncryptionCommand({ Bucket }));
      const rule = enc.ServerSideEncryptionConfiguration?.Rules?.[0];
      expect(rule?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('AES256');
      expect(rule?.BucketKeyEnabled).toBe(false);
      const pab = await s3.send(new GetPublicAccessBlockCommand({ Bucket }));
      expect(pab.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      });
      const own = await s3.send(new GetBucketOwnershipControlsCommand({ Bucket }));
      expect(own.OwnershipControls?.Rules?.[0]?.ObjectOwnership).toBe('BucketOwnerEnforced');
    },
  },
  {
    name: 'PutPublicAccessBlock / Get / Delete → NoSuchPublicAccessBlockConfiguration',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'pab');
      const config = {
        BlockPublicAcls: true,
        IgnorePublicAcls: false,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: false,
      };
      await s3.send(new PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: config }));
      const got = await s3.send(new GetPublicAccessBlockCommand({ Bucket }));
      expect(got.PublicAccessBlockConfiguration).toEqual(config);
      await s3.send(new DeletePublicAccessBlockCommand({ Bucket }));
      await rejects(
        s3.send(new GetPublicAccessBlockCommand({ Bucket })),
        404,
        'NoSuchPublicAccessBlockConfiguration',
      );
    },
  },
  {
    name: 'PutBucketEncryption / Get; Delete resets to SSE-S3; every object response says AES256',
    motoDiffers: 'moto sends no x-amz-server-side-encryption on a bucket without an encryption configuration',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'encryption');
      const putOut = await put(s3, Bucket, 'k', 'v');
      expect(putOut.ServerSideEncryption).toBe('AES256');
      expect((await s3.send(new GetObjectCommand({ Bucket, Key: 'k' }))).ServerSideEncryption).toBe('AES256');
      expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'k' }))).ServerSideEncryption).toBe(
        'AES256',
      );
      await s3.send(
        new PutBucketEncryptionCommand({
          Bucket,
          ServerSideEncryptionConfiguration: {
            Rules: [
              {
                ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'alias/mine' },
                BucketKeyEnabled: true,
              },
            ],
          },
        }),
      );
      const got = await s3.send(new GetBucketEncryptionCommand({ Bucket }));
      expect(got.ServerSideEncryptionConfiguration?.Rules?.[0]).toEqual({
        ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'alias/mine' },
        BucketKeyEnabled: true,
      });
      await s3.send(new DeleteBucketEncryptionCommand({ Bucket }));
      const reset = await s3.send(new GetBucketEncryptionCommand({ Bucket }));
      expect(
        reset.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
      ).toBe('AES256');
    },
  },
  {
    name: 'PutBucketLifecycleConfiguration / Get / Delete → NoSuchLifecycleConfiguration; duplicate rule ids are InvalidArgument',
    motoDiffers: 'moto accepts two lifecycle rules with the same ID',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'lifecycle', 'Enabled');
      await rejects(
        s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket })),
        404,
        'NoSuchLifecycleConfiguration',
      );
      const rule = {
        ID: 'expire-noncurrent-versions',
        Status: 'Enabled' as const,
        Filter: { Prefix: '' },
        NoncurrentVersionExpiration: { NoncurrentDays: 30 },
        Expiration: { ExpiredObjectDeleteMarker: true },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
      };
      await s3.send(
        new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: { Rules: [rule] } }),
      );
      const got = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }));
      expect(got.Rules).toEqual([rule]);
      await rejects(
        s3.send(
          new PutBucketLifecycleConfigurationCommand({
            Bucket,
            LifecycleConfiguration: { Rules: [rule, rule] },
          }),
        ),
        400,
        'InvalidArgument',
      );
      await s3.send(new DeleteBucketLifecycleCommand({ Bucket }));
      await rejects(
        s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket })),
        404,
        'NoSuchLifecycleConfiguration',
      );
    },
  },
  {
    name: 'PutBucketPolicy / Get / Delete → NoSuchBucketPolicy; bad JSON is MalformedPolicy; a public policy under BlockPublicPolicy is AccessDenied',
    motoDiffers: 'moto accepts a public policy although the bucket blocks public policies',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'policy');
      await rejects(s3.send(new GetBucketPolicyCommand({ Bucket })), 404, 'NoSuchBucketPolicy');
      await s3.send(new PutBucketPolicyCommand({ Bucket, Policy: tlsOnlyPolicy(Bucket) }));
      const got = await s3.send(new GetBucketPolicyCommand({ Bucket }));
      expect(JSON.parse(got.Policy!)).toEqual(JSON.parse(tlsOnlyPolicy(Bucket)));
      await rejects(
        s3.send(new PutBucketPolicyCommand({ Bucket, Policy: 'not json' })),
        400,
        'MalformedPolicy',
      );
      const publicRead = JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${Bucket}/*` },
        ],
      });
      await rejects(s3.send(new PutBucketPolicyCommand({ Bucket, Policy: publicRead })), 403, 'AccessDenied');
      await s3.send(new DeleteBucketPolicyCommand({ Bucket }));
      await rejects(s3.send(new GetBucketPolicyCommand({ Bucket })), 404, 'NoSuchBucketPolicy');
    },
  },
  {
    name: 'PutBucketOwnershipControls / Get / Delete → OwnershipControlsNotFoundError',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'ownership');
      await s3.send(
        new PutBucketOwnershipControlsCommand({
          Bucket,
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] },
        }),
      );
      const got = await s3.send(new GetBucketOwnershipControlsCommand({ Bucket }));
      expect(got.OwnershipControls?.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerPreferred' }]);
      await s3.send(new DeleteBucketOwnershipControlsCommand({ Bucket }));
      await rejects(
        s3.send(new GetBucketOwnershipControlsCommand({ Bucket })),
        404,
        'OwnershipControlsNotFoundError',
      );
    },
  },
  {
    name: 'PutBucketCors / Get / Delete → NoSuchCORSConfiguration; an unsupported method is InvalidRequest',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'cors');
      await rejects(s3.send(new GetBucketCorsCommand({ Bucket })), 404, 'NoSuchCORSConfiguration');
      const rule = {
        ID: 'uploads',
        AllowedOrigins: ['https://app.example.com'],
        AllowedMethods: ['PUT', 'POST'],
        AllowedHeaders: ['*'],
        ExposeHeaders: ['ETag'],
        MaxAgeSeconds: 600,
      };
      await s3.send(new PutBucketCorsCommand({ Bucket, CORSConfiguration: { CORSRules: [rule] } }));
      expect((await s3.send(new GetBucketCorsCommand({ Bucket }))).CORSRules).toEqual([rule]);
      await rejects(
        s3.send(
          new PutBucketCorsCommand({
            Bucket,
            CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['PATCH'] }] },
          }),
        ),
        400,
        'InvalidRequest',
      );
      await s3.send(new DeleteBucketCorsCommand({ Bucket }));
      await rejects(s3.send(new GetBucketCorsCommand({ Bucket })), 404, 'NoSuchCORSConfiguration');
    },
  },
  {
    name: 'CORS: a preflight OPTIONS is answered by the first matching rule, refused otherwise; actual requests get Access-Control-* headers',
    motoDiffers: 'moto answers a preflight with 200 on a bucket that has no CORS configuration',
    async run({ s3, endpoint }) {
      const Bucket = await newBucket(s3, 'cors-preflight');
      const origin = 'https://app.example.com';
      const preflight = (headers: Record<string, string>, path = `/${Bucket}/uploads/a.csv`) =>
        fetch(`${endpoint}${path}`, { method: 'OPTIONS', headers });
      const none = await preflight({ Origin: origin, 'Access-Control-Request-Method': 'PUT' });
      expect(none.status).toBe(403);
      expect(errorCode(await none.text())).toBe('CORSResponse');
      await s3.send(
        new PutBucketCorsCommand({
          Bucket,
          CORSConfiguration: {
            CORSRules: [
              {
                AllowedOrigins: ['https://*.example.com'],
                AllowedMethods: ['PUT', 'POST'],
                AllowedHeaders: ['content-type', 'x-amz-*'],
                ExposeHeaders: ['ETag'],
                MaxAgeSeconds: 600,
              },
              { AllowedOrigins: ['*'], AllowedMethods: ['GET'] },
            ],
          },
        }),
      );
      const ok = await preflight({
        Origin: origin,
        'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'content-type, x-amz-meta-owner',
      });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('access-control-allow-origin')).toBe(origin);
      expect(ok.headers.get('access-control-allow-methods')).toBe('PUT, POST');
      expect(ok.headers.get('access-control-allow-headers')?.toLowerCase()).toBe(
        'content-type, x-amz-meta-owner',
      );
      expect(ok.headers.get('access-control-expose-headers')).toBe('ETag');
      expect(ok.headers.get('access-control-max-age')).toBe('600');
      const anyGet = await preflight({
        Origin: 'https://elsewhere.org',
        'Access-Control-Request-Method': 'GET',
      });
      expect(anyGet.status).toBe(200);
      expect(anyGet.headers.get('access-control-allow-origin')).toBe('*');
      const refused = await preflight({
        Origin: 'https://elsewhere.org',
        'Access-Control-Request-Method': 'PUT',
      });
      expect(refused.status).toBe(403);
      expect(errorCode(await refused.text())).toBe('AccessForbidden');
      const badHeader = await preflight({
        Origin: origin,
        'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'x-custom',
      });
      expect(badHeader.status).toBe(403);
      const actual = await signedFetch(
        endpoint,
        'PUT',
        `/${Bucket}/uploads/a.csv`,
        {},
        {
          body: 'a,b',
          headers: { Origin: origin },
        },
      );
      expect(actual.status).toBe(200);
      expect(actual.headers.get('access-control-allow-origin')).toBe(origin);
      expect(actual.headers.get('access-control-expose-headers')).toBe('ETag');
    },
  },
  {
    name: 'PutBucketTagging / Get / Delete → NoSuchTagSet; a repeated key is InvalidTag',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'bucket-tags');
      await rejects(s3.send(new GetBucketTaggingCommand({ Bucket })), 404, 'NoSuchTagSet');
      const TagSet = [
        { Key: 'team', Value: 'ingest' },
        { Key: 'cost center', Value: 'a/b=c' },
      ];
      await s3.send(new PutBucketTaggingCommand({ Bucket, Tagging: { TagSet } }));
      expect((await s3.send(new GetBucketTaggingCommand({ Bucket }))).TagSet).toEqual(TagSet);
      await rejects(
        s3.send(
          new PutBucketTaggingCommand({
            Bucket,
            Tagging: {
              TagSet: [
                { Key: 'a', Value: '1' },
                { Key: 'a', Value: '2' },
              ],
            },
          }),
        ),
        400,
        'InvalidTag',
      );
      await s3.send(new DeleteBucketTaggingCommand({ Bucket }));
      await rejects(s3.send(new GetBucketTaggingCommand({ Bucket })), 404, 'NoSuchTagSet');
    },
  },
  {
    name: 'object tagging: x-amz-tagging on PUT, GetObject TagCount, Put/Get/DeleteObjectTagging, more than 10 tags is BadRequest',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'object-tags');
      await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'v', Tagging: 'state=new&owner=a%20b' }));
      expect((await s3.send(new GetObjectTaggingCommand({ Bucket, Key: 'k' }))).TagSet).toEqual([
        { Key: 'state', Value: 'new' },
        { Key: 'owner', Value: 'a b' },
      ]);
      expect((await s3.send(new GetObjectCommand({ Bucket, Key: 'k' }))).TagCount).toBe(2);
      await s3.send(
        new PutObjectTaggingCommand({
          Bucket,
          Key: 'k',
          Tagging: { TagSet: [{ Key: 'state', Value: 'processed' }] },
        }),
      );
      expect((await s3.send(new GetObjectTaggingCommand({ Bucket, Key: 'k' }))).TagSet).toEqual([
        { Key: 'state', Value: 'processed' },
      ]);
      const many = Array.from({ length: 11 }, (_, i) => ({ Key: `t${i}`, Value: 'x' }));
      await rejects(
        s3.send(new PutObjectTaggingCommand({ Bucket, Key: 'k', Tagging: { TagSet: many } })),
        400,
        'BadRequest',
      );
      await s3.send(new DeleteObjectTaggingCommand({ Bucket, Key: 'k' }));
      expect((await s3.send(new GetObjectTaggingCommand({ Bucket, Key: 'k' }))).TagSet).toEqual([]);
      await rejects(s3.send(new GetObjectTaggingCommand({ Bucket, Key: 'missing' })), 404, 'NoSuchKey');
    },
  },
  {
    name: 'CopyObject tagging directive: COPY keeps the source tags, REPLACE takes x-amz-tagging',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'copy-tags');
      await s3.send(new PutObjectCommand({ Bucket, Key: 'src', Body: 'v', Tagging: 'a=1' }));
      await s3.send(new CopyObjectCommand({ Bucket, Key: 'copy', CopySource: `${Bucket}/src` }));
      expect((await s3.send(new GetObjectTaggingCommand({ Bucket, Key: 'copy' }))).TagSet).toEqual([
        { Key: 'a', Value: '1' },
      ]);
      await s3.send(
        new CopyObjectCommand({
          Bucket,
          Key: 'replaced',
          CopySource: `${Bucket}/src`,
          TaggingDirective: 'REPLACE',
          Tagging: 'b=2',
        }),
      );
      expect((await s3.send(new GetObjectTaggingCommand({ Bucket, Key: 'replaced' }))).TagSet).toEqual([
        { Key: 'b', Value: '2' },
      ]);
    },
  },
  {
    name: 'ACLs under BucketOwnerEnforced: bucket-owner-full-control is accepted, public-read is AccessControlListNotSupported',
    motoDiffers: 'moto accepts ACLs on a bucket whose ownership disables them',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'acl-enforced');
      await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'v', ACL: 'bucket-owner-full-control' }));
      await rejects(
        s3.send(new PutObjectCommand({ Bucket, Key: 'k2', Body: 'v', ACL: 'public-read' })),
        400,
        'AccessControlListNotSupported',
      );
      await rejects(
        s3.send(new PutBucketAclCommand({ Bucket, ACL: 'public-read' })),
        400,
        'AccessControlListNotSupported',
      );
      const acl = await s3.send(new GetBucketAclCommand({ Bucket }));
      expect(acl.Grants?.map((g) => g.Permission)).toEqual(['FULL_CONTROL']);
      expect(acl.Grants?.[0]?.Grantee?.ID).toBe(acl.Owner?.ID);
      await rejects(
        s3.send(new CreateBucketCommand({ Bucket: bucketName('acl-create'), ACL: 'public-read' })),
        400,
        'InvalidBucketAclWithObjectOwnership',
      );
    },
  },
  {
    name: 'ACLs enabled (ObjectWriter): canned ACLs are stored and returned; BlockPublicAcls refuses public ones with AccessDenied',
    motoDiffers: 'moto does not refuse a public ACL under BlockPublicAcls',
    async run({ s3 }) {
      const Bucket = await aclBucket(s3, 'acl-enabled');
      await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'v', ACL: 'public-read' }));
      const acl = await s3.send(new GetObjectAclCommand({ Bucket, Key: 'k' }));
      expect(acl.Grants?.map((g) => [g.Grantee?.Type, g.Grantee?.URI ?? 'owner', g.Permission])).toEqual([
        ['CanonicalUser', 'owner', 'FULL_CONTROL'],
        ['Group', ALL_USERS, 'READ'],
      ]);
      await s3.send(new PutObjectAclCommand({ Bucket, Key: 'k', ACL: 'private' }));
      expect((await s3.send(new GetObjectAclCommand({ Bucket, Key: 'k' }))).Grants).toHaveLength(1);
      await s3.send(new PutBucketAclCommand({ Bucket, ACL: 'public-read' }));
      expect((await s3.send(new GetBucketAclCommand({ Bucket }))).Grants?.[1]?.Grantee?.URI).toBe(ALL_USERS);
      await s3.send(
        new PutPublicAccessBlockCommand({
          Bucket,
          PublicAccessBlockConfiguration: { BlockPublicAcls: true },
        }),
      );
      await rejects(
        s3.send(new PutObjectAclCommand({ Bucket, Key: 'k', ACL: 'public-read' })),
        403,
        'AccessDenied',
      );
    },
  },
  {
    name: 'object lock: a bucket made with lock enabled, default retention, legal hold; a protected version cannot be deleted',
    motoDiffers: 'moto lets versioning of an object lock bucket be suspended',
    async run({ s3 }) {
      const Bucket = bucketName('lock');
      await s3.send(new CreateBucketCommand({ Bucket, ObjectLockEnabledForBucket: true }));
      expect(
        (await s3.send(new GetObjectLockConfigurationCommand({ Bucket }))).ObjectLockConfiguration,
      ).toEqual({
        ObjectLockEnabled: 'Enabled',
      });
      await rejects(
        s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Suspended' } })),
        409,
        'InvalidBucketState',
      );
      await s3.send(
        new PutObjectLockConfigurationCommand({
          Bucket,
          ObjectLockConfiguration: {
            ObjectLockEnabled: 'Enabled',
            Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } },
          },
        }),
      );
      const v = await put(s3, Bucket, 'k', 'v');
      const retention = await s3.send(new GetObjectRetentionCommand({ Bucket, Key: 'k' }));
      expect(retention.Retention?.Mode).toBe('GOVERNANCE');
      expect(retention.Retention?.RetainUntilDate?.getTime()).toBeGreaterThan(Date.now());
      await rejects(
        s3.send(new DeleteObjectCommand({ Bucket, Key: 'k', VersionId: v.VersionId })),
        403,
        'AccessDenied',
      );
      await s3.send(new PutObjectLegalHoldCommand({ Bucket, Key: 'k', LegalHold: { Status: 'ON' } }));
      expect((await s3.send(new GetObjectLegalHoldCommand({ Bucket, Key: 'k' }))).LegalHold?.Status).toBe(
        'ON',
      );
      await rejects(
        s3.send(
          new DeleteObjectCommand({
            Bucket,
            Key: 'k',
            VersionId: v.VersionId,
            BypassGovernanceRetention: true,
          }),
        ),
        403,
        'AccessDenied',
      );
      await s3.send(new PutObjectLegalHoldCommand({ Bucket, Key: 'k', LegalHold: { Status: 'OFF' } }));
      await s3.send(
        new DeleteObjectCommand({
          Bucket,
          Key: 'k',
          VersionId: v.VersionId,
          BypassGovernanceRetention: true,
        }),
      );
    },
  },
  {
    name: 'object lock on a bucket without it: ObjectLockConfigurationNotFoundError, retention is InvalidRequest',
    motoDiffers: 'moto answers InvalidBucketState with 400 instead of 409',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'no-lock');
      await put(s3, Bucket, 'k', 'v');
      await rejects(
        s3.send(new GetObjectLockConfigurationCommand({ Bucket })),
        404,
        'ObjectLockConfigurationNotFoundError',
      );
      await rejects(
        s3.send(
          new PutObjectRetentionCommand({
            Bucket,
            Key: 'k',
            Retention: { Mode: 'GOVERNANCE', RetainUntilDate: new Date(Date.now() + 86_400_000) },
          }),
        ),
        400,
        'InvalidRequest',
      );
      await rejects(
        s3.send(
          new PutObjectLockConfigurationCommand({
            Bucket,
            ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' },
          }),
        ),
        409,
        'InvalidBucketState',
      );
    },
  },
  {
    name: 'GetObjectAttributes: ETag, ObjectSize, StorageClass, ObjectParts of a multipart object',
    motoDiffers: 'moto sends Last-Modified in ISO 8601 instead of an HTTP date, which the SDK rejects',
    async run({ s3 }) {
      const Bucket = await newBucket(s3, 'attributes');
      const out = await put(s3, Bucket, 'k', 'hello');
      const attrs = await s3.send(
        new GetObjectAttributesCommand({
          Bucket,
          Key: 'k',
          ObjectAttributes: ['ETag', 'ObjectSize', 'StorageClass'],
        }),
      );
      expect(attrs.ETag).toBe(out.ETag!.replace(/"/g, ''));
      expect(attrs.ObjectSize).toBe(5);
      expect(attrs.StorageClass).toBe('STANDARD');
      expect(attrs.LastModified).toBeInstanceOf(Date);
      await rejects(
        s3.send(new GetObjectAttributesCommand({ Bucket, Key: 'missing', ObjectAttributes: ['ETag'] })),
        404,
        'NoSuchKey',
      );
    },
  },
];
