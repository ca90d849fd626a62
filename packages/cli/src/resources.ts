import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EventlineConfig } from '@eventline/config';
import { localFunctionName } from '@eventline/config';
import { errorMessage } from '@eventline/core';

/**
 * Where the CLI's AWS calls go. With `--stack <name>`: the deployed stack's CloudFormation outputs
 * (packages/infra/src/eventline-stack.ts), credentials and region from the standard AWS chain. Without
 * it: the local stack, named by the config, through its endpoint, with the same AWS APIs.
 */

/** The stack outputs the CLI reads (CfnOutput ids in eventline-stack.ts). */
export const STACK_OUTPUTS = [
  'BucketName',
  'TableName',
  'TopicArn',
  'DeadLetterQueueUrl',
  'DeadLetterQueueArn',
  'EventDeadLetterQueueUrl',
  'EventDeadLetterQueueArn',
  'DeliveryDeadLetterQueueUrl',
  'FunctionName',
  'TriggerMode',
  'IngestQueueUrl',
  'IngestQueueArn',
] as const;

export interface Queue {
  /** Who the queue is for people: `ingest`, `files` (eventline's letters), `events`, `delivery`. */
  label: 'ingest' | 'files' | 'events' | 'delivery';
  url: string;
  arn: string;
  /** Where its URL came from, for errors: a stack output or a local queue name. */
  source: string;
}

export interface Target {
  /** `stack <name>` or `local stack at <endpoint>`, for messages. */
  where: string;
  /** The region every call is signed for. */
  region: string;
  /** Where the calls go: a URL, or `AWS (regional endpoints)`. */
  endpoint: string;
  local: boolean;
  stackName: string;
  mode: 'queue' | 'direct';
  bucket: { name: string; source: string };
  table: { name: string; source: string };
  functionName?: string;
  queues: Partial<Record<Queue['label'], Queue>>;
  /** Why a queue is missing (local stack without SQS, direct mode...). */
  missing: Partial<Record<Queue['label'], string>>;
  clients: Clients;
}

export interface Clients {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  sqs: SQSClient;
  lambda: LambdaClient;
  cloudwatch: CloudWatchClient;
}

export interface TargetOptions {
  stack?: string;
  region?: string;
  /** Local: the stack's endpoint. With `stack`: where every call goes (CloudFormation too); unset: AWS. */
  endpoint?: string;
  config: EventlineConfig;
}

/** What every client of a deployed target is made with: the region, and the endpoint when one is set. */
const deployedCommon = (options: TargetOptions) => ({
  ...(options.region ? { region: options.region } : {}),
  ...(options.endpoint ? { endpoint: options.endpoint } : {}),
});

const sqsEndpointSet = (common: Record<string, unknown>) =>
  Boolean(common.endpoint ?? process.env.AWS_ENDPOINT_URL_SQS ?? process.env.AWS_ENDPOINT_URL);

function makeClients(common: Record<string, unknown>, s3Extra: Record<string, unknown>): Clients {
  const dynamodb = new DynamoDBClient(common);
  return {
    s3: new S3Client({ ...common, ...s3Extra }),
    dynamodb,
    // Numbers stay exact text (NumberValue): printed as stored.
    documents: DynamoDBDocumentClient.from(dynamodb, { unmarshallOptions: { wrapNumbers: true } }),
    // An endpoint set on purpose (AWS_ENDPOINT_URL[_SQS], --endpoint) is where SQS calls go, whatever
    // host a queue URL names; otherwise the SDK sends each call to its queue URL's host.
    sqs: new SQSClient({ ...common, ...(sqsEndpointSet(common) ? { useQueueUrlAsEndpoint: false } : {}) }),
    lambda: new LambdaClient(common),
    cloudwatch: new CloudWatchClient(common),
  };
}

/** A call that nothing answered: nothing listening at the endpoint, an unknown host, no route. */
export function unreachable(error: unknown): boolean {
  for (
    let e = error as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown } | undefined,
      depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)$/.test(code)) return true;
    if (
      typeof e.message === 'string' &&
      /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\b/.test(e.message)
    )
      return true;
  }
  return false;
}

/** What to run when no local stack answers at `endpoint`, in one line. */
export const noLocalStack = (endpoint: string) =>
  `no eventline local stack answers at ${endpoint}: start one with \`npm start\` (or point --endpoint at a running one, or read a deployed stack with --stack NAME)`;

export function destroyClients(clients: Clients): void {
  for (const client of Object.values(clients)) (client as { destroy(): void }).destroy();
}

/** Local queue names, as the CDK app names them (`<stack>-ingest`) and the local stack creates them. */
export function localQueueNames(stackName: string): Record<'ingest' | 'files' | 'events', string> {
  return { ingest: `${stackName}-ingest`, files: `${stackName}-dlq`, events: `${stackName}-events-dlq` };
}

async function describeStack(options: TargetOptions & { stack: string }): Promise<Record<string, string>> {
  const cfn = new CloudFormationClient(deployedCommon(options));
  try {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: options.stack }));
    const outputs: Record<string, string> = {};
    for (const o of Stacks?.[0]?.Outputs ?? [])
      if (o.OutputKey && o.OutputValue) outputs[o.OutputKey] = o.OutputValue;
    return outputs;
  } catch (error) {
    const region = await cfn.config.region().catch(() => 'no region');
    const at = options.endpoint ? ` at ${options.endpoint}` : '';
    const message = errorMessage(error);
    if (options.endpoint && unreachable(error)) {
      throw new Error(
        `nothing answers at ${options.endpoint} (--endpoint) for stack "${options.stack}" (--stack): start the emulator there, or leave --endpoint out to read the stack on AWS`,
      );
    }
    if (/Region is missing/i.test(message)) {
      throw new Error(
        `no region for stack "${options.stack}" (--stack): pass --region NAME or set AWS_REGION (or a region in your AWS profile)`,
      );
    }
    if (/Could not load credentials/i.test(message)) {
      throw new Error(
        `no AWS credentials to read stack "${options.stack}" (--stack) in ${region}: configure them (aws configure, AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)`,
      );
    }
    if (/does not exist/.test(message)) {
      throw new Error(
        `stack "${options.stack}" (--stack) does not exist in ${region}${at}: deploy it (npm run deploy), or pick the region with --region or AWS_REGION${at ? ', or the endpoint with --endpoint' : ''}`,
      );
    }
    throw new Error(
      `DescribeStacks ${options.stack} (--stack) in ${region}${at} failed: ${errorMessage(error)}`,
    );
  } finally {
    cfn.destroy();
  }
}

const arnOfUrl = (url: string, region: string) => {
  const u = new URL(url);
  const [, account, name] = u.pathname.split('/');
  return `arn:aws:sqs:${region}:${account}:${name}`;
};

export async function resolveTarget(options: TargetOptions): Promise<Target> {
  if (options.stack) return deployedTarget({ ...options, stack: options.stack });
  if (!options.endpoint) throw new Error('the local stack needs an endpoint');
  return localTarget({ ...options, endpoint: options.endpoint });
}

async function deployedTarget(options: TargetOptions & { stack: string }): Promise<Target> {
  const outputs = await describeStack(options);
  const need = (id: string): string => {
    const value = outputs[id];
    if (!value) {
      throw new Error(
        `stack "${options.stack}" (--stack) has no output "${id}": deploy the current packages/infra (npm run deploy)`,
      );
    }
    return value;
  };
  const clients = makeClients(
    deployedCommon(options),
    options.endpoint ? { forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' } : {},
  );
  const region = await clients.s3.config.region().catch(() => 'no region');
  const queues: Target['queues'] = {};
  const missing: Target['missing'] = {};
  const add = (label: Queue['label'], urlId: string, arnId?: string) => {
    const url = outputs[urlId];
    if (!url) {
      missing[label] = `stack "${options.stack}" has no output "${urlId}"`;
      return;
    }
    const arn = (arnId && outputs[arnId]) || arnOfUrl(url, 'unknown');
    queues[label] = { label, url, arn, source: `output ${urlId} of stack ${options.stack}` };
  };
  const mode = outputs.TriggerMode === 'direct' ? 'direct' : 'queue';
  if (mode === 'queue') add('ingest', 'IngestQueueUrl', 'IngestQueueArn');
  else missing.ingest = 'direct mode has no ingest queue';
  add('files', 'DeadLetterQueueUrl', 'DeadLetterQueueArn');
  add('events', 'EventDeadLetterQueueUrl', 'EventDeadLetterQueueArn');
  add('delivery', 'DeliveryDeadLetterQueueUrl');
  const target: Target = {
    where: `stack ${options.stack}`,
    region,
    endpoint: options.endpoint ?? 'AWS (regional endpoints)',
    local: false,
    stackName: options.stack,
    mode,
    bucket: { name: need('BucketName'), source: `output BucketName of stack ${options.stack}` },
    table: { name: need('TableName'), source: `output TableName of stack ${options.stack}` },
    queues,
    missing,
    clients,
  };
  if (outputs.FunctionName) target.functionName = outputs.FunctionName;
  return target;
}

async function localTarget(options: TargetOptions & { endpoint: string }): Promise<Target> {
  const c = options.config;
  const common = {
    endpoint: options.endpoint,
    region: c.local.region,
    credentials: { accessKeyId: c.local.accessKeyId, secretAccessKey: c.local.secretAccessKey },
    maxAttempts: 2,
  };
  const clients = makeClients(common, { forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
  // SQS may be served elsewhere (AWS_ENDPOINT_URL_SQS, the standard per-service setting).
  const sqsEndpoint = process.env.AWS_ENDPOINT_URL_SQS;
  if (sqsEndpoint) {
    clients.sqs.destroy();
    clients.sqs = new SQSClient({ ...common, endpoint: sqsEndpoint, useQueueUrlAsEndpoint: false });
  }
  const stackName = c.name;
  const queues: Target['queues'] = {};
  const missing: Target['missing'] = {};
  const names = localQueueNames(stackName);
  const sqsAt = sqsEndpoint ?? options.endpoint;
  for (const label of ['ingest', 'files', 'events'] as const) {
    if (label === 'ingest' && c.trigger.mode === 'direct') {
      missing.ingest = 'direct mode has no ingest queue';
      continue;
    }
    try {
      const { QueueUrl } = await clients.sqs.send(new GetQueueUrlCommand({ QueueName: names[label] }));
      if (!QueueUrl) throw new Error('no QueueUrl returned');
      const { Attributes } = await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
      );
      queues[label] = {
        label,
        url: QueueUrl,
        arn: Attributes?.QueueArn ?? arnOfUrl(QueueUrl, c.local.region),
        source: `queue ${names[label]} at ${sqsAt}`,
      };
    } catch (error) {
      // Nothing listening there: every later call would fail the same way; say what to run, once.
      if (unreachable(error)) {
        destroyClients(clients);
        throw new Error(noLocalStack(sqsAt));
      }
      missing[label] = `no queue "${names[label]}" at ${sqsAt} (${errorMessage(error)})`;
    }
  }
  return {
    where: `local stack at ${options.endpoint}`,
    region: c.local.region,
    endpoint: sqsEndpoint ? `${options.endpoint} (SQS: ${sqsEndpoint})` : options.endpoint,
    local: true,
    stackName,
    mode: c.trigger.mode,
    // The local stack answers Lambda's Invoke for its function (direct mode's redrives).
    functionName: localFunctionName(c),
    bucket: {
      name: c.bucket.name,
      source: process.env.BUCKET_NAME !== undefined ? 'BUCKET_NAME' : 'bucket.name',
    },
    table: { name: c.table.name, source: process.env.TABLE_NAME !== undefined ? 'TABLE_NAME' : 'table.name' },
    queues,
    missing,
    clients,
  };
}

/** The queue, or an error naming it and why it is not there. */
export function needQueue(target: Target, label: Queue['label'], purpose: string): Queue {
  const queue = target.queues[label];
  if (queue) return queue;
  throw new Error(
    `${purpose} needs the ${label} queue of ${target.where}: ${target.missing[label] ?? 'unknown'}`,
  );
}
