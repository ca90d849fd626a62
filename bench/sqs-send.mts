import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createS3Emulator } from '@eventline/s3-emulator';
import { startSnsServer } from '@eventline/sns-emulator';
import { createSqsEmulator } from '@eventline/sqs-emulator';

/**
 * npx tsx bench/sqs-send.mts [--messages N] [--concurrency C]
 * What durability costs a send: SQS SendMessage with the data directory (append + fdatasync,
 * group commit), SQS in memory, and SNS Publish with its data directory (today's service: append,
 * no fsync) and S3 PutObject of a small file (the S3 emulator, fsync as the local stack runs it), each through SDK v3 over loopback HTTP. Prints median/p95 latency sequentially and
 * throughput with C requests in flight.
 */
const { values } = parseArgs({
  options: { messages: { type: 'string', default: '1000' }, concurrency: { type: 'string', default: '16' } },
});
const total = Number(values.messages);
const concurrency = Number(values.concurrency);
const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };
const region = 'us-east-1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

async function measure(label: string, send: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 50; i++) await send();
  const latencies: number[] = [];
  for (let i = 0; i < total; i++) {
    const start = performance.now();
    await send();
    latencies.push(performance.now() - start);
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) await send();
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `${label.padEnd(34)} sequential median ${at(0.5).toFixed(2)} ms, p95 ${at(0.95).toFixed(2)} ms; ` +
      `${concurrency} in flight: ${(total / seconds).toFixed(0)} msg/s`,
  );
}

const dirs: string[] = [];
const dir = async () => {
  const made = await mkdtemp(join(tmpdir(), 'bench-sqs-'));
  dirs.push(made);
  return made;
};

for (const durable of [true, false]) {
  const emulator = createSqsEmulator({
    dataDir: durable ? await dir() : undefined,
    region,
    accountId: '000000000000',
  });
  const listener = await emulator.listen();
  const client = new SQSClient({ endpoint: listener.url, region, credentials });
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'bench' }));
  await measure(`SQS SendMessage (${durable ? 'dataDir, fdatasync' : 'in memory'})`, () =>
    client.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: JSON.stringify({ key: 'incoming/x.json', size: 123 }),
      }),
    ),
  );
  client.destroy();
  await emulator.close();
}

const sns = await startSnsServer({ region, dataDir: await dir() });
const snsClient = new SNSClient({ endpoint: sns.url, region, credentials });
const { TopicArn } = await snsClient.send(new CreateTopicCommand({ Name: 'bench' }));
await measure('SNS Publish (dataDir, no fsync)', () =>
  snsClient.send(
    new PublishCommand({ TopicArn, Message: JSON.stringify({ key: 'incoming/x.json', size: 123 }) }),
  ),
);
snsClient.destroy();
await sns.close();
const s3 = await createS3Emulator({ dataDir: await dir() });
await s3.ensureBucket('bench');
const s3Client = new S3Client({
  endpoint: (await s3.listen(0, '127.0.0.1')).url,
  region,
  credentials,
  forcePathStyle: true,
});
let n = 0;
await measure('S3 PutObject 100 B (S3 emulator)', () =>
  s3Client.send(
    new PutObjectCommand({ Bucket: 'bench', Key: `incoming/${n++}.json`, Body: '{"id":1}'.padEnd(100) }),
  ),
);
s3Client.destroy();
await s3.close();
for (const made of dirs) await rm(made, { recursive: true, force: true });
