import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT, makeDataDir, type Running, removeDataDir, startEmulator } from './support.ts';

/** The Query protocol through hand-built requests, as older SDKs and scripts send them. */

let sqs: Running;
let dataDir: string;

beforeAll(async () => {
  dataDir = await makeDataDir();
  sqs = await startEmulator(dataDir);
});

afterAll(async () => {
  await sqs.stop();
  await removeDataDir(dataDir);
});

async function query(
  path: string,
  params: Record<string, string>,
  method: 'POST' | 'GET' = 'POST',
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const form = new URLSearchParams({ Version: '2012-11-05', ...params }).toString();
  const response = await fetch(`${sqs.url}${path}${method === 'GET' ? `?${form}` : ''}`, {
    method,
    ...(method === 'POST'
      ? { body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } }
      : {}),
  });
  return {
    status: response.status,
    body: await response.text(),
    headers: Object.fromEntries(response.headers),
  };
}

const element = (xml: string, name: string): string | undefined =>
  new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)?.[1];

describe('Query protocol', () => {
  it('creates a queue, sends to its URL path and receives with attributes in XML', async () => {
    const created = await query('/', {
      Action: 'CreateQueue',
      QueueName: 'query-q',
      'Attribute.1.Name': 'VisibilityTimeout',
      'Attribute.1.Value': '5',
      'Tag.1.Key': 'team',
      'Tag.1.Value': 'data',
    });
    expect(created.status).toBe(200);
    expect(created.body).toContain(
      '<CreateQueueResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">',
    );
    const url = element(created.body, 'QueueUrl');
    expect(url).toBe(`${sqs.url}/${ACCOUNT}/query-q`);
    expect(element(created.body, 'RequestId')).toBeTruthy();

    const sent = await query(`/${ACCOUNT}/query-q`, {
      Action: 'SendMessage',
      MessageBody: 'hello',
      'MessageAttribute.1.Name': 'Author',
      'MessageAttribute.1.Value.DataType': 'String',
      'MessageAttribute.1.Value.StringValue': 'John Grisham',
    });
    expect(sent.status).toBe(200);
    expect(element(sent.body, 'MD5OfMessageBody')).toBe('5d41402abc4b2a76b9719d911017c592');
    expect(element(sent.body, 'MD5OfMessageAttributes')).toBe('589fd905f137a025c02575957adcd9b1');

    const received = await query(
      '/',
      {
        Action: 'ReceiveMessage',
        QueueUrl: url as string,
        'AttributeName.1': 'ApproximateReceiveCount',
        'MessageAttributeName.1': 'All',
      },
      'GET',
    );
    expect(received.status).toBe(200);
    const message = element(received.body, 'Message') as string;
    expect(element(message, 'Body')).toBe('hello');
    expect(message).toContain('<Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute>');
    expect(message).toContain(
      '<MessageAttribute><Name>Author</Name><Value><StringValue>John Grisham</StringValue><DataType>String</DataType></Value></MessageAttribute>',
    );
    const attributes = await query(`/${ACCOUNT}/query-q`, {
      Action: 'GetQueueAttributes',
      'AttributeName.1': 'VisibilityTimeout',
      'AttributeName.2': 'ApproximateNumberOfMessagesNotVisible',
    });
    expect(attributes.body).toContain(
      '<Attribute><Name>VisibilityTimeout</Name><Value>5</Value></Attribute>',
    );
    expect(attributes.body).toContain(
      '<Attribute><Name>ApproximateNumberOfMessagesNotVisible</Name><Value>1</Value></Attribute>',
    );
    const tags = await query(`/${ACCOUNT}/query-q`, { Action: 'ListQueueTags' });
    expect(tags.body).toContain('<Tag><Key>team</Key><Value>data</Value></Tag>');
  });

  it('reports batch results as flattened entries', async () => {
    await query('/', { Action: 'CreateQueue', QueueName: 'query-batch' });
    const sent = await query(`/${ACCOUNT}/query-batch`, {
      Action: 'SendMessageBatch',
      'SendMessageBatchRequestEntry.1.Id': 'ok',
      'SendMessageBatchRequestEntry.1.MessageBody': 'fine',
      'SendMessageBatchRequestEntry.2.Id': 'bad',
      'SendMessageBatchRequestEntry.2.MessageBody': 'fine',
      'SendMessageBatchRequestEntry.2.DelaySeconds': '901',
    });
    expect(sent.status).toBe(200);
    expect(element(element(sent.body, 'SendMessageBatchResultEntry') as string, 'Id')).toBe('ok');
    const failure = element(sent.body, 'BatchResultErrorEntry') as string;
    expect([element(failure, 'Id'), element(failure, 'Code'), element(failure, 'SenderFault')]).toEqual([
      'bad',
      'InvalidParameterValue',
      'true',
    ]);
  });

  it('answers errors as <ErrorResponse> with the Query codes', async () => {
    const missing = await query(`/${ACCOUNT}/no-such-queue`, { Action: 'SendMessage', MessageBody: 'x' });
    expect(missing.status).toBe(400);
    expect(element(missing.body, 'Code')).toBe('AWS.SimpleQueueService.NonExistentQueue');
    expect(element(missing.body, 'Type')).toBe('Sender');
    const wrongPlace = await query(`/${ACCOUNT}/no-such-queue`, { Action: 'CreateQueue', QueueName: 'x' });
    expect([wrongPlace.status, element(wrongPlace.body, 'Code')]).toEqual([400, 'InvalidAction']);
    expect(element(wrongPlace.body, 'Message')).toBe(
      'The action CreateQueue is not valid for this endpoint.',
    );
    const unknown = await query('/', { Action: 'Frobnicate' });
    expect([unknown.status, element(unknown.body, 'Code')]).toEqual([400, 'InvalidAction']);
    const noAction = await fetch(`${sqs.url}/${ACCOUNT}/query-q`);
    expect(noAction.status).toBe(404);
  });

  it('accepts JSON requests posted to a queue URL path', async () => {
    const response = await fetch(`${sqs.url}/${ACCOUNT}/query-q`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.GetQueueUrl' },
      body: JSON.stringify({ QueueName: 'query-q' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ QueueUrl: `${sqs.url}/${ACCOUNT}/query-q` });
    const error = await fetch(`${sqs.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.GetQueueUrl' },
      body: JSON.stringify({ QueueName: 'absent' }),
    });
    expect(error.status).toBe(400);
    expect(error.headers.get('x-amzn-query-error')).toBe('AWS.SimpleQueueService.NonExistentQueue;Sender');
    expect(await error.json()).toEqual({
      __type: 'com.amazonaws.sqs#QueueDoesNotExist',
      message: 'The specified queue does not exist.',
    });
  });

  it('does not hand messages to a long poll whose client went away', async () => {
    const url = `${sqs.url}/${ACCOUNT}/query-abandoned`;
    await query('/', { Action: 'CreateQueue', QueueName: 'query-abandoned' });
    const controller = new AbortController();
    const abandoned = fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        Action: 'ReceiveMessage',
        WaitTimeSeconds: '20',
        Version: '2012-11-05',
      }).toString(),
      signal: controller.signal,
    }).catch((error: Error) => error.name);
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    expect(await abandoned).toBe('AbortError');
    // Let the emulator see the closed connection before the message arrives.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await query(`/${ACCOUNT}/query-abandoned`, { Action: 'SendMessage', MessageBody: 'for the next poll' });
    const received = await query(`/${ACCOUNT}/query-abandoned`, {
      Action: 'ReceiveMessage',
      WaitTimeSeconds: '5',
      'AttributeName.1': 'ApproximateReceiveCount',
    });
    expect(element(received.body, 'Body')).toBe('for the next poll');
    expect(received.body).toContain(
      '<Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute>',
    );
  });

  it('tells SQS requests from others for an edge to dispatch', async () => {
    // isSqsRequest reads only the method, URL and headers of the request, and the body it is given.
    const check = async (options: {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string;
    }): Promise<boolean> => {
      const req = {
        method: options.method ?? 'POST',
        url: options.path ?? '/',
        headers: options.headers ?? {},
      } as unknown as IncomingMessage;
      return sqs.emulator.isSqsRequest(req, options.body ? Buffer.from(options.body) : undefined);
    };
    expect(await check({ headers: { 'x-amz-target': 'AmazonSQS.SendMessage' } })).toBe(true);
    expect(await check({ headers: { 'x-amz-target': 'DynamoDB_20120810.PutItem' } })).toBe(false);
    expect(
      await check({
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'Action=ListQueues&Version=2012-11-05',
      }),
    ).toBe(true);
    expect(
      await check({
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'Action=ListTopics&Version=2010-03-31',
      }),
    ).toBe(false);
    expect(await check({ method: 'GET', path: '/?Action=ListQueues&Version=2012-11-05' })).toBe(true);
    expect(
      await check({
        path: `/${ACCOUNT}/orders`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'Action=SendMessage&MessageBody=x',
      }),
    ).toBe(true);
    expect(
      await check({
        method: 'PUT',
        path: `/${ACCOUNT}/orders`,
        headers: {
          authorization:
            'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0',
        },
      }),
    ).toBe(false);
    expect(
      await check({
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization:
            'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=0',
        },
        body: 'Action=Publish&Version=2012-11-05',
      }),
    ).toBe(false);
  });
});
