import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import userConfig from '../../eventline.config.ts';
import { createClients, timeoutsFor } from '../aws/clients.ts';
import { parseConfig, runtimeNames } from '../config/index.ts';
import { createHandler, loggerPort, metricsPort } from './handler.ts';
import { createPipeline } from './wiring.ts';

/**
 * The Lambda entry point (bundled by esbuild in infra/). Everything is wired once per process, at
 * cold start; a wrong configuration or environment fails here with a message naming the setting.
 */
const config = parseConfig(userConfig);
const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? config.name });
const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'eventline',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? config.name,
});

export const handler = createHandler({
  pipeline: createPipeline({
    config,
    names: runtimeNames(config),
    clients: createClients({ timeouts: timeoutsFor(config.function.timeoutSeconds) }),
    logger: loggerPort(logger),
    metrics: metricsPort(metrics),
  }),
  logger: loggerPort(logger),
  flushMetrics: () => metrics.publishStoredMetrics(),
  addContext: (context) => logger.addContext(context),
});
