import type { EventlineConfig } from './schema.ts';
import { visibilityTimeoutSeconds } from './timing.ts';

/**
 * The SQS queues of eventline and their settings, in one place: the CDK app (packages/infra) builds
 * them from here and the local stack (packages/local) creates them from here, so local and deployed
 * queues cannot differ in name, visibility, retention or redrive.
 *
 * - the ingest queue `<stack name>-ingest` (queue mode): S3 events waiting for the function;
 * - the event dead-letter queue: S3 events that failed `trigger.maxReceiveCount` deliveries (queue
 *   mode, redrivable only back to the ingest queue) or on-failure records of asynchronous
 *   invocations (direct mode, not redrivable);
 * - eventline's own dead-letter queue (`DLQ_URL`): files that failed permanently, sent by the function.
 */

export const INGEST_QUEUE_SUFFIX = '-ingest';

const DAY = 24 * 60 * 60;

/** The ingest queue keeps messages 4 days: less than its dead-letter queue's 14 (a moved message keeps its age). */
export const INGEST_RETENTION_SECONDS = 4 * DAY;
export const DEAD_LETTER_RETENTION_SECONDS = 14 * DAY;

export function ingestQueueName(stackName: string): string {
  return `${stackName}${INGEST_QUEUE_SUFFIX}`;
}

/** The event source mapping's settings (queue mode). */
export interface EventSourceSettings {
  batchSize: number;
  maxBatchingWindowSeconds: number;
  maxConcurrency: number;
  reportBatchItemFailures: true;
}

export function eventSourceSettings(config: EventlineConfig): EventSourceSettings {
  return {
    batchSize: config.trigger.batchSize,
    maxBatchingWindowSeconds: config.trigger.maxBatchingWindowSeconds,
    maxConcurrency: config.trigger.maxConcurrency,
    reportBatchItemFailures: true,
  };
}

export interface QueueSpec {
  name: string;
  /** SQS attributes as the API takes them (strings); RedrivePolicy and RedriveAllowPolicy need ARNs, see below. */
  attributes: Record<string, string>;
}

/**
 * The queues as SQS attributes, for a stack whose queues live at `arnOf(name)`. CloudFormation names
 * the two dead-letter queues itself; where a name is needed (the local stack) they are
 * `<stack name>-events-dlq` and `<stack name>-dlq`.
 */
export function queueLayout(
  config: EventlineConfig,
  stackName: string,
  arnOf: (queueName: string) => string,
): { ingest: QueueSpec | undefined; eventDeadLetters: QueueSpec; deadLetters: QueueSpec } {
  const ingest = ingestQueueName(stackName);
  const eventDeadLetters = `${stackName}-events-dlq`;
  const queueMode = config.trigger.mode === 'queue';
  return {
    ingest: queueMode
      ? {
          name: ingest,
          attributes: {
            VisibilityTimeout: String(visibilityTimeoutSeconds(config)),
            MessageRetentionPeriod: String(INGEST_RETENTION_SECONDS),
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: arnOf(eventDeadLetters),
              maxReceiveCount: config.trigger.maxReceiveCount,
            }),
          },
        }
      : undefined,
    eventDeadLetters: {
      name: eventDeadLetters,
      attributes: {
        MessageRetentionPeriod: String(DEAD_LETTER_RETENTION_SECONDS),
        RedriveAllowPolicy: JSON.stringify(
          queueMode
            ? { redrivePermission: 'byQueue', sourceQueueArns: [arnOf(ingest)] }
            : { redrivePermission: 'denyAll' },
        ),
      },
    },
    deadLetters: {
      name: `${stackName}-dlq`,
      attributes: {
        MessageRetentionPeriod: String(DEAD_LETTER_RETENTION_SECONDS),
        RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'denyAll' }),
      },
    },
  };
}
