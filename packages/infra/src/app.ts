import { createRequire } from 'node:module';
import type { EventlineConfig } from '@eventline/config';
import { ConfigError, loadConfig } from '@eventline/config';
import { App } from 'aws-cdk-lib';
import { EventlineStack } from './eventline-stack.ts';
import { addNagChecks } from './nag.ts';

/**
 * The CDK app: the only place that reads context and environment.
 *   -c config=<path>       config file (default: eventline.config.ts)
 *   -c mode=queue|direct   overrides trigger.mode
 * The function carries the config validated here as data (esbuild `define`, packages/config/src/bundled.ts);
 * key functions, record schemas and transforms are code, which it imports from the config file itself
 * (packages/config/src/travel.ts): `-c config=examples/iot/eventline.config.ts` deploys that recipe, code and all.
 * CDK_DEFAULT_ACCOUNT/CDK_DEFAULT_REGION (set by the CLI from your credentials) pick the environment;
 * without them the stack is environment-agnostic, which is enough to synthesize offline.
 */
const HANDLER_ENTRY = createRequire(import.meta.url).resolve('@eventline/lambda/entry');

function withModeOverride(config: EventlineConfig, mode: unknown): EventlineConfig {
  if (mode === undefined) return config;
  if (mode !== 'queue' && mode !== 'direct') {
    throw new ConfigError(`-c mode: expected "queue" or "direct", got "${String(mode)}"`, {
      problems: [{ setting: 'mode', message: 'queue or direct' }],
    });
  }
  return { ...config, trigger: { ...config.trigger, mode } };
}

async function main(): Promise<void> {
  const app = new App();
  const configPath = String(app.node.tryGetContext('config') ?? 'eventline.config.ts');
  const config = withModeOverride(await loadConfig(configPath), app.node.tryGetContext('mode'));
  new EventlineStack(app, config.name, {
    config,
    configFile: configPath,
    handlerEntry: HANDLER_ENTRY,
    description: `eventline: S3 -> ${config.trigger.mode === 'queue' ? 'SQS -> ' : ''}Lambda -> DynamoDB -> SNS`,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  addNagChecks(app);
}

try {
  await main();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // A configuration mistake is the user's to fix: show what to change, not a stack trace.
  console.error(error.message);
  process.exitCode = 1;
}
