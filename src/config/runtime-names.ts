import { ConfigError } from '../core/errors.ts';
import type { EventlineConfig } from './schema.ts';

/** Names the deployed pipeline reads from its environment, as in the seed (`TABLE_NAME`, `TOPIC_ARN`). */
export interface RuntimeNames {
  tableName: string;
  topicArn: string;
  bucketName: string;
  deadLetterQueueUrl?: string;
}

export function runtimeNames(
  config: EventlineConfig,
  env: NodeJS.ProcessEnv = process.env,
  defaults: { region?: string; accountId?: string } = {},
): RuntimeNames {
  const region = env.AWS_REGION ?? defaults.region ?? config.local.region;
  const account = defaults.accountId ?? '000000000000';
  const topicArn = env.TOPIC_ARN ?? `arn:aws:sns:${region}:${account}:${config.topic.name}`;
  if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(topicArn)) {
    throw new ConfigError(`TOPIC_ARN: expected an SNS topic ARN, got "${topicArn}"`, {
      problems: [{ setting: 'TOPIC_ARN', message: 'an SNS topic ARN' }],
    });
  }
  const tableName = env.TABLE_NAME ?? config.table.name;
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(tableName)) {
    throw new ConfigError(`TABLE_NAME: expected a DynamoDB table name, got "${tableName}"`, {
      problems: [{ setting: 'TABLE_NAME', message: 'a DynamoDB table name' }],
    });
  }
  const names: RuntimeNames = { tableName, topicArn, bucketName: env.BUCKET_NAME ?? config.bucket.name };
  if (env.DLQ_URL) names.deadLetterQueueUrl = env.DLQ_URL;
  return names;
}
