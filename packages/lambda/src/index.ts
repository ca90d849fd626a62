import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createHttpClients } from '@eventline/aws/http';
import type { EventlineConfig, EventlineConfigInput } from '@eventline/config/runtime';
import { attachConfigCode, ConfigError, runtimeNames, socketTimeoutsFor } from '@eventline/config/runtime';
import { createHandler, loggerPort, metricsPort } from './handler.ts';
import { createPipeline } from './wiring.ts';

/**
 * The Lambda entry point (bundled by esbuild in packages/infra). Everything is wired once per process, at
 * cold start; a wrong environment fails here with a message naming the setting.
 *
 * The configuration arrives already validated: the CDK app parses eventline.config.ts with zod at
 * synth time and esbuild `define`s it here as plain data (packages/config/src/bundled.ts), so neither zod nor
 * the config module is in the bundle, unless a route has a key function, a schema or a transform (code):
 * then the file the config was read from (`EVENTLINE_CONFIG_FILE`) is imported for that code alone.
 */
declare const EVENTLINE_CONFIG: EventlineConfig;
declare const EVENTLINE_CONFIG_HAS_CODE: boolean;
/** The config file the code comes from, relative to this file (`configFileSpecifier`): esbuild bundles it. */
declare const EVENTLINE_CONFIG_FILE: string;

if (typeof EVENTLINE_CONFIG_HAS_CODE === 'undefined') {
  throw new ConfigError(
    'EVENTLINE_CONFIG: the handler was bundled without its configuration; bundle it through infra (PipelineFunction) or bench/lib/bundle.ts, which define it from eventline.config.ts',
    { problems: [{ setting: 'EVENTLINE_CONFIG', message: 'defined at bundle time' }] },
  );
}
const config: EventlineConfig = EVENTLINE_CONFIG_HAS_CODE
  ? attachConfigCode(
      EVENTLINE_CONFIG,
      ((await import(EVENTLINE_CONFIG_FILE)) as { default?: EventlineConfigInput }).default,
      // Named from the repository root (this file is three levels down), as the user wrote it.
      EVENTLINE_CONFIG_FILE.replace(/^(\.\.\/){3}/, ''),
    )
  : EVENTLINE_CONFIG;
// Powertools counts a cold start only when Lambda says the instance started on demand
// (AWS_LAMBDA_INITIALIZATION_TYPE); a process started without it (the local stack, SAM, a test)
// was started on demand too, so its first invocation is a cold start. Provisioned instances keep theirs.
process.env.AWS_LAMBDA_INITIALIZATION_TYPE ??= 'on-demand';
const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? config.name });
const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'eventline',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? config.name,
});

export const handler = createHandler({
  pipeline: createPipeline({
    config,
    names: runtimeNames(config),
    // Signed requests without SDK v3 (packages/aws/src/http): the cold start loads no AWS SDK.
    clients: createHttpClients({ timeouts: socketTimeoutsFor(config.function.timeoutSeconds) }),
    logger: loggerPort(logger),
    metrics: metricsPort(metrics),
  }),
  logger: loggerPort(logger),
  metrics: metricsPort(metrics),
  flushMetrics: () => metrics.publishStoredMetrics(),
  addContext: (context) => logger.addContext(context),
});
