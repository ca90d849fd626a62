import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * Figure 4's "signed fetch" probe (a variant of bench/figures/bundle-size.ts): the naive build's three calls
 * (S3 GetObject, DynamoDB PutItem, SNS Publish) made with Node's fetch, signed by
 * @smithy/signature-v4 with credentials from the Lambda environment, bundled like the real handler.
 * A bound on what a signed-fetch client layer costs at cold start, not a client: it has one retry
 * rule (throttling and 5xx, exponential backoff with full jitter), a timeout per attempt, and reads
 * error codes from JSON and XML bodies, roughly the least a real one needs.
 */
class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret
      ? createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as ArrayBuffer))
      : createHash('sha256');
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : Buffer.from(data as ArrayBuffer));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  reset(): void {}
}

const region = process.env.AWS_REGION ?? 'us-east-1';
const credentials = {
  accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? '',
  secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '',
  ...(process.env.AWS_SESSION_TOKEN ? { sessionToken: process.env.AWS_SESSION_TOKEN } : {}),
};
const signers = new Map<string, SignatureV4>();
const signer = (service: string) => {
  let s = signers.get(service);
  if (!s) {
    s = new SignatureV4({ service, region, credentials, sha256: Sha256, uriEscapePath: service !== 's3' });
    signers.set(service, s);
  }
  return s;
};

class AwsError extends Error {
  constructor(
    name: string,
    message: string,
    readonly $metadata: { httpStatusCode: number },
  ) {
    super(message);
    this.name = name;
  }
}

async function call(
  service: string,
  url: URL,
  init: { method: string; headers: Record<string, string>; body?: string },
): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const signed = await signer(service).sign({
      method: init.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { host: url.host, ...init.headers },
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
    const response = await fetch(url, {
      method: init.method,
      headers: signed.headers,
      ...(init.body !== undefined ? { body: init.body } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    if (response.ok) return response;
    const text = await response.text();
    const code =
      /"__type"\s*:\s*"(?:[^"#]*#)?([^"]+)"/.exec(text)?.[1] ??
      /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ??
      'Unknown';
    const retryable = response.status >= 500 || response.status === 429 || /Throttl/.test(code);
    if (!retryable || attempt >= 3) {
      throw new AwsError(code, text.slice(0, 200), { httpStatusCode: response.status });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 100 * 2 ** attempt));
  }
}

interface S3Event {
  Records: Array<{ s3: { bucket: { name: string }; object: { key: string } } }>;
}

export const handler = async (event: S3Event): Promise<void> => {
  for (const record of event.Records) {
    const { bucket, object } = record.s3;
    const got = await call('s3', new URL(`https://${bucket.name}.s3.${region}.amazonaws.com/${object.key}`), {
      method: 'GET',
      headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    let text = '';
    for await (const chunk of got.body as unknown as AsyncIterable<Uint8Array>) text += Buffer.from(chunk);
    const data = JSON.parse(text) as Record<string, unknown>;
    await call('dynamodb', new URL(`https://dynamodb.${region}.amazonaws.com/`), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.PutItem',
      },
      body: JSON.stringify({
        TableName: process.env.TABLE_NAME,
        Item: { pk: { S: String(data.id ?? object.key) }, payload: { S: JSON.stringify(data) } },
      }),
    });
    const published = await call('sns', new URL(`https://sns.${region}.amazonaws.com/`), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        Action: 'Publish',
        Version: '2010-03-31',
        TopicArn: process.env.TOPIC_ARN ?? '',
        Message: `New file processed: ${object.key}`,
        Subject: 'S3 Event Processed',
      }).toString(),
    });
    await published.text();
  }
};
