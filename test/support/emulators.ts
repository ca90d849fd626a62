import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AwsClients, createClients } from '@eventline/aws/sdk';
import { ensureLedgerTable, type LocalDynamo, startLocalDynamo } from '@eventline/dynamodb-emulator';
import { createS3Emulator, type ListeningS3Emulator, type S3ObjectEvent } from '@eventline/s3-emulator';

/**
 * Real emulators for integration tests, each on an ephemeral loopback port: the project's S3 emulator and
 * dynalite (DynamoDB), in this process, with a fresh data directory removed on close.
 */
export interface Emulators {
  dir: string;
  s3: ListeningS3Emulator;
  dynamo: LocalDynamo;
  bucket: string;
  table: string;
  s3Endpoint: string;
  dynamoEndpoint: string;
  /** SDK clients pointed at the emulators (SNS/SQS clients point nowhere useful unless given an endpoint). */
  clients: AwsClients;
  s3Events: S3ObjectEvent[];
  close(): Promise<void>;
}

export const testCredentials = { accessKeyId: 'test', secretAccessKey: 'test' };

export async function startEmulators(
  options: { bucket?: string; table?: string; snsEndpoint?: string } = {},
): Promise<Emulators> {
  const dir = await mkdtemp(join(tmpdir(), 'eventline-test-'));
  const bucket = options.bucket ?? 'eventline-test';
  const table = options.table ?? 'events';
  const s3Events: S3ObjectEvent[] = [];
  const emulator = await createS3Emulator({
    dataDir: join(dir, 's3'),
    fsync: false,
    onObjectEvent: (e) => s3Events.push(e),
  });
  const { port, url } = await emulator.listen(0, '127.0.0.1');
  const s3: ListeningS3Emulator = Object.assign(emulator, { port, url });
  // Versioned, as the deployed bucket and the local stack's are.
  await s3.ensureBucket(bucket, { versioning: 'Enabled' });
  const dynamo = await startLocalDynamo({});
  const s3Endpoint = url;
  const dynamoEndpoint = `http://127.0.0.1:${dynamo.port}`;
  const base = createClients({
    region: 'us-east-1',
    endpoint: s3Endpoint,
    credentials: testCredentials,
    maxAttempts: 2,
  });
  const ddb = createClients({
    region: 'us-east-1',
    endpoint: dynamoEndpoint,
    credentials: testCredentials,
    maxAttempts: 2,
  });
  const sns = options.snsEndpoint
    ? createClients({
        region: 'us-east-1',
        endpoint: options.snsEndpoint,
        credentials: testCredentials,
        maxAttempts: 2,
      })
    : base;
  const clients: AwsClients = {
    s3: base.s3,
    dynamodb: ddb.dynamodb,
    documents: ddb.documents,
    sns: sns.sns,
    sqs: base.sqs,
  };
  await ensureLedgerTable(clients.dynamodb, table);
  return {
    dir,
    s3,
    dynamo,
    bucket,
    table,
    s3Endpoint,
    dynamoEndpoint,
    clients,
    s3Events,
    async close() {
      for (const c of [base, ddb, sns]) {
        c.s3.destroy();
        c.dynamodb.destroy();
        c.sns.destroy();
        c.sqs.destroy();
      }
      await s3.close();
      await dynamo.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
