import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import { TIMEOUT_WITHOUT_CHECKPOINT, watchdogMarginMs } from '@eventline/config/runtime';
import type { Logger, Metrics, Outcome, Pipeline } from '@eventline/core';
import {
  describeError,
  errorMessage,
  type InboundMessage,
  InProgressError,
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
  /** Where `TimeoutsWithoutCheckpoint` is counted (Powertools Metrics in Lambda). */
  metrics?: Metrics;
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
  metrics,
  flushMetrics,
  addContext,
}: HandlerOptions): EventlineHandler {
  return async (event, context) => {
    if (context) addContext?.(context);
    // When this invocation ends: a file that cannot finish by then continues in another one.
    const budget =
      typeof context?.getRemainingTimeInMillis === 'function'
        ? context.getRemainingTimeInMillis()
        : undefined;
    const deadline = budget === undefined ? undefined : Date.now() + budget;
    const inFlight = new Set<InboundMessage>();
    const handleOne = async (message: InboundMessage): Promise<Outcome[]> => {
      inFlight.add(message);
      try {
        return await pipeline.handleMessage(message, deadline === undefined ? {} : { deadline });
      } catch (error) {
        logger.warn('message will be retried', { messageId: message.id, error: describeError(error) });
        throw error;
      } finally {
        inFlight.delete(message);
      }
    };
    // Still running this close to the deadline: past every handoff, about to be stopped by Lambda with
    // no checkpoint. Counted and flushed now, since a timed-out invocation publishes nothing after.
    const watchdog =
      budget === undefined
        ? undefined
        : setTimeout(
            () => {
              if (inFlight.size === 0) return;
              metrics?.count(TIMEOUT_WITHOUT_CHECKPOINT);
              logger.warn('invocation about to time out without a checkpoint', {
                remainingMs: deadline === undefined ? undefined : deadline - Date.now(),
                files: [...inFlight].flatMap((m) => m.objects.map((o) => `s3://${o.bucket}/${o.key}`)),
              });
              flushMetrics?.();
            },
            Math.max(0, budget - watchdogMarginMs(budget)),
          );
    watchdog?.unref?.();
    try {
      return await handleEvent(event, context, handleOne);
    } finally {
      if (watchdog) clearTimeout(watchdog);
      flushMetrics?.();
    }
  };
}

/** One invocation's event: an SQS batch with partial failures, or S3/EventBridge records one by one. */
async function handleEvent(
  event: unknown,
  context: Context | undefined,
  handleOne: (message: InboundMessage) => Promise<Outcome[]>,
): Promise<SQSBatchResponse | { outcomes: Outcome[] }> {
  const records = (event as { Records?: Array<{ eventSource?: string }> })?.Records;
  if (Array.isArray(records) && records.length > 0 && records.every((r) => r?.eventSource === 'aws:sqs')) {
    const recordHandler = async (record: SQSRecord) => {
      const [message] = normaliseEvent({ Records: [record] });
      if (message) await handleOne(message);
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
      outcomes.push(...(await handleOne(message)));
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) {
    const message = `${failures.length} of the event's records must be retried: ${failures.map(errorMessage).join('; ')}`;
    const cause = failures.length === 1 ? failures[0] : new AggregateError(failures);
    // Every record waits for another invocation that holds its object until a known time: said by the error's type,
    // which is what reaches the invoker (Lambda's errorType) when the cause cannot (another process).
    // Only holds that name their end: a lost race for the claim ('contention') is an ordinary failure.
    const held = failures.map((f) => (f instanceof InProgressError ? f.heldUntil : undefined));
    if (held.every((h): h is number => h !== undefined)) {
      throw new InProgressError('retry', message, { cause, heldUntil: Math.max(...held) });
    }
    throw new TransientError('retry', message, { cause });
  }
  return { outcomes };
}
