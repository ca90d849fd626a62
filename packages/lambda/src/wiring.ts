/**
 * The pipeline's wiring: the core use case with its adapters on the given AWS operations, the way the
 * Lambda entry, the local stack's in-process runtime and the tests each build it.
 */
import type { PipelineApis } from '@eventline/aws';
import {
  DeferredSqsDeadLetters,
  DynamoLedger,
  LambdaContinuations,
  S3ObjectSource,
  SnsNotifier,
  SqsContinuations,
  SqsDigestScheduler,
} from '@eventline/aws';
import type { EventlineConfig, RuntimeNames } from '@eventline/config/runtime';
import { ConfigError } from '@eventline/config/runtime';
import type { Continuations, DeadLetterQueue, DigestScheduler, Logger, Metrics } from '@eventline/core';
import { Pipeline } from '@eventline/core';

export interface PipelineWiring {
  config: EventlineConfig;
  names: RuntimeNames;
  /**
   * The AWS operations: `createClients` or `createPipelineClients` (SDK v3), or `createHttpClients`
   * (signed requests without SDK v3: the Lambda entry's).
   */
  clients: PipelineApis;
  logger?: Logger;
  metrics?: Metrics;
  /**
   * Where permanently failed files go; defaults to the SQS queue at `names.deadLetterQueueUrl`, its
   * adapter loaded with the first letter.
   */
  deadLetters?: DeadLetterQueue;
  leaseMs?: number;
  /** How long files continue; defaults to the trigger mode's (the ingest queue, or a self-invocation). */
  continuations?: Continuations;
  /** How digest windows close; defaults to a delayed message on the ingest queue (queue mode). */
  digests?: DigestScheduler;
}

/** Queue mode continues on the ingest queue, direct mode by invoking the function again. */
function defaultContinuations(wiring: PipelineWiring): Continuations | undefined {
  const { config, names, clients } = wiring;
  if (config.trigger.mode === 'queue' && names.ingestQueueUrl) {
    return new SqsContinuations(clients.sqs, names.ingestQueueUrl);
  }
  if (config.trigger.mode === 'direct' && names.functionName) {
    const { lambda } = clients;
    return new LambdaContinuations(
      names.functionName,
      lambda ??
        (() =>
          Promise.reject(
            new Error(
              'direct mode continues by invoking the function: the wiring was given no Lambda client',
            ),
          )),
    );
  }
  return undefined;
}

/** Builds the pipeline on the AWS adapters: used by the Lambda entry, the local stack and tests. */
export function createPipeline(wiring: PipelineWiring): Pipeline {
  const { config, names, clients } = wiring;
  let deadLetters = wiring.deadLetters;
  if (!deadLetters) {
    if (!names.deadLetterQueueUrl) {
      throw new ConfigError('DLQ_URL: expected the URL of the dead-letter queue (SQS), got nothing', {
        problems: [{ setting: 'DLQ_URL', message: 'the URL of an SQS queue' }],
      });
    }
    const { sqs } = clients;
    deadLetters = new DeferredSqsDeadLetters(
      typeof sqs === 'function' ? sqs : async () => sqs,
      names.deadLetterQueueUrl,
    );
  }
  const continuations = wiring.continuations ?? defaultContinuations(wiring);
  const digests =
    wiring.digests ??
    (config.trigger.mode === 'queue' && names.ingestQueueUrl
      ? new SqsDigestScheduler(clients.sqs, names.ingestQueueUrl)
      : undefined);
  return new Pipeline({
    config,
    bucketName: names.bucketName,
    source: new S3ObjectSource(clients.s3, names.settings?.bucket),
    ledger: new DynamoLedger({
      tableName: names.tableName,
      ...(names.settings ? { tableSetting: names.settings.table } : {}),
      dynamodb: clients.dynamodb,
      ...(config.ledger.ttlDays === undefined ? {} : { ttlDays: config.ledger.ttlDays }),
      ...(wiring.logger ? { logger: wiring.logger } : {}),
      ...(wiring.metrics ? { metrics: wiring.metrics } : {}),
    }),
    notifier: new SnsNotifier(clients.sns, names.topicArn, names.settings?.topic),
    deadLetters,
    ...(wiring.logger ? { logger: wiring.logger } : {}),
    ...(wiring.metrics ? { metrics: wiring.metrics } : {}),
    ...(wiring.leaseMs ? { leaseMs: wiring.leaseMs } : {}),
    ...(continuations ? { continuations } : {}),
    ...(digests ? { digests } : {}),
  });
}
