// The uploads recipe (examples/uploads) end to end: its config read from the recipe's folder (as
// `npm start -- --config examples/uploads/eventline.config.ts` does), its sample files put with SDK v3
// and one more posted as a browser form with the stack's presigned POST, each recorded as metadata by
// the bundled function, and each notification routed by the SQS subscriptions' filter policies on
// the route, status and detected content type.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { loadConfig } from '@eventline/config';
import { fileKey } from '@eventline/core';
import { LocalStack } from '@eventline/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { png, uploads } from '../../examples/uploads/generate.ts';

const CONFIG_FILE = 'examples/uploads/eventline.config.ts';
const BUCKET = 'eventline-local';
let dir: string;
let stack: LocalStack;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eventline-recipe-uploads-'));
  const config = await loadConfig(CONFIG_FILE);
  stack = await LocalStack.start({
    config: { ...config, local: { ...config.local, port: 0 } },
    configFile: CONFIG_FILE,
    dataDir: join(dir, 'data'),
    print: () => {},
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** The messages in a queue until it has `count` (then a last look that no more arrive). */
async function receive(queue: string, count: number): Promise<Message[]> {
  const { QueueUrl } = await stack.clients.sqs.send(new GetQueueUrlCommand({ QueueName: queue }));
  const out: Message[] = [];
  await until(`${count} messages in ${queue}`, async () => {
    const answer = await stack.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
      }),
    );
    out.push(...(answer.Messages ?? []));
    return out.length >= count ? out : undefined;
  });
  return out;
}

const notified = (message: Message) =>
  JSON.parse(message.Body ?? '{}') as {
    Message: string;
    MessageAttributes: Record<string, { Type: string; Value: string }>;
  };

describe('recipe: uploads', () => {
  it('records each upload by its bytes and routes its notification by detected content type', async () => {
    const files = uploads();
    for (const file of files) {
      await stack.clients.s3.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: file.key,
          Body: file.body,
          ContentType: file.declaredType,
          Metadata: file.metadata,
        }),
      );
    }
    // A browser's upload: an HTML form POST with the policy the stack's API presigns.
    const { url, fields } = await stack.presignedPost('uploads/dave/');
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append('file', new Blob([png(300, 200)], { type: 'image/png' }), 'avatar.png');
    const posted = await fetch(url, { method: 'POST', body: form });
    expect(posted.status).toBe(201);

    const items = new Map<string, Record<string, unknown>>();
    for (const key of [...files.map((f) => f.key), 'uploads/dave/avatar.png']) {
      const state = await until(key, async () => {
        const { Item } = await stack.clients.dynamodb.send(
          new GetItemCommand({
            TableName: 'events',
            Key: { pk: { S: fileKey(BUCKET, key) } },
            ConsistentRead: true,
          }),
        );
        return Item?.status?.S === 'PROCESSED' || Item?.status?.S === 'FAILED' ? Item : undefined;
      });
      expect(state.status?.S, key).toBe('PROCESSED');
      const { Item } = await stack.clients.dynamodb.send(
        new GetItemCommand({ TableName: 'events', Key: { pk: { S: key } }, ConsistentRead: true }),
      );
      items.set(key, Item?.payload?.M ?? {});
    }
    for (const file of files) {
      expect(items.get(file.key), file.key).toMatchObject({
        size: { N: String(file.body.length) },
        contentType: { S: file.detectedType },
        declaredContentType: { S: file.declaredType },
        metadata: { M: { user: { S: file.metadata.user }, 'upload-id': { S: file.metadata['upload-id'] } } },
        ...(file.width ? { width: { N: String(file.width) }, height: { N: String(file.height) } } : {}),
      });
    }
    expect(items.get('uploads/dave/avatar.png')).toMatchObject({ width: { N: '300' }, height: { N: '200' } });

    // 4 PNGs (one named .jpg), a GIF and the posted avatar; the PDF; no failure.
    const images = await receive('moderate-images', 6);
    expect(images.map((m) => JSON.parse(notified(m).Message).key).sort()).toEqual(
      [
        ...files.filter((f) => f.detectedType.startsWith('image/')).map((f) => f.key),
        'uploads/dave/avatar.png',
      ].sort(),
    );
    expect(images.map((m) => notified(m).MessageAttributes.contentType?.Value).sort()).toEqual([
      'image/gif',
      'image/png',
      'image/png',
      'image/png',
      'image/png',
      'image/png',
    ]);
    const documents = await receive('review-documents', 1);
    expect(documents.map((m) => JSON.parse(notified(m).Message))).toMatchObject([
      { key: 'uploads/carol/invoice-2026-03.pdf', status: 'PROCESSED', contentType: 'application/pdf' },
    ]);
    const { QueueUrl } = await stack.clients.sqs.send(
      new GetQueueUrlCommand({ QueueName: 'upload-failures' }),
    );
    const failures = await stack.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 0 }),
    );
    expect(failures.Messages ?? []).toEqual([]);
  });
});
