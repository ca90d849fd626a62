import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateTopicCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { startDynamoEmulator } from '@eventline/dynamodb-emulator';
import { createS3Emulator } from '@eventline/s3-emulator';
import { startSnsServer } from '@eventline/sns-emulator';
import { createSqsEmulator } from '@eventline/sqs-emulator';
import { startMoto } from '@eventline/test-kit';
import type { Progress } from '../lib/progress.ts';
import { ratio, type Summary, summarize } from '../lib/stats.ts';

/**
 * Figure 7 (issue 13's "Measured by"): the emulators alone, without the edge or the pipeline —
 * requests/s of S3 PutObject/GetObject/ListObjectsV2, DynamoDB PutItem/GetItem/Query/BatchWriteItem,
 * SNS Publish and SQS SendMessage/ReceiveMessage/DeleteMessage through SDK v3, one at a time and
 * 8 in flight, beside `moto_server` in the same run. Every operation of every round runs against
 * both targets back to back, in an order that rotates round by round, and the ratio
 * (project ÷ moto) is taken within the round.
 *
 * The project's emulators run as the local stack runs them, on disk in a temporary data directory:
 * S3 (`@eventline/s3-emulator`, fsync on; buckets versioned on both targets, as the stack's is),
 * DynamoDB (`@eventline/dynamodb-emulator`), SNS
 * (`@eventline/sns-emulator`), SQS (`@eventline/sqs-emulator`), each on its own loopback port.
 * moto keeps everything in memory (its only mode): the comparison favours moto.
 */

export type TargetName = 'eventline' | 'moto';
export const CONCURRENCIES = [1, 8] as const;

export interface EmulatorsOptions {
  /** Requests per measurement (one operation, one concurrency, one target, one round). */
  requests: number;
  rounds: number;
  progress: Progress;
}

export interface OperationFigures {
  /** `service:Operation`. */
  operation: string;
  concurrency: number;
  eventline: Summary;
  moto: Summary;
  /** eventline ÷ moto requests/s, round by round. */
  ratio: Summary;
  /** Requests that failed over all rounds (requests/s counts only those served). */
  failed: Record<TargetName, number>;
  /** The first failure's message, per target that had one. */
  firstErrors?: Partial<Record<TargetName, string>>;
}

export interface EmulatorsResult {
  requests: number;
  rounds: number;
  /** What each target is (package versions, moto's version). */
  targets: Record<TargetName, string>;
  /** Bytes of each S3 object and SQS/SNS message body. */
  payloadBytes: number;
  operations: OperationFigures[];
  /** The smallest median ratio, and where. */
  weakest: { operation: string; concurrency: number; ratio: number };
}

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const PAYLOAD_BYTES = 1024;
const QUERY_PARTITIONS = 16;
const BATCH = 25;
const LIST_KEYS = 100;

interface Clients {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  sns: SNSClient;
  sqs: SQSClient;
}

interface Target {
  name: TargetName;
  clients: Clients;
  close(): Promise<void>;
}

/** Per-target state one round's operations hand on to the next (keys put, messages received). */
interface RoundState {
  bucket: string;
  table: string;
  topicArn: string;
  queueUrl: string;
  keys: string[];
  receipts: string[];
}

function clientsFor(endpoints: Record<keyof Clients, string>): Clients {
  const common = { region: REGION, credentials: CREDENTIALS, maxAttempts: 1 };
  return {
    s3: new S3Client({ ...common, endpoint: endpoints.s3, forcePathStyle: true }),
    dynamodb: new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb }),
    sns: new SNSClient({ ...common, endpoint: endpoints.sns }),
    sqs: new SQSClient({ ...common, endpoint: endpoints.sqs }),
  };
}

function destroy(clients: Clients): void {
  for (const client of Object.values(clients)) client.destroy();
}

/** The project's emulators, each on its own port, with their data in a temporary directory. */
async function startProject(): Promise<Target> {
  const dir = await mkdtemp(join(tmpdir(), 'eventline-bench-emulators-'));
  const closers: Array<() => Promise<void>> = [];
  try {
    // S3 as the local stack starts it (packages/local/src/stack.ts): durable writes (fsync on), no key check.
    const s3Emulator = await createS3Emulator({ dataDir: join(dir, 's3'), region: REGION });
    closers.push(() => s3Emulator.close());
    const s3 = await s3Emulator.listen(0);
    const dynamo = await startDynamoEmulator({ path: join(dir, 'dynamodb'), ttlSweepIntervalMs: 0 });
    closers.push(() => dynamo.close());
    const sns = await startSnsServer({ region: REGION, dataDir: join(dir, 'sns') });
    closers.push(() => sns.close());
    const sqsEmulator = createSqsEmulator({
      dataDir: join(dir, 'sqs'),
      region: REGION,
      accountId: '000000000000',
      warn: (message) => {
        throw new Error(`bench: the SQS emulator warned: ${message}`);
      },
    });
    const sqs = await sqsEmulator.listen(0);
    closers.push(() => sqsEmulator.close());
    const clients = clientsFor({
      s3: s3.url,
      dynamodb: dynamo.url,
      sns: sns.url,
      sqs: sqs.url,
    });
    return {
      name: 'eventline',
      clients,
      async close() {
        destroy(clients);
        for (const close of closers.reverse()) await close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** `moto_server` on a free loopback port (the test kit's spawner): all four services on one endpoint. */
async function startMotoTarget(): Promise<Target> {
  const moto = await startMoto({ readyTimeoutMs: 60_000 });
  const clients = clientsFor({ s3: moto.url, dynamodb: moto.url, sns: moto.url, sqs: moto.url });
  return {
    name: 'moto',
    clients,
    async close() {
      destroy(clients);
      await moto.close();
    },
  };
}

function motoVersion(): string {
  try {
    return execFileSync('python3', ['-c', 'import moto; print(moto.__version__)'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    return 'unknown';
  }
}

const payload = 'x'.repeat(PAYLOAD_BYTES);

async function prepare(target: Target, round: number): Promise<RoundState> {
  const { s3, dynamodb, sns, sqs } = target.clients;
  const state: RoundState = {
    bucket: `bench-emulators-${round}`,
    table: `bench-emulators-${round}`,
    topicArn: '',
    queueUrl: '',
    keys: [],
    receipts: [],
  };
  await s3.send(new CreateBucketCommand({ Bucket: state.bucket }));
  // Versioned on both targets, as the stack's ingest bucket is (and the deployed one).
  await s3.send(
    new PutBucketVersioningCommand({ Bucket: state.bucket, VersioningConfiguration: { Status: 'Enabled' } }),
  );
  for (let i = 0; i < LIST_KEYS; i++) {
    await s3.send(new PutObjectCommand({ Bucket: state.bucket, Key: `list/${i}`, Body: payload }));
  }
  await dynamodb.send(
    new CreateTableCommand({
      TableName: state.table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
  state.topicArn = (await sns.send(new CreateTopicCommand({ Name: `bench-emulators-${round}` }))).TopicArn!;
  state.queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `bench-emulators-${round}` })))
    .QueueUrl!;
  return state;
}

/** One operation: `call(i)` makes request number i of a measurement (i from 0). */
interface Operation {
  name: string;
  call(target: Target, state: RoundState, i: number, concurrency: number): Promise<void>;
}

const item = (pk: string, sk: number) => ({ pk: { S: pk }, sk: { N: String(sk) }, body: { S: payload } });
/** Keys written by the measurement at this concurrency, so the two concurrencies never share items. */
const keyOf = (i: number, concurrency: number) => `c${concurrency}/k${i}`;

const OPERATIONS: Operation[] = [
  {
    name: 's3:PutObject',
    async call(t, s, i, c) {
      await t.clients.s3.send(new PutObjectCommand({ Bucket: s.bucket, Key: keyOf(i, c), Body: payload }));
    },
  },
  {
    name: 's3:GetObject',
    async call(t, s, i, c) {
      const out = await t.clients.s3.send(new GetObjectCommand({ Bucket: s.bucket, Key: keyOf(i, c) }));
      const body = await out.Body!.transformToString();
      if (body.length !== PAYLOAD_BYTES)
        throw new Error(`bench: ${t.name} GetObject returned ${body.length} bytes`);
    },
  },
  {
    name: 's3:ListObjectsV2',
    async call(t, s) {
      const out = await t.clients.s3.send(
        new ListObjectsV2Command({ Bucket: s.bucket, Prefix: 'list/', MaxKeys: LIST_KEYS }),
      );
      if (out.KeyCount !== LIST_KEYS) throw new Error(`bench: ${t.name} listed ${out.KeyCount} keys`);
    },
  },
  {
    name: 'dynamodb:PutItem',
    async call(t, s, i, c) {
      await t.clients.dynamodb.send(
        new PutItemCommand({ TableName: s.table, Item: item(`c${c}/p${i % QUERY_PARTITIONS}`, i) }),
      );
    },
  },
  {
    name: 'dynamodb:GetItem',
    async call(t, s, i, c) {
      const out = await t.clients.dynamodb.send(
        new GetItemCommand({
          TableName: s.table,
          Key: { pk: { S: `c${c}/p${i % QUERY_PARTITIONS}` }, sk: { N: String(i) } },
        }),
      );
      if (!out.Item) throw new Error(`bench: ${t.name} GetItem found nothing`);
    },
  },
  {
    name: 'dynamodb:Query',
    async call(t, s, i, c) {
      await t.clients.dynamodb.send(
        new QueryCommand({
          TableName: s.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: `c${c}/p${i % QUERY_PARTITIONS}` } },
          Limit: BATCH,
        }),
      );
    },
  },
  {
    name: 'dynamodb:BatchWriteItem',
    async call(t, s, i, c) {
      const out = await t.clients.dynamodb.send(
        new BatchWriteItemCommand({
          RequestItems: {
            [s.table]: Array.from({ length: BATCH }, (_, j) => ({
              PutRequest: { Item: item(`c${c}/batch${i}`, j) },
            })),
          },
        }),
      );
      const left = Object.values(out.UnprocessedItems ?? {}).flat().length;
      if (left > 0) throw new Error(`bench: ${t.name} left ${left} items of a BatchWriteItem unprocessed`);
    },
  },
  {
    name: 'sns:Publish',
    async call(t, s, i) {
      await t.clients.sns.send(new PublishCommand({ TopicArn: s.topicArn, Message: `${i} ${payload}` }));
    },
  },
  {
    name: 'sqs:SendMessage',
    async call(t, s, i) {
      await t.clients.sqs.send(
        new SendMessageCommand({ QueueUrl: s.queueUrl, MessageBody: `${i} ${payload}` }),
      );
    },
  },
  {
    name: 'sqs:ReceiveMessage',
    async call(t, s) {
      // The send measurement left as many messages as there are receives; each is hidden for 30 s once received.
      const out = await t.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: s.queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 0 }),
      );
      for (const message of out.Messages ?? []) s.receipts.push(message.ReceiptHandle!);
    },
  },
  {
    name: 'sqs:DeleteMessage',
    async call(t, s) {
      const receipt = s.receipts.pop();
      if (receipt === undefined) {
        throw new Error(`bench: ${t.name} ReceiveMessage handed out fewer messages than were sent`);
      }
      await t.clients.sqs.send(new DeleteMessageCommand({ QueueUrl: s.queueUrl, ReceiptHandle: receipt }));
    },
  },
];

/** Requests/s of `requests` calls with `concurrency` in flight. */
async function measure(
  target: Target,
  state: RoundState,
  operation: Operation,
  requests: number,
  concurrency: number,
): Promise<{ rate: number; failed: number; firstError?: string }> {
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const worker = async () => {
    while (next < requests) {
      const i = next++;
      try {
        await operation.call(target, state, i, concurrency);
      } catch (error) {
        // Counted and reported, never hidden: a failed request is not a served one.
        failed++;
        firstError ??= error instanceof Error ? error.message.slice(0, 200) : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, requests) }, worker));
  const rate = (requests - failed) / ((performance.now() - started) / 1000);
  return { rate, failed, ...(firstError !== undefined ? { firstError } : {}) };
}

export async function runEmulators(options: EmulatorsOptions): Promise<EmulatorsResult> {
  const { progress, requests, rounds } = options;
  const targets: Target[] = [];
  const rates = new Map<string, Record<TargetName, number[]>>();
  const failures: Record<TargetName, Record<string, number>> = { eventline: {}, moto: {} };
  const errors: Record<TargetName, Record<string, string>> = { eventline: {}, moto: {} };
  const keyFor = (op: string, c: number) => `${op}@${c}`;
  try {
    targets.push(await startProject());
    targets.push(await startMotoTarget());
    const total = rounds * CONCURRENCIES.length * OPERATIONS.length;
    let done = 0;
    for (let round = 0; round < rounds; round++) {
      const states = new Map<TargetName, RoundState>();
      for (const target of targets) states.set(target.name, await prepare(target, round));
      // Rotate which target goes first, round by round.
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const concurrency of CONCURRENCIES) {
        for (const operation of OPERATIONS) {
          progress.update(`round ${round + 1}/${rounds}, ${operation.name} ×${concurrency}`, done, total);
          const key = keyFor(operation.name, concurrency);
          const entry = rates.get(key) ?? { eventline: [], moto: [] };
          rates.set(key, entry);
          for (const target of order) {
            // Delete takes its receipt handles from the Receive just before, per target.
            const measured = await measure(
              target,
              states.get(target.name)!,
              operation,
              requests,
              concurrency,
            );
            entry[target.name].push(measured.rate);
            failures[target.name][key] = (failures[target.name][key] ?? 0) + measured.failed;
            if (measured.firstError !== undefined) errors[target.name][key] ??= measured.firstError;
          }
          done++;
        }
      }
    }
  } finally {
    for (const target of targets) await target.close();
  }

  const operations: OperationFigures[] = [];
  for (const concurrency of CONCURRENCIES) {
    for (const operation of OPERATIONS) {
      const key = keyFor(operation.name, concurrency);
      const entry = rates.get(key)!;
      const firstErrors = Object.fromEntries(
        (['eventline', 'moto'] as const).flatMap((t) => (errors[t][key] ? [[t, errors[t][key]]] : [])),
      );
      operations.push({
        operation: operation.name,
        concurrency,
        eventline: summarize(entry.eventline),
        moto: summarize(entry.moto),
        ratio: summarize(entry.eventline.map((rate, i) => ratio(rate, entry.moto[i]!))),
        failed: { eventline: failures.eventline[key] ?? 0, moto: failures.moto[key] ?? 0 },
        ...(Object.keys(firstErrors).length > 0 ? { firstErrors } : {}),
      });
    }
  }
  const weakest = operations.reduce((a, b) => (b.ratio.median < a.ratio.median ? b : a));
  return {
    requests,
    rounds,
    targets: {
      eventline:
        '@eventline/s3-emulator, @eventline/dynamodb-emulator, @eventline/sns-emulator, @eventline/sqs-emulator; each on its own port, data on disk',
      moto: `moto_server ${motoVersion()} (one port, in memory)`,
    },
    payloadBytes: PAYLOAD_BYTES,
    operations,
    weakest: { operation: weakest.operation, concurrency: weakest.concurrency, ratio: weakest.ratio.median },
  };
}
