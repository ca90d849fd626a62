import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as sns from '@aws-sdk/client-sns';
import type { Step } from './cases.ts';

/** What one step did. Same shape as runner.py's. */
export type Outcome =
  | { ok: true; data: Record<string, unknown> }
  | { ok: false; code: string; status?: number; type?: string; message: string };

const REGION = 'us-east-1';
const WAIT_MS = 15_000;
const MAX_PAGES = 1000;
const HEADERS = [
  'x-amz-sns-message-type',
  'x-amz-sns-message-id',
  'x-amz-sns-topic-arn',
  'x-amz-sns-subscription-arn',
];

type Command = new (input: unknown) => never;
const commands = sns as unknown as Record<string, Command | undefined>;

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** A real HTTP endpoint on loopback: records every POST by path and answers 200. */
export class Subscriber {
  readonly received: Received[] = [];
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          body = { Raw: text };
        }
        this.received.push({ path: req.url ?? '', headers: req.headers, body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** Resolves with the requests to `endpoint` of `type` once there are `count`; bounded. */
  async waitFor(endpoint: string, type: string, count: number): Promise<Received[]> {
    const path = new URL(endpoint).pathname;
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const found = this.received.filter(
        (r) => r.path === path && r.headers['x-amz-sns-message-type'] === type,
      );
      if (found.length >= count) return found;
      if (Date.now() > deadline)
        throw new Error(
          `conformance: ${found.length} of ${count} ${type} requests reached ${endpoint} in ${WAIT_MS} ms`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const headersOf = (received: Received) => ({
  ...Object.fromEntries(
    HEADERS.filter((h) => received.headers[h] !== undefined).map((h) => [h, received.headers[h]]),
  ),
  'content-type': received.headers['content-type'],
});

function at(data: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], data);
}

/** Replaces `{{name}}` with saved values, throughout. */
export function substitute(value: unknown, vars: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    const whole = /^\{\{(\w+)\}\}$/.exec(value);
    if (whole) {
      if (!(whole[1]! in vars)) throw new Error(`conformance: {{${whole[1]}}} was never saved`);
      return vars[whole[1]!];
    }
    return value.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
      if (!(name in vars)) throw new Error(`conformance: {{${name}}} was never saved`);
      return String(vars[name]);
    });
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars)]));
  return value;
}

/** A SigV4-signed form POST, read as it comes (for the XML shapes). */
async function raw(endpoint: string, form: Record<string, string>): Promise<Record<string, unknown>> {
  const body = new URLSearchParams(form).toString();
  const url = new URL(endpoint);
  const now = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = now.slice(0, 8);
  const scope = `${day}/${REGION}/sns/aws4_request`;
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    host: url.host,
    'x-amz-date': now,
  };
  const signed = Object.keys(headers).sort();
  const canonical = [
    'POST',
    '/',
    '',
    signed.map((h) => `${h}:${headers[h]}\n`).join(''),
    signed.join(';'),
    createHash('sha256').update(body).digest('hex'),
  ].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', now, scope, createHash('sha256').update(canonical).digest('hex')].join(
    '\n',
  );
  let key: Buffer = createHmac('sha256', 'AWS4test').update(day).digest();
  for (const part of [REGION, 'sns', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      ...headers,
      authorization: `AWS4-HMAC-SHA256 Credential=test/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`,
    },
    body,
  });
  return describeXml(response.status, response.headers.get('content-type') ?? '', await response.text());
}

/** The parts of a Query-API XML answer the cases look at (runner.py computes the same). */
export function describeXml(status: number, contentType: string, text: string): Record<string, unknown> {
  const root = /^\s*(?:<\?xml[^>]*\?>\s*)?<([A-Za-z]+)(?:\s+xmlns="([^"]*)")?\s*>/.exec(text);
  const rest = root ? text.slice(root.index + root[0].length) : '';
  const code = /<Code>([^<]*)<\/Code>/.exec(text);
  const type = /<Type>([^<]*)<\/Type>/.exec(text);
  return {
    Status: status,
    ContentType: contentType,
    ...(root ? { Root: root[1] } : {}),
    ...(root?.[2] !== undefined ? { Namespace: root[2] } : {}),
    ...(/^\s*<([A-Za-z]+)/.exec(rest) ? { First: /^\s*<([A-Za-z]+)/.exec(rest)![1] } : {}),
    ...(code ? { Code: code[1] } : {}),
    ...(type ? { Type: type[1] } : {}),
    HasMessage: /<Message>[^<]+<\/Message>/.test(text),
    HasRequestId: /<RequestId>[^<]+<\/RequestId>/.test(text),
  };
}

export interface Runner {
  client: sns.SNSClient;
  endpoint: string;
  subscriber: Subscriber;
}

async function call(client: sns.SNSClient, op: string, params: Record<string, unknown>) {
  const Command = commands[`${op}Command`];
  if (!Command) throw new Error(`conformance: SDK v3 has no ${op}Command`);
  const { $metadata: _, ...data } = (await client.send(new Command(params))) as unknown as Record<
    string,
    unknown
  >;
  return data;
}

async function pseudo(
  runner: Runner,
  op: string,
  p: Record<string, unknown>,
): Promise<Record<string, unknown> | undefined> {
  const { client, subscriber } = runner;
  switch (op) {
    case 'SubscribeHttp': {
      const endpoint = `${subscriber.url}/${String(p.Name)}`;
      const { Name: _, ...rest } = p;
      const out = await call(client, 'Subscribe', { ...rest, Protocol: 'http', Endpoint: endpoint });
      return { SubscriptionArn: out.SubscriptionArn, Endpoint: endpoint };
    }
    case 'AwaitConfirmation': {
      const [first] = await subscriber.waitFor(String(p.Endpoint), 'SubscriptionConfirmation', 1);
      return { Headers: headersOf(first!), Body: first!.body };
    }
    case 'AwaitNotifications': {
      const found = await subscriber.waitFor(String(p.Endpoint), 'Notification', Number(p.Count));
      const sorted = [...found].sort((a, b) => String(a.body.Message).localeCompare(String(b.body.Message)));
      return {
        Count: found.length,
        Messages: sorted.map((r) => r.body.Message),
        Envelopes: sorted.map((r) => r.body),
        Headers: headersOf(found[0]!),
      };
    }
    case 'CreateTopics': {
      for (let i = 0; i < Number(p.Count); i++)
        await call(client, 'CreateTopic', { Name: `${String(p.Prefix)}-${i}` });
      return { Count: p.Count };
    }
    case 'ListTopicsAll': {
      const arns: string[] = [];
      const sizes: number[] = [];
      let token: string | undefined;
      do {
        const page = await call(client, 'ListTopics', token ? { NextToken: token } : {});
        const topics = (page.Topics as { TopicArn: string }[] | undefined) ?? [];
        sizes.push(topics.length);
        arns.push(...topics.map((t) => t.TopicArn));
        token = page.NextToken as string | undefined;
      } while (token && sizes.length < MAX_PAGES);
      const mine = arns.filter((a) => a.includes(String(p.Contains)));
      return {
        Pages: sizes.length,
        PageSizes: sizes,
        Mine: mine.length,
        Distinct: new Set(arns).size === arns.length,
        Full: sizes.slice(0, -1).every((n) => n === 100) && sizes.at(-1)! <= 100,
      };
    }
    case 'Raw':
      return raw(runner.endpoint, p.Form as Record<string, string>);
    default:
      return undefined;
  }
}

export async function runWithSdk(
  runner: Runner,
  step: Step,
  vars: Record<string, unknown>,
): Promise<Outcome> {
  const params = substitute(step.params, vars) as Record<string, unknown>;
  try {
    const data = (await pseudo(runner, step.op, params)) ?? (await call(runner.client, step.op, params));
    for (const [name, path] of Object.entries(step.save ?? {})) vars[name] = at(data, path);
    return { ok: true, data };
  } catch (error) {
    if (!(error instanceof sns.SNSServiceException)) throw error;
    return {
      ok: false,
      code: error.name,
      ...(error.$metadata.httpStatusCode ? { status: error.$metadata.httpStatusCode } : {}),
      // SDK v3 keeps the wire's Type only as $fault (client = Sender); boto3 and the Raw cases read <Type> itself.
      type: error.$fault === 'client' ? 'Sender' : 'Receiver',
      message: error.message,
    };
  }
}
