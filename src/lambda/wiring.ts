import type { AwsClients } from '../aws/clients.ts';
import { LambdaContinuations, SqsContinuations } from '../aws/continuations.ts';
import { DynamoLedger } from '../aws/dynamo-ledger.ts';
import { S3ObjectSource } from '../aws/s3-source.ts';
import { SnsNotifier } from '../aws/sns-notifier.ts';
import { SqsDeadLetters } from '../aws/sqs-dead-letters.ts';
import type { EventlineConfig, RuntimeNames } from '../config/index.ts';
import { ConfigError } from '../core/errors.ts';
import { Pipeline } from '../core/pipeline.ts';
import type { Continuations, DeadLetterQueue, Logger, Metrics } from '../core/ports.ts';

export interface PipelineWiring {
  config: EventlineConfig;
  names: RuntimeNames;
  clients: AwsClients;
  logger?: Logger;
  metrics?: Metrics;
  /** Where permanently failed files go; defaults to the SQS queue at `names.deadLetterQueueUrl`. */
  deadLetters?: DeadLetterQueue;
  leaseMs?: number;
  /** How long files continue; defaults to the trigger mode's (the ingest queue, or a self-invocation). */
  continuations?: Continuations;
}

/** Queue mode continues on the ingest queue, direct mode by invoking the function again. */
function defaultContinuations(wiring: PipelineWiring): Continuations | undefined {
  const { config, names, clients } = wiring;
  if (config.trigger.mode === 'queue' && names.ingestQueueUrl) {
    return new SqsContinuations(clients.sqs, names.ingestQueueUrl);
  }
  if (config.trigger.mode === 'direct' && names.functionName) {
    return new LambdaContinuations(names.functionName, {
      requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
    });
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
    deadLetters = new SqsDeadLetters(clients.sqs, names.deadLetterQueueUrl);
  }
  const continuations = wiring.continuations ?? defaultContinuations(wiring);
  return new Pipeline({
    config,
    bucketName: names.bucketName,
    source: new S3ObjectSource(clients.s3),
    ledger: new DynamoLedger({
      tableName: names.tableName,
      dynamodb: clients.dynamodb,
      documents: clients.documents,
      ...(wiring.logger ? { logger: wiring.logger } : {}),
      ...(wiring.metrics ? { metrics: wiring.metrics } : {}),
    }),
    notifier: new SnsNotifier(clients.sns, names.topicArn),
    deadLetters,
    ...(wiring.logger ? { logger: wiring.logger } : {}),
    ...(wiring.metrics ? { metrics: wiring.metrics } : {}),
    ...(wiring.leaseMs ? { leaseMs: wiring.leaseMs } : {}),
    ...(continuations ? { continuations } : {}),
  });
}
