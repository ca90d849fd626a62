import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import type { Logger, Metrics, Outcome, Pipeline } from '@eventline/core';
import {
  describeError,
  errorMessage,
  type InboundMessage,
  normaliseEvent,
  TransientError,
} from '@eventline/core';
import type { Context, SQSBatchResponse, SQSRecord } from 'aws-lambda';

/** Powertools' Logger seen through the core's Logger port. */
export function loggerPort(logger: PowertoolsLogger): Logger {
  return {
    debug: (message, extra) => logger.debug(message, extra ?? {}),
    info: (message, extra) => logger.info(message, extra ?? {}),
    warn: (message, extra) => logger.warn(message, extra ?? {}),
    error: (message, extra) => logger.error(message, extra ?? {}),
  };
}

/** Powertools' Metrics (CloudWatch EMF) seen through the core's Metrics port. */
export function metricsPort(metrics: PowertoolsMetrics): Metrics {
  return {
    count: (name, value = 1) => metrics.addMetric(name, MetricUnit.Count, value),
    milliseconds: (name, value) => metrics.addMetric(name, MetricUnit.Milliseconds, value),
  };
}

export interface HandlerOptions {
  pipeline: Pipeline;
  logger: Logger;
  /** Flushes metrics at the end of an invocation (Powertools' `publishStoredMetrics`). */
  flushMetrics?: () => void;
  /** Adds the Lambda context (request id, cold start) to the logs. */
  addContext?: (context: Context) => void;
}

export type EventlineHandler = (
  event: unknown,
  context?: Context,
) => Promise<SQSBatchResponse | { outcomes: Outcome[] }>;

/**
 * The Lambda handler. SQS batches (the `queue` trigger mode) report partial failures through
 * Powertools' batch utility, so only failed messages come back; direct S3 and EventBridge events
 * are processed record by record, every one of them, and the invocation throws when any needs a
 * retry (the pipeline is idempotent, so records that succeeded are skipped on the retry).
 */
export function createHandler({
  pipeline,
  logger,
  flushMetrics,
  addContext,
}: HandlerOptions): EventlineHandler {
  const handleOne = async (message: InboundMessage, deadline: number | undefined): Promise<Outcome[]> => {
    try {
      return await pipeline.handleMessage(message, deadline === undefined ? {} : { deadline });
    } catch (error) {
      logger.warn('message will be retried', { messageId: message.id, error: describeError(error) });
      throw error;
    }
  };

  return async (event, context) => {
    if (context) addContext?.(context);
    // When this invocation ends: a file that cannot finish by then continues in another one.
    const deadline =
      typeof context?.getRemainingTimeInMillis === 'function'
        ? Date.now() + context.getRemainingTimeInMillis()
        : undefined;
    try {
      const records = (event as { Records?: Array<{ eventSource?: string }> })?.Records;
      if (
        Array.isArray(records) &&
        records.length > 0 &&
        records.every((r) => r?.eventSource === 'aws:sqs')
      ) {
        const recordHandler = async (record: SQSRecord) => {
          const [message] = normaliseEvent({ Records: [record] });
          if (message) await handleOne(message, deadline);
        };
        // One processor per invocation: it keeps the batch's state, and invocations may overlap.
        const processor = new BatchProcessor(EventType.SQS);
        return await processPartialResponse(event as { Records: SQSRecord[] }, recordHandler, processor, {
          ...(context ? { context } : {}),
        });
      }
      const outcomes: Outcome[] = [];
      const failures: unknown[] = [];
      for (const message of normaliseEvent(event)) {
        try {
          outcomes.push(...(await handleOne(message, deadline)));
        } catch (error) {
          failures.push(error);
        }
      }
      if (failures.length > 0) {
        throw new TransientError(
          'retry',
          `${failures.length} of the event's records must be retried: ${failures.map(errorMessage).join('; ')}`,
          { cause: failures.length === 1 ? failures[0] : new AggregateError(failures) },
        );
      }
      return { outcomes };
    } finally {
      flushMetrics?.();
    }
  };
}
