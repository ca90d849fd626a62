import { ConfigError } from './errors.ts';
import { bucketNameProblem, tableNameProblem, topicNameProblem } from './names.ts';
import type { EventlineConfig } from './schema.ts';

/*
 * The resource names a running pipeline uses, from its environment over the config. No zod here: the
 * Lambda entry imports this module, and its bundle carries no schema code.
 */

/** Names the deployed pipeline reads from its environment, as in the seed (`TABLE_NAME`, `TOPIC_ARN`). */
export interface RuntimeNames {
  tableName: string;
  topicArn: string;
  bucketName: string;
  deadLetterQueueUrl?: string;
  /** Queue mode: where a file too long for one invocation sends its continuation (`INGEST_QUEUE_URL`). */
  ingestQueueUrl?: string;
  /** Direct mode: the function re-invokes itself to continue a file (`AWS_LAMBDA_FUNCTION_NAME`). */
  functionName?: string;
  /** Where each name came from (`table.name` or `TABLE_NAME`...), for errors that name the setting. */
  settings?: { table: string; topic: string; bucket: string };
}

/** The function's name on the local stack (`<name>-handler`; CloudFormation names the deployed one). */
export function localFunctionName(config: Pick<EventlineConfig, 'name'>): string {
  return `${config.name}-handler`;
}

function invalid(setting: string, message: string): ConfigError {
  return new ConfigError(`${setting}: expected ${message}`, { problems: [{ setting, message }] });
}

const TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):(\d{12}):(.+)$/;

export function runtimeNames(
  config: EventlineConfig,
  env: NodeJS.ProcessEnv = process.env,
  defaults: { region?: string; accountId?: string } = {},
): RuntimeNames {
  const region = env.AWS_REGION ?? defaults.region ?? config.local.region;
  const account = defaults.accountId ?? '000000000000';
  const topicArn = env.TOPIC_ARN ?? `arn:aws:sns:${region}:${account}:${config.topic.name}`;
  const arn = TOPIC_ARN.exec(topicArn);
  if (!arn) throw invalid('TOPIC_ARN', `an SNS topic ARN, got "${topicArn}"`);
  const topicProblem = topicNameProblem(arn[3] ?? '');
  if (topicProblem) throw invalid('TOPIC_ARN', `${topicProblem} (in "${topicArn}")`);
  const tableName = env.TABLE_NAME ?? config.table.name;
  const tableProblem = tableNameProblem(tableName);
  if (tableProblem) throw invalid('TABLE_NAME', tableProblem);
  const bucketName = env.BUCKET_NAME ?? config.bucket.name;
  const bucketProblem = bucketNameProblem(bucketName);
  if (bucketProblem) throw invalid('BUCKET_NAME', bucketProblem);
  const names: RuntimeNames = {
    tableName,
    topicArn,
    bucketName,
    settings: {
      table: env.TABLE_NAME !== undefined ? 'TABLE_NAME' : 'table.name',
      topic: env.TOPIC_ARN !== undefined ? 'TOPIC_ARN' : 'topic.name',
      bucket: env.BUCKET_NAME !== undefined ? 'BUCKET_NAME' : 'bucket.name',
    },
  };
  if (env.DLQ_URL) names.deadLetterQueueUrl = env.DLQ_URL;
  if (env.INGEST_QUEUE_URL) names.ingestQueueUrl = env.INGEST_QUEUE_URL;
  if (env.AWS_LAMBDA_FUNCTION_NAME) names.functionName = env.AWS_LAMBDA_FUNCTION_NAME;
  return names;
}

/**
 * The config with the function's environment overrides applied, for the local stack and the CLI:
 * `TABLE_NAME`, `BUCKET_NAME` and `TOPIC_ARN` (a topic of the local stack's region and account)
 * rename the local table, bucket and topic as they rename the deployed function's. Each is checked
 * against AWS's rules; an error names the variable.
 */
export function withEnvironment(
  config: EventlineConfig,
  env: NodeJS.ProcessEnv = process.env,
  local: { accountId: string } = { accountId: '000000000000' },
): EventlineConfig {
  const names = runtimeNames(config, { ...env, AWS_REGION: config.local.region }, local);
  let topicName = config.topic.name;
  if (env.TOPIC_ARN !== undefined) {
    const [, region, account, name = ''] = TOPIC_ARN.exec(names.topicArn) ?? [];
    if (region !== config.local.region || account !== local.accountId) {
      throw invalid(
        'TOPIC_ARN',
        `a topic of the local stack (region ${config.local.region}, account ${local.accountId}), such as "arn:aws:sns:${config.local.region}:${local.accountId}:${name}", got "${env.TOPIC_ARN}"`,
      );
    }
    topicName = name;
  }
  return {
    ...config,
    table: { ...config.table, name: names.tableName },
    bucket: { ...config.bucket, name: names.bucketName },
    topic: { ...config.topic, name: topicName },
  };
}
