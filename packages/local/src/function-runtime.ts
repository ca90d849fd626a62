import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type AwsClients, createClients } from '@eventline/aws/sdk';
import type { EventlineConfig, RuntimeNames } from '@eventline/config';
import {
  concurrencyBound,
  configDefines,
  eventSourceSettings,
  lastDeliveryHoldMs,
  localFunctionName,
  retryDelayMs,
  visibilityTimeoutSeconds,
} from '@eventline/config';
import type { Logger } from '@eventline/core';
import { errorMessage, InProgressError, TransientError } from '@eventline/core';
import { lambdaEsbuildOptions } from '@eventline/lambda/bundling';
import {
  AsyncInvoker,
  type BatchReport,
  type BuiltBundle,
  type EventJournal,
  FunctionBundler,
  FunctionError,
  FunctionPool,
  type InvocationReport,
  parseEmfLine,
  parsePowertoolsLine,
  SqsEventSource,
} from '@eventline/lambda-emulator';
import type { Context } from 'aws-lambda';
import type { Activity } from './activity.ts';
import { clock } from './printing.ts';
import type { StackQueue } from './queues.ts';

/** Endpoints the handler uses, to put a real fault-injecting proxy between it and a service. */
export interface HandlerEndpoints {
  s3?: string;
  dynamodb?: string;
  sns?: string;
}

/** What the function runtime needs of the stack. */
interface RuntimeContext {
  config: EventlineConfig;
  dataDir: string;
  print: (line: string) => void;
  activity: Activity;
  logger: Logger;
}

/**
 * The bundle the CDK app deploys (same esbuild settings, same config defines), rebuilt on change when
 * watching. A config read from elsewhere (a recipe's `configFile`) brings its own code into the bundle
 * (`EVENTLINE_CONFIG_FILE`), as its routes came as data.
 */
export function createFunctionBundler(
  context: RuntimeContext & { watch: boolean; configFile?: string },
): FunctionBundler {
  const { config, print } = context;
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@eventline/lambda/entry');
  return new FunctionBundler({
    entry,
    outRoot: resolve(context.dataDir, 'function'),
    build: {
      ...lambdaEsbuildOptions(),
      define: configDefines(config, context.configFile),
    },
    watch: context.watch,
    onRebuild: (bundle) =>
      print(
        `${clock()} λ function rebuilt (generation ${bundle.generation}, ${Math.round(bundle.bytes / 1024)} KiB): new instances load it`,
      ),
    onError: (messages) =>
      print(`${clock()} λ function rebuild failed; instances keep the last bundle:\n${messages.join('\n')}`),
  });
}

/**
 * The pool of instances with the deployed function's environment, its timeout and memory; their logs
 * and metrics feed the stack's activity.
 */
export function createFunctionPool(
  context: RuntimeContext & {
    bundler: FunctionBundler;
    bundle: BuiltBundle;
    accountId: string;
    names: RuntimeNames;
    deadLettersUrl: string;
    /** Queue mode: where a file too long for one invocation continues (`INGEST_QUEUE_URL`, as deployed). */
    ingestUrl?: string;
    edgeUrl: string;
    endpoints: HandlerEndpoints;
    /** A parsed Powertools log line of an instance (outcomes, failure reasons). */
    observeLogLine: (message: string, fields: Record<string, unknown>) => void;
  },
): FunctionPool {
  const { config, names, endpoints, print, activity, bundler, bundle } = context;
  const local = config.local;
  // The names travel in the bundle's config (overrides applied); the variables are set as on AWS
  // when they came from the environment, so that an error names the setting the user actually set.
  const settings = names.settings;
  const environment: Record<string, string> = {
    ...(settings?.table === 'TABLE_NAME' ? { TABLE_NAME: names.tableName } : {}),
    ...(settings?.topic === 'TOPIC_ARN' ? { TOPIC_ARN: names.topicArn } : {}),
    ...(settings?.bucket === 'BUCKET_NAME' ? { BUCKET_NAME: names.bucketName } : {}),
    DLQ_URL: context.deadLettersUrl,
    ...(context.ingestUrl ? { INGEST_QUEUE_URL: context.ingestUrl } : {}),
    POWERTOOLS_SERVICE_NAME: config.name,
    POWERTOOLS_METRICS_NAMESPACE: config.name,
    POWERTOOLS_LOG_LEVEL: config.function.logLevel,
    NODE_OPTIONS: '--enable-source-maps',
    AWS_ENDPOINT_URL: context.edgeUrl,
    AWS_ACCESS_KEY_ID: local.accessKeyId,
    AWS_SECRET_ACCESS_KEY: local.secretAccessKey,
    // A fault-injecting proxy between the function and one service (test/reliability outages).
    ...(endpoints.s3 ? { AWS_ENDPOINT_URL_S3: endpoints.s3 } : {}),
    ...(endpoints.dynamodb ? { AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb } : {}),
    ...(endpoints.sns ? { AWS_ENDPOINT_URL_SNS: endpoints.sns } : {}),
  };
  const pool = new FunctionPool({
    functionName: localFunctionName(config),
    region: local.region,
    accountId: context.accountId,
    handlerModule: () => bundler.bundle.module,
    memoryMb: config.function.memoryMb,
    timeoutMs: config.function.timeoutSeconds * 1000,
    concurrency: concurrencyBound(config).limit,
    environment,
  });
  const workerLog = activity.logger(context.logger, 'warn');
  const metrics = activity.metricsPort();
  pool.on('log', ({ instanceId, line }: { instanceId: string; line: string }) => {
    const emf = parseEmfLine(line);
    if (emf) {
      // Powertools Metrics (EMF, what CloudWatch would read): into the stack's metrics.
      for (const { name, unit, values } of emf) {
        for (const value of values) {
          if (unit === 'Milliseconds') metrics.milliseconds(name, value);
          else metrics.count(name, value);
        }
      }
      return;
    }
    const parsed = parsePowertoolsLine(line);
    if (!parsed) {
      // Anything else an instance prints: kept, attributed to the instance.
      workerLog.info(line, { instanceId });
      return;
    }
    workerLog[parsed.level](parsed.message, { ...parsed.fields, instanceId });
    context.observeLogLine(parsed.message, parsed.fields);
  });
  pool.on('report', (report: InvocationReport) => {
    if (report.cold) {
      activity.counters.coldStarts += 1;
      print(
        `${clock()} λ cold start: instance ${report.instanceId}${report.initMs !== undefined ? ` (init ${Math.round(report.initMs)} ms)` : ''}`,
      );
    } else {
      activity.counters.warmStarts += 1;
    }
    if (report.outcome === 'timeout' || report.outcome === 'crash') {
      print(
        `${clock()} λ instance ${report.instanceId}: ${report.outcome === 'timeout' ? `timed out after ${config.function.timeoutSeconds} s, stopped` : 'died'}; the next invocation gets a fresh instance`,
      );
    }
  });
  print(
    `${clock()} λ function bundled (${Math.round(bundle.bytes / 1024)} KiB); up to ${concurrencyBound(config).limit} instance(s) (${concurrencyBound(config).setting}), ${config.function.memoryMb} MB, timeout ${config.function.timeoutSeconds} s`,
  );
  return pool;
}

/** True when every failure behind `error` is "this object is being processed by another invocation". */
export function waitsForAnother(error: unknown): boolean {
  // Only a hold with its end: a lost race for the claim ('contention') names no holder and would be
  // retried without counting for as long as it lasts; it counts an attempt, as in queue mode (outcomes.ts).
  if (error instanceof InProgressError) return error.heldUntil !== undefined;
  // From an instance (another process): the handler's error type says it (handler.ts).
  if (error instanceof FunctionError) return error.errorType === 'InProgressError';
  if (error instanceof AggregateError) return error.errors.length > 0 && error.errors.every(waitsForAnother);
  if (error instanceof TransientError && error.code === 'retry') return waitsForAnother(error.cause);
  return false;
}

/** Direct mode: Lambda's asynchronous invocation of each S3 event, its retries and on-failure destination. */
export function createInvoker(options: {
  config: EventlineConfig;
  retryDelaysMs: number[];
  invoke: (event: object, context?: Context) => Promise<unknown>;
  journal: EventJournal;
  /** The client and queue the on-failure records go to. */
  sqs: SQSClient;
  eventDeadLettersUrl: string;
  logger: Logger;
  accountId: string;
}): AsyncInvoker {
  const { config } = options;
  return new AsyncInvoker({
    concurrency: concurrencyBound(config).limit,
    retryAttempts: config.trigger.retryAttempts,
    retryDelaysMs: options.retryDelaysMs,
    maxEventAgeMs: config.trigger.maxEventAgeSeconds * 1000,
    timeoutMs: config.function.timeoutSeconds * 1000,
    invoke: options.invoke,
    journal: options.journal,
    // Lambda's on-failure destination: the record itself is the message, in the event DLQ.
    deadLetters: {
      send: async (letter) => {
        await options.sqs.send(
          new SendMessageCommand({
            QueueUrl: options.eventDeadLettersUrl,
            MessageBody: JSON.stringify(letter.event),
          }),
        );
      },
    },
    logger: options.logger,
    // Another invocation holds the object: Lambda would throttle, not count an attempt.
    classifyFailure: (error) => (waitsForAnother(error) ? 'throttled' : 'failed'),
    functionArn: `arn:aws:lambda:${config.local.region}:${options.accountId}:function:${localFunctionName(config)}`,
  });
}

/** The invocation's instance timed out or died (the pool stopped it): its claims outlive it. */
export function instanceLost(error: unknown): boolean {
  return (
    error instanceof FunctionError &&
    (error.errorType === 'Sandbox.Timedout' || error.errorType === 'Runtime.ExitError')
  );
}

/**
 * Queue mode: the event source mapping that polls the ingest queue, with the CDK app's settings, and
 * the clients it polls with (the caller destroys them at stop).
 */
export function createEventSource(options: {
  config: EventlineConfig;
  edgeUrl: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  ingest: StackQueue;
  retryDelaysMs: number[];
  invoke: (event: object) => Promise<unknown>;
  logger: Logger;
  onBatch: (report: BatchReport) => void;
  /** Until when another invocation holds a message's file, from the function's log (OutcomeReporter). */
  heldUntil: (messageId: string) => number | undefined;
  /** The claim an invocation holds on a file (the function timeout + 30 s unless set). */
  leaseMs: number;
}): { eventSource: SqsEventSource; pollers: AwsClients } {
  const { config, ingest, retryDelaysMs: retryDelays, logger } = options;
  const settings = eventSourceSettings(config);
  // Its own clients: a long poll lasts up to 20 s, past the shared clients' request timeout.
  const pollers = createClients({
    region: config.local.region,
    endpoint: options.edgeUrl,
    credentials: options.credentials,
    timeouts: { requestMs: 30_000 },
  });
  const eventSource = new SqsEventSource({
    sqs: pollers.sqs,
    queueUrl: ingest.url,
    queueArn: ingest.arn,
    region: config.local.region,
    batchSize: settings.batchSize,
    maxBatchingWindowMs: settings.maxBatchingWindowSeconds * 1000,
    maximumConcurrency: settings.maxConcurrency,
    reportBatchItemFailures: settings.reportBatchItemFailures,
    invoke: options.invoke,
    retryVisibilitySeconds: (receives) => retryDelayMs(retryDelays, receives) / 1000,
    keepsVisibility: instanceLost,
    heldUntil: options.heldUntil,
    holdMs: lastDeliveryHoldMs(config.function.timeoutSeconds, options.leaseMs),
    maxReceiveCount: config.trigger.maxReceiveCount,
    visibilityTimeoutSeconds: visibilityTimeoutSeconds(config),
  });
  eventSource.on('batch', options.onBatch);
  eventSource.on('poll-error', (error: unknown) =>
    logger.warn('event source: cannot read the ingest queue', { error: errorMessage(error) }),
  );
  eventSource.on('delete-error', (failed: unknown) =>
    logger.warn('event source: a processed message could not be deleted; it will come back', { failed }),
  );
  return { eventSource, pollers };
}
