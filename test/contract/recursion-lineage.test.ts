/**
 * Lambda's recursive loop detection and the function's own chains (docs/protocol.md, "Recursive loop
 * detection"). A continuation (a file longer than one invocation) and a deferral (hole 12: a newer
 * version sent again for after an older version's lease) are the function sending an event to its
 * own trigger: the ingest queue (queue mode) or itself (direct mode's asynchronous Invoke). Lambda
 * counts such a chain through the X-Ray trace header's Lineage, which SDK v3 copies from
 * `_X_AMZN_TRACE_ID` onto every request it sends from inside Lambda, and, with the function's
 * `RecursiveLoop: Terminate` (infra), stops the chain after 16 hops: a file of more than 16
 * segments, or a newer version deferred more than 16 times, would end in the events DLQ. The chains
 * stay whole because the Lambda entry's clients (packages/aws/src/http) send no trace header. These
 * tests pin both halves against a loopback server that records what it receives.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LambdaApi, SqsApi } from '@eventline/aws';
import { createHttpClients } from '@eventline/aws/http';
import { createClients, destroyClients, sdkLambdaApi, withSqsApi } from '@eventline/aws/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const TRACE = 'Root=1-67891234-abcdef012345678912345678;Parent=1234567890abcdef;Sampled=1;Lineage=a87bd80c:3';
const received: IncomingHttpHeaders[] = [];
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push(req.headers);
      if (req.url?.includes('/functions/')) {
        res.writeHead(202, { 'content-type': 'application/json' }).end('');
        return;
      }
      // SQS (JSON protocol): SDK v3 checks the body's MD5.
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { MessageBody?: string };
      const md5 = createHash('md5')
        .update(body.MessageBody ?? '')
        .digest('hex');
      res
        .writeHead(200, { 'content-type': 'application/x-amz-json-1.0' })
        .end(JSON.stringify({ MessageId: 'm-1', MD5OfMessageBody: md5 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const saved = { name: process.env.AWS_LAMBDA_FUNCTION_NAME, trace: process.env._X_AMZN_TRACE_ID };
afterEach(() => {
  received.length = 0;
  for (const [name, value] of [
    ['AWS_LAMBDA_FUNCTION_NAME', saved.name],
    ['_X_AMZN_TRACE_ID', saved.trace],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** As inside a Lambda invocation: the runtime sets the function's name and the invocation's trace. */
function insideLambda(): void {
  process.env.AWS_LAMBDA_FUNCTION_NAME = 'eventline-pipeline';
  process.env._X_AMZN_TRACE_ID = TRACE;
}

async function sendBoth(sqs: SqsApi, lambda: LambdaApi): Promise<void> {
  await sqs.sendMessage({ QueueUrl: `${endpoint}/000000000000/ingest`, MessageBody: '{"Records":[]}' });
  await lambda.invoke({
    FunctionName: 'eventline-pipeline',
    InvocationType: 'Event',
    Payload: new TextEncoder().encode('{"Records":[]}'),
  });
}

const settings = () => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});

describe("the function's own chains and Lambda's recursive loop detection", () => {
  it("the Lambda entry's clients send no trace header from inside Lambda: continuations and deferrals are not counted as a loop", async () => {
    insideLambda();
    const http = createHttpClients(settings());
    await sendBoth(http.sqs, await http.lambda());
    expect(received).toHaveLength(2);
    for (const headers of received) expect(headers['x-amzn-trace-id']).toBeUndefined();
  });

  it('SDK v3 clients would send it (the Lineage Lambda counts), which is why the entry must not use them for these sends', async () => {
    insideLambda();
    const sdk = createClients(settings());
    try {
      const lambda = await sdkLambdaApi(settings())();
      await sendBoth(withSqsApi(sdk.sqs), lambda);
    } finally {
      destroyClients(sdk);
    }
    expect(received).toHaveLength(2);
    for (const headers of received) expect(headers['x-amzn-trace-id']).toBe(TRACE);
  });
});
