import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetAccountSettingsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { GetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { EventlineConfig } from '@eventline/config';
import { ingestQueueName, MIN_UNRESERVED_CONCURRENCY } from '@eventline/config';
import { errorMessage } from '@eventline/core';

/**
 * `eventline doctor`: the account's quotas and settings that would make a deploy of this config, or
 * the pipeline after it, fail; one finding per check, each a line saying what was found and what to
 * do. Read-only calls (DescribeStacks, GetAccountSettings, HeadBucket, DescribeTable, GetQueueUrl,
 * GetTopicAttributes); credentials, region and endpoints from the AWS chain, `--region`/`--endpoint`.
 */

export type Verdict = 'ok' | 'warn' | 'fail';

export interface Finding {
  check: string;
  verdict: Verdict;
  message: string;
}

export interface DoctorClients {
  cloudformation: CloudFormationClient;
  lambda: LambdaClient;
  s3: S3Client;
  dynamodb: DynamoDBClient;
  sqs: SQSClient;
  sns: SNSClient;
}

export function doctorClients(options: { region?: string; endpoint?: string }): DoctorClients {
  const common = {
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  };
  return {
    cloudformation: new CloudFormationClient(common),
    lambda: new LambdaClient(common),
    s3: new S3Client({ ...common, ...(options.endpoint ? { forcePathStyle: true } : {}) }),
    dynamodb: new DynamoDBClient(common),
    sqs: new SQSClient(common),
    sns: new SNSClient(common),
  };
}

const nameOf = (error: unknown) => (error as { name?: string }).name ?? '';
const statusOf = (error: unknown) =>
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

async function describeStack(cfn: CloudFormationClient, name: string): Promise<Stack | undefined> {
  try {
    return (await cfn.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
  } catch (error) {
    if (/does not exist/.test(errorMessage(error))) return undefined;
    throw error;
  }
}

const outputOf = (stack: Stack | undefined, key: string) =>
  stack?.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;

/** The CDK's bootstrap stack, which `cdk deploy` needs in the account and region. */
async function bootstrap(clients: DoctorClients, region: string): Promise<Finding> {
  const check = 'cdk bootstrap';
  const toolkit = await describeStack(clients.cloudformation, 'CDKToolkit');
  if (!toolkit) {
    return {
      check,
      verdict: 'fail',
      message: `no CDKToolkit stack in ${region}: run npx cdk bootstrap aws://<account-id>/${region} once`,
    };
  }
  const version = outputOf(toolkit, 'BootstrapVersion');
  if (!/_COMPLETE$/.test(toolkit.StackStatus ?? '') || /ROLLBACK|DELETE/.test(toolkit.StackStatus ?? '')) {
    return {
      check,
      verdict: 'fail',
      message: `CDKToolkit is ${toolkit.StackStatus}: fix or re-run npx cdk bootstrap`,
    };
  }
  return { check, verdict: 'ok', message: `CDKToolkit ready${version ? ` (version ${version})` : ''}` };
}

/** The stack itself: a state CloudFormation cannot update from stops the deploy. */
function stackState(stack: Stack | undefined, name: string): Finding {
  const check = 'stack';
  if (!stack) return { check, verdict: 'ok', message: `"${name}" does not exist yet: deploy creates it` };
  const status = stack.StackStatus ?? 'UNKNOWN';
  if (status === 'ROLLBACK_COMPLETE' || status === 'ROLLBACK_FAILED' || status === 'DELETE_FAILED') {
    return {
      check,
      verdict: 'fail',
      message: `"${name}" is ${status}: CloudFormation cannot update it; delete it (aws cloudformation delete-stack --stack-name ${name}) and deploy again`,
    };
  }
  if (status.endsWith('_IN_PROGRESS')) {
    return { check, verdict: 'fail', message: `"${name}" is ${status}: wait until it ends, then deploy` };
  }
  if (status === 'UPDATE_ROLLBACK_FAILED') {
    return {
      check,
      verdict: 'fail',
      message: `"${name}" is UPDATE_ROLLBACK_FAILED: aws cloudformation continue-update-rollback --stack-name ${name}`,
    };
  }
  return { check, verdict: 'ok', message: `"${name}" is ${status}: deploy updates it` };
}

/** Lambda's account concurrency against the reservation (and the event source mapping's maximum). */
async function concurrency(clients: DoctorClients, config: EventlineConfig): Promise<Finding> {
  const check = 'lambda concurrency';
  const settings = await clients.lambda.send(new GetAccountSettingsCommand({}));
  const total = settings.AccountLimit?.ConcurrentExecutions ?? 0;
  const unreserved = settings.AccountLimit?.UnreservedConcurrentExecutions ?? total;
  const minimum = Math.min(MIN_UNRESERVED_CONCURRENCY, total);
  const reservable = Math.max(0, unreserved - minimum);
  const quota = `account quota ${total}, ${unreserved} unreserved`;
  const reserved = config.function.reservedConcurrency;
  if (reserved !== undefined && reserved > reservable) {
    return {
      check,
      verdict: 'fail',
      message: `function.reservedConcurrency ${reserved} cannot be reserved: ${quota}, and Lambda keeps ${minimum} unreserved, so at most ${reservable} can be; leave function.reservedConcurrency unset${config.trigger.mode === 'queue' ? ' (trigger.maxConcurrency bounds the function)' : ''} or ask AWS for a higher Lambda concurrency quota (Service Quotas, "Concurrent executions")`,
    };
  }
  const wanted = reserved ?? (config.trigger.mode === 'queue' ? config.trigger.maxConcurrency : undefined);
  if (reserved === undefined && wanted !== undefined && wanted > unreserved) {
    return {
      check,
      verdict: 'warn',
      message: `trigger.maxConcurrency ${wanted} exceeds the ${unreserved} unreserved concurrency (${quota}): invocations beyond it are throttled; lower trigger.maxConcurrency or ask for a higher quota`,
    };
  }
  if (total < 2 * MIN_UNRESERVED_CONCURRENCY) {
    return {
      check,
      verdict: 'warn',
      message: `${quota}: a new account's low quota; the pipeline runs, but ask AWS for a higher Lambda concurrency quota before production load`,
    };
  }
  const what =
    reserved !== undefined
      ? `reserving ${reserved} leaves ${unreserved - reserved}`
      : `no reservation (${config.trigger.mode === 'queue' ? `trigger.maxConcurrency ${config.trigger.maxConcurrency} bounds the function` : 'direct mode: the function shares the unreserved pool'})`;
  return { check, verdict: 'ok', message: `${quota}; ${what}` };
}

/** A name the config fixes must be free, or already the stack's own. */
async function fixedName(
  check: string,
  setting: string,
  name: string | undefined,
  ownedByStack: string | undefined,
  exists: (name: string) => Promise<'exists' | 'free' | 'foreign'>,
): Promise<Finding | undefined> {
  if (name === undefined) return undefined;
  if (ownedByStack?.endsWith(name)) {
    return { check, verdict: 'ok', message: `${setting} "${name}" is the stack's own` };
  }
  const found = await exists(name);
  if (found === 'free') return { check, verdict: 'ok', message: `${setting} "${name}" is free` };
  return {
    check,
    verdict: 'fail',
    message:
      found === 'foreign'
        ? `${setting} "${name}" belongs to another account (names are global): pick another or leave it unset`
        : `${setting} "${name}" already exists outside the stack: CloudFormation cannot create it; pick another name, leave it unset, or delete the existing one`,
  };
}

/** Every check, in order; a check that cannot run is a `fail` naming the call and its error. */
export async function diagnose(
  clients: DoctorClients,
  config: EventlineConfig,
  stackName: string,
): Promise<Finding[]> {
  const region = await clients.cloudformation.config.region().catch(() => 'no region');
  const attempt = async (check: string, run: () => Promise<Finding | undefined>) => {
    try {
      return await run();
    } catch (error) {
      return {
        check,
        verdict: 'fail' as const,
        message: `could not check (${nameOf(error) || 'error'}: ${errorMessage(error)})`,
      };
    }
  };
  const stack = await describeStack(clients.cloudformation, stackName).catch(() => undefined);
  const findings = await Promise.all([
    attempt('cdk bootstrap', () => bootstrap(clients, region)),
    attempt('stack', async () => stackState(stack, stackName)),
    attempt('lambda concurrency', () => concurrency(clients, config)),
    attempt('bucket name', () =>
      fixedName(
        'bucket name',
        'bucket.deployName',
        config.bucket.deployName,
        outputOf(stack, 'BucketName'),
        async (Bucket) => {
          try {
            await clients.s3.send(new HeadBucketCommand({ Bucket }));
            return 'exists';
          } catch (error) {
            if (statusOf(error) === 404 || nameOf(error) === 'NotFound') return 'free';
            if (statusOf(error) === 403) return 'foreign';
            throw error;
          }
        },
      ),
    ),
    attempt('table name', () =>
      fixedName(
        'table name',
        'table.deployName',
        config.table.deployName,
        outputOf(stack, 'TableName'),
        async (TableName) => {
          try {
            await clients.dynamodb.send(new DescribeTableCommand({ TableName }));
            return 'exists';
          } catch (error) {
            if (nameOf(error) === 'ResourceNotFoundException') return 'free';
            throw error;
          }
        },
      ),
    ),
    attempt('ingest queue name', () =>
      config.trigger.mode === 'queue'
        ? fixedName(
            'ingest queue name',
            'the ingest queue',
            ingestQueueName(stackName),
            outputOf(stack, 'IngestQueueUrl'),
            async (QueueName) => {
              try {
                await clients.sqs.send(new GetQueueUrlCommand({ QueueName }));
                return 'exists';
              } catch (error) {
                if (/NonExistentQueue|QueueDoesNotExist/.test(nameOf(error))) return 'free';
                throw error;
              }
            },
          )
        : Promise.resolve(undefined),
    ),
    ...config.alarms.topicArns.map((TopicArn, i) =>
      attempt(`alarm topic ${i}`, async () => {
        try {
          await clients.sns.send(new GetTopicAttributesCommand({ TopicArn }));
          return {
            check: `alarm topic ${i}`,
            verdict: 'ok' as const,
            message: `alarms.topicArns.${i} exists`,
          };
        } catch (error) {
          if (nameOf(error) !== 'NotFoundException' && nameOf(error) !== 'NotFound') throw error;
          return {
            check: `alarm topic ${i}`,
            verdict: 'fail' as const,
            message: `alarms.topicArns.${i} (${TopicArn}) does not exist: alarms sent there would be lost; create it or remove it`,
          };
        }
      }),
    ),
    attempt('alarm recipients', async () =>
      config.alarms.notify === 'nowhere'
        ? {
            check: 'alarm recipients',
            verdict: 'warn' as const,
            message:
              "alarms.notify is 'nowhere': the alarms reach nobody; add alarms.subscriptions or alarms.topicArns",
          }
        : undefined,
    ),
  ]);
  return findings.filter((f): f is Finding => f !== undefined);
}

export function destroyDoctorClients(clients: DoctorClients): void {
  for (const client of Object.values(clients)) client.destroy();
}
