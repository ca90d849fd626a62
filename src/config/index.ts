import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../core/errors.ts';
import { configSchema, type EventlineConfig, type EventlineConfigInput } from './schema.ts';

export * from './schema.ts';

/** Typed identity for `eventline.config.ts`: editors complete and check the settings. */
export function defineConfig(config: EventlineConfigInput): EventlineConfigInput {
  return config;
}

/** Validates a config object; the error lists every wrong setting by its path and what was expected. */
export function parseConfig(input: unknown, origin = 'eventline.config.ts'): EventlineConfig {
  const result = configSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
    return { setting: path, message: issue.message };
  });
  throw new ConfigError(
    `${origin}: invalid configuration:\n${problems.map((p) => `  - ${p.setting}: ${p.message}`).join('\n')}`,
    { problems },
  );
}

/** Loads and validates a config file (TypeScript through tsx, or JavaScript). */
export async function loadConfig(path = 'eventline.config.ts'): Promise<EventlineConfig> {
  const file = resolve(path);
  try {
    await access(file);
  } catch (error) {
    throw new ConfigError(`${path}: config file not found (looked at ${file})`, {
      problems: [],
      cause: error,
    });
  }
  const module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  return parseConfig(module.default, path);
}

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
  if (env.INGEST_QUEUE_URL) names.ingestQueueUrl = env.INGEST_QUEUE_URL;
  if (env.AWS_LAMBDA_FUNCTION_NAME) names.functionName = env.AWS_LAMBDA_FUNCTION_NAME;
  return names;
}
