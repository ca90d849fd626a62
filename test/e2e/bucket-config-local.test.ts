/**
 * The local ingest bucket carries the deployed bucket's configuration (issue 24): `aws s3api
 * get-bucket-encryption`, `-public-access-block`, `-ownership-controls`, `-lifecycle-configuration`
 * and `-policy` against the running local stack answer what the CDK app's template gives the deployed
 * bucket (both are made from packages/config/src/bucket.ts), and every object response says AES256.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configOf, synthesize } from '../infra/support.ts';
import {
  BUCKET,
  CREDENTIALS,
  removeDir,
  startTestStack,
  type TestStack,
  tempDir,
} from '../reliability/support/harness.ts';

const run = promisify(execFile);

type Json = Record<string, unknown>;

describe('the local ingest bucket reports the deployed bucket configuration', () => {
  let test: TestStack;
  let dir: string;
  let bucketProps: Json;
  let policyStatements: unknown[];

  const s3api = async (...args: string[]): Promise<Json> => {
    const { stdout } = await run(
      'aws',
      ['--endpoint-url', test.stack.url, 's3api', ...args, '--bucket', BUCKET, '--output', 'json'],
      {
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
          AWS_DEFAULT_REGION: 'us-east-1',
          AWS_CONFIG_FILE: join(dir, 'none'),
          AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
        },
        timeout: 60_000,
      },
    );
    return JSON.parse(stdout) as Json;
  };

  beforeAll(async () => {
    dir = await tempDir('bucket-config-local');
    test = await startTestStack({ config: { bucket: { noncurrentVersionDays: 45 } } });
    // The deployed bucket, as the CDK app synthesizes it for the same settings.
    const template = synthesize(
      configOf({ bucket: { noncurrentVersionDays: 45 }, alarms: { notify: 'nowhere' } }),
    ).template.toJSON() as {
      Resources: Record<string, { Type: string; Properties: Json }>;
    };
    bucketProps = template.Resources.IngestBucket!.Properties;
    const policy = Object.values(template.Resources).find(
      (r) => r.Type === 'AWS::S3::BucketPolicy' && (r.Properties.Bucket as Json).Ref === 'IngestBucket',
    )!;
    // CloudFormation resolves the bucket's ARN; here it is the local bucket's.
    const resolveArn = (value: unknown): unknown => {
      const text = JSON.stringify(value)
        .replace(
          /\{"Fn::Join":\["",\[\{"Fn::GetAtt":\["IngestBucket","Arn"\]\},"([^"]*)"\]\]\}/g,
          `"arn:aws:s3:::${BUCKET}$1"`,
        )
        .replace(/\{"Fn::GetAtt":\["IngestBucket","Arn"\]\}/g, `"arn:aws:s3:::${BUCKET}"`);
      return JSON.parse(text);
    };
    policyStatements = resolveArn((policy.Properties.PolicyDocument as Json).Statement) as unknown[];
  }, 120_000);
  afterAll(async () => {
    await test?.close();
    if (dir) await removeDir(dir);
  });

  it('encryption, public access block, ownership controls, lifecycle and policy as the template sets them', async () => {
    const deployedSse = (bucketProps.BucketEncryption as Json).ServerSideEncryptionConfiguration as Json[];
    const encryption = await s3api('get-bucket-encryption');
    expect(
      ((encryption.ServerSideEncryptionConfiguration as Json).Rules as Json[]).map(
        (r) => (r.ApplyServerSideEncryptionByDefault as Json).SSEAlgorithm,
      ),
    ).toEqual(deployedSse.map((r) => (r.ServerSideEncryptionByDefault as Json).SSEAlgorithm));

    expect((await s3api('get-public-access-block')).PublicAccessBlockConfiguration).toEqual(
      bucketProps.PublicAccessBlockConfiguration,
    );
    expect((await s3api('get-bucket-ownership-controls')).OwnershipControls).toEqual(
      bucketProps.OwnershipControls,
    );

    const deployedRules = (bucketProps.LifecycleConfiguration as Json).Rules as Json[];
    const localRules = (await s3api('get-bucket-lifecycle-configuration')).Rules as Json[];
    expect(
      localRules.map((r) => ({
        Id: r.ID,
        Status: r.Status,
        NoncurrentVersionExpiration: {
          NoncurrentDays: (r.NoncurrentVersionExpiration as Json).NoncurrentDays,
        },
        ExpiredObjectDeleteMarker: (r.Expiration as Json).ExpiredObjectDeleteMarker,
        AbortIncompleteMultipartUpload: r.AbortIncompleteMultipartUpload,
      })),
    ).toEqual(deployedRules);
    expect(deployedRules[0]!.NoncurrentVersionExpiration).toEqual({ NoncurrentDays: 45 });

    const policy = JSON.parse((await s3api('get-bucket-policy')).Policy as string) as {
      Statement: unknown[];
    };
    expect(policy.Statement).toEqual(policyStatements);
    expect(policyStatements).toHaveLength(2);

    const versioning = await s3api('get-bucket-versioning');
    expect(versioning.Status).toBe((bucketProps.VersioningConfiguration as Json).Status);
  });

  it('answers x-amz-server-side-encryption: AES256 on object writes and reads', async () => {
    const { stdout } = await run('sh', ['-c', 'printf data > "$0/f.txt"', dir]);
    expect(stdout).toBe('');
    const put = await s3api('put-object', '--key', 'incoming/sse/f.txt', '--body', join(dir, 'f.txt'));
    expect(put.ServerSideEncryption).toBe('AES256');
    const head = await s3api('head-object', '--key', 'incoming/sse/f.txt');
    expect(head.ServerSideEncryption).toBe('AES256');
  });
});
