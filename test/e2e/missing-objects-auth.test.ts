import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetBucketPolicyCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { parseConfig } from '@eventline/config';
import { LocalStack } from '@eventline/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * A deleted object version on AWS: S3 answers 404 for a missing key only to a caller that may
 * s3:ListBucket, and 403 AccessDenied to any other. With `local.enforceAuth` the local stack's S3
 * does the same for a bucket policy that denies s3:ListBucket. The function must end such a file at
 * once, naming the permission, instead of retrying a 403 until its attempts run out; with listing
 * allowed (what the CDK app grants for the routed prefixes) the same file is simply `object-missing`.
 * The function is called through Lambda's Invoke API on the edge (direct mode), as a continuation is.
 */

const BUCKET = 'eventline-local';
const keys = { accessKeyId: 'AKIDMISSING', secretAccessKey: 'missing-secret' };
let dir: string;
let stack: LocalStack;
let s3: S3Client;
let lambda: LambdaClient;
let originalPolicy: string;

const eventFor = (key: string) => ({
  Records: [
    {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: new Date().toISOString(),
      eventName: 'ObjectCreated:Put',
      s3: {
        bucket: { name: BUCKET, arn: `arn:aws:s3:::${BUCKET}` },
        object: { key, size: 12, eTag: 'a3c1b2e0f4d5c6b7a8e9f0d1c2b3a4e5', sequencer: '0065A1B2C3D4E5F601' },
      },
    },
  ],
});

/** Hands the function the event of an object that is no longer there (deleted before it ran). */
async function invokeForMissingObject(key: string) {
  const answer = await lambda.send(
    new InvokeCommand({
      FunctionName: 'eventline-handler',
      Payload: new TextEncoder().encode(JSON.stringify(eventFor(key))),
    }),
  );
  return JSON.parse(new TextDecoder().decode(answer.Payload)) as {
    outcomes?: Array<{ status: string }>;
    errorMessage?: string;
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eventline-missing-'));
  stack = await LocalStack.start({
    config: parseConfig({ trigger: { mode: 'direct' }, local: { port: 0, enforceAuth: true, ...keys } }),
    dataDir: join(dir, 'data'),
    retryDelaysMs: [50],
  });
  const common = { endpoint: stack.url, region: 'us-east-1', credentials: keys };
  s3 = new S3Client({ ...common, forcePathStyle: true });
  lambda = new LambdaClient(common);
  originalPolicy = (await s3.send(new GetBucketPolicyCommand({ Bucket: BUCKET }))).Policy ?? '';
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  lambda?.destroy();
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('an object deleted before the function ran', () => {
  it('without s3:ListBucket: a 403, ended at once as access-denied, naming the permission', async () => {
    const policy = JSON.parse(originalPolicy) as { Statement: unknown[] };
    policy.Statement.push({
      Sid: 'NoListing',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:ListBucket',
      Resource: `arn:aws:s3:::${BUCKET}`,
    });
    await s3.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: JSON.stringify(policy) }));
    try {
      const result = await invokeForMissingObject('incoming/denied.json');
      expect(result.errorMessage).toBeUndefined();
      expect(result.outcomes).toHaveLength(1);
      expect(result.outcomes?.[0]?.status).toBe('failed');
      const state = await stack.ledger.getFile(BUCKET, 'incoming/denied.json');
      expect(state).toMatchObject({ status: 'FAILED', error: { code: 'access-denied' } });
      expect(state?.error?.message).toContain('S3 refused s3:GetObject (403 AccessDenied)');
      expect(state?.error?.message).toContain('s3:ListBucket');
    } finally {
      await s3.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: originalPolicy }));
    }
  });

  it('with s3:ListBucket: a 404, ended as object-missing', async () => {
    const result = await invokeForMissingObject('incoming/listed.json');
    expect(result.outcomes?.[0]?.status).toBe('failed');
    const state = await stack.ledger.getFile(BUCKET, 'incoming/listed.json');
    expect(state).toMatchObject({ status: 'FAILED', error: { code: 'object-missing' } });
  });
});
