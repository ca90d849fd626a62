/**
 * The pipeline's alarms and dashboard construct.
 */
import { TIMEOUT_WITHOUT_CHECKPOINT, watchdogMarginMs } from '@eventline/config';
import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type HorizontalAnnotation,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface LabelledQueue {
  /** A word used in construct ids and widget titles, e.g. `Pipeline`. */
  readonly label: string;
  readonly queue: IQueue;
}

export interface PipelineMonitoringProps {
  readonly function: IFunction;
  readonly timeout: Duration;
  /** The function's reservation, if any (`function.reservedConcurrency`). */
  readonly reservedConcurrency?: number;
  /** Queue mode: the event source mapping's maximum concurrency (`trigger.maxConcurrency`). */
  readonly maxConcurrency?: number;
  /** Every alarm goes to each of these (the stack's alarm topic, and `alarms.topicArns`). */
  readonly alarmTopics: readonly ITopic[];
  readonly notificationTopic: ITopic;
  readonly table: ITable;
  readonly deadLetterQueues: readonly LabelledQueue[];
  /** The ingest queue (queue mode); without it the asynchronous-invocation metrics are watched instead. */
  readonly ingestQueue?: IQueue;
  /** How old the oldest waiting event may get before it is an alarm. @default 15 minutes */
  readonly backlogAge?: Duration;
  readonly metricsNamespace: string;
  readonly serviceName: string;
  /** Named in the CLI commands of the alarm descriptions. */
  readonly stackName: string;
}

const PERIOD = Duration.minutes(5);

/**
 * Alarms (to every alarm topic, on entering and leaving ALARM) and one dashboard for the whole
 * pipeline: function errors, throttles and duration against the timeout; the pipeline's own failure
 * metrics (Powertools: files failed, and in queue mode files retried, which batch item failures hide
 * from `Errors`); every dead-letter queue; SNS delivery failures; the backlog (queue age in queue mode;
 * asynchronous event age, dropped events and undeliverable failure records in direct mode). Each
 * alarm's description says what it means and which `npx eventline` command to run (infra/README.md has
 * the same runbook).
 */
export class PipelineMonitoring extends Construct {
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    const fn = props.function;
    const timeoutMs = props.timeout.toMilliseconds();
    const backlogAge = props.backlogAge ?? Duration.minutes(15);
    const actions = props.alarmTopics.map((topic) => new SnsAction(topic));
    const cli = (command: string) => `npx eventline ${command} --stack ${props.stackName}`;
    const queueMode = props.ingestQueue !== undefined;

    const alarm = (
      alarmId: string,
      description: string,
      metric: IMetric,
      threshold: number,
      comparisonOperator: ComparisonOperator,
      periods: { evaluationPeriods: number; datapointsToAlarm: number } = {
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
      },
    ): Alarm => {
      const created = new Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold,
        comparisonOperator,
        ...periods,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(...actions);
      created.addOkAction(...actions);
      this.alarms.push(created);
      return created;
    };
    const pipelineMetric = (metricName: string): Metric =>
      new Metric({
        namespace: props.metricsNamespace,
        metricName,
        // Powertools' default dimension.
        dimensionsMap: { service: props.serviceName },
        period: PERIOD,
        statistic: 'Sum',
      });

    alarm(
      'FunctionErrors',
      `The pipeline function failed (threw or timed out) at least once in 5 minutes; its events are being retried. Read the error in the function's log group, then check the backlog and the last outcomes: ${cli('status')}.`,
      fn.metricErrors({ period: PERIOD, statistic: 'Sum' }),
      1,
      ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    );
    alarm(
      'FunctionThrottles',
      props.reservedConcurrency !== undefined
        ? `The pipeline function was throttled: its reserved concurrency (${props.reservedConcurrency}) is too low for the load. Raise function.reservedConcurrency${queueMode ? ' (or lower trigger.maxConcurrency)' : ''} and deploy; watch the backlog with ${cli('status')}.`
        : `The pipeline function was throttled: the account's unreserved Lambda concurrency is used up (by this function or others). See what the account allows with ${cli('doctor')}; ${queueMode ? 'lower trigger.maxConcurrency, ' : ''}reserve concurrency with function.reservedConcurrency, or ask AWS for a higher Lambda concurrency quota; watch the backlog with ${cli('status')}.`,
      fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
      1,
      ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    );
    // Not the Duration metric: a long file hands its work to a continuation shortly before the timeout
    // on purpose, so its segments run close to the timeout by design. The handler counts the invocations
    // still running after that point, which Lambda is about to stop with no checkpoint.
    alarm(
      'TimeoutWithoutCheckpoint',
      `An invocation of the pipeline function was about to hit its ${timeoutMs} ms timeout with no checkpoint (metric TimeoutsWithoutCheckpoint: still running ${watchdogMarginMs(timeoutMs)} ms before the timeout, after the point where long files hand off): a JSON file too large to parse in time, or a slow ledger or S3. Its files are retried as new attempts and end FAILED after files.maxAttempts. The function's log says which files ("invocation about to time out without a checkpoint"); see them with ${cli('files')} --status PROCESSING. Raise function.timeoutSeconds (or memoryMb), or use a streamed format (ndjson, csv, json-array) for large files, and deploy.`,
      pipelineMetric(TIMEOUT_WITHOUT_CHECKPOINT),
      1,
      ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    );
    alarm(
      'FilesFailed',
      `eventline failed files permanently (metric FilesFailed: bad format, invalid records with onInvalid 'fail', object gone, too large). See why with ${cli('dlq list')}, fix the file or the route, then ${cli('dlq replay')}.`,
      pipelineMetric('FilesFailed'),
      1,
      ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    );
    if (queueMode) {
      alarm(
        'FilesRetrying',
        `Files have failed with transient errors (metric FilesRetried) in 3 consecutive 5-minute periods. The function reports them as batch item failures, so FunctionErrors does not see them; after trigger.maxReceiveCount tries they reach the event dead-letter queue. Read the function's log group, then ${cli('status')} and ${cli('reconcile')}.`,
        pipelineMetric('FilesRetried'),
        1,
        ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        { evaluationPeriods: 3, datapointsToAlarm: 3 },
      );
    }
    const deadLetterAdvice: Record<string, string> = {
      Files: `Files eventline gave up on wait in its dead-letter queue. See why with ${cli('dlq list')}, fix the file or the config, then ${cli('dlq replay')}.`,
      Events: queueMode
        ? `S3 events failed trigger.maxReceiveCount deliveries and wait in the event dead-letter queue: their files have no outcome. Fix the cause (FunctionErrors, the function's logs), then redrive them to the ingest queue with ${cli('dlq replay')}.`
        : `Asynchronous invocations failed after trigger.retryAttempts retries and wait in the event dead-letter queue: their files have no outcome. Fix the cause (FunctionErrors, the function's logs), then ${cli('dlq replay')}.`,
      Delivery: `SNS could not deliver notifications or alarms to a subscriber after its retries (endpoint down, address bouncing). Check the subscriptions (aws sns list-subscriptions-by-topic), then see what was published with ${cli('notifications')}.`,
    };
    for (const { label, queue } of props.deadLetterQueues) {
      alarm(
        `${label}DeadLetters`,
        deadLetterAdvice[label] ??
          `Messages are waiting in the ${label.toLowerCase()} dead-letter queue: inspect them with ${cli('dlq list')}.`,
        queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
        0,
        ComparisonOperator.GREATER_THAN_THRESHOLD,
      );
    }
    alarm(
      'NotificationsFailed',
      `SNS failed to deliver per-file notifications to a subscriber (NumberOfNotificationsFailed); undelivered messages go to the delivery dead-letter queue. Check the subscriptions and the endpoint, then see what was published with ${cli('notifications')}.`,
      props.notificationTopic.metricNumberOfNotificationsFailed({ period: PERIOD, statistic: 'Sum' }),
      1,
      ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    );
    if (props.ingestQueue) {
      alarm(
        'IngestBacklogAge',
        `The oldest message in the ingest queue is older than ${backlogAge.toSeconds()} s: processing is falling behind. See the depth and age with ${cli('status')}; look for FunctionErrors or FunctionThrottles, or raise trigger.maxConcurrency and function.reservedConcurrency.`,
        props.ingestQueue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum' }),
        backlogAge.toSeconds(),
        ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      );
    } else {
      alarm(
        'AsyncEventAge',
        `An S3 event waited more than ${backlogAge.toSeconds()} s to be processed: processing is falling behind. See ${cli('status')}; look for FunctionErrors or FunctionThrottles, or raise function.reservedConcurrency.`,
        lambdaMetric(fn, 'AsyncEventAge', 'Maximum'),
        backlogAge.toMilliseconds(),
        ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      );
      alarm(
        'AsyncEventsDropped',
        `Lambda dropped S3 events (older than trigger.maxEventAgeSeconds, or retries exhausted without a destination): their files have no outcome. Find and re-drive them with ${cli('reconcile --fix')}.`,
        lambdaMetric(fn, 'AsyncEventsDropped', 'Sum'),
        0,
        ComparisonOperator.GREATER_THAN_THRESHOLD,
      );
      alarm(
        'DestinationDeliveryFailures',
        `Lambda could not deliver failed invocations to the event dead-letter queue: those S3 events are lost. Check that the queue exists and the function role may send to it, then find and re-drive the files with ${cli('reconcile --fix')}.`,
        lambdaMetric(fn, 'DestinationDeliveryFailures', 'Sum'),
        0,
        ComparisonOperator.GREATER_THAN_THRESHOLD,
      );
    }

    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# eventline \`${props.serviceName}\`\nObject created -> ${props.ingestQueue ? 'SQS -> ' : ''}Lambda -> DynamoDB ledger -> SNS notification.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 3 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Pipeline metrics (Powertools)',
        left: [
          new MathExpression({
            expression: `SEARCH('Namespace="${props.metricsNamespace}"', 'Sum', ${PERIOD.toSeconds()})`,
            label: '',
            period: PERIOD,
          }),
        ],
        width: 24,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Function invocations',
        left: [
          fn.metricInvocations({ period: PERIOD, statistic: 'Sum' }),
          fn.metricErrors({ period: PERIOD, statistic: 'Sum' }),
          fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
        ],
        width: 8,
      }),
      new GraphWidget({
        title: 'Function duration (ms)',
        left: [
          fn.metricDuration({ period: PERIOD, statistic: 'p50' }),
          fn.metricDuration({ period: PERIOD, statistic: 'p99' }),
          fn.metricDuration({ period: PERIOD, statistic: 'Maximum' }),
        ],
        leftAnnotations: [annotation('timeout', timeoutMs)],
        width: 8,
      }),
      new GraphWidget({
        title: 'Function concurrency',
        left: [lambdaMetric(fn, 'ConcurrentExecutions', 'Maximum')],
        leftAnnotations: [
          ...(props.reservedConcurrency !== undefined
            ? [annotation('reserved concurrency', props.reservedConcurrency)]
            : []),
          ...(props.maxConcurrency !== undefined
            ? [annotation('event source maximum concurrency', props.maxConcurrency)]
            : []),
        ],
        width: 8,
      }),
    );
    const backlog: GraphWidget[] = props.ingestQueue
      ? [
          new GraphWidget({
            title: 'Ingest queue',
            left: [
              props.ingestQueue.metricApproximateNumberOfMessagesVisible({
                period: PERIOD,
                statistic: 'Maximum',
              }),
              props.ingestQueue.metricApproximateNumberOfMessagesNotVisible({
                period: PERIOD,
                statistic: 'Maximum',
              }),
            ],
            right: [
              props.ingestQueue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum' }),
            ],
            width: 12,
          }),
        ]
      : [
          new GraphWidget({
            title: 'Asynchronous invocations',
            left: [
              lambdaMetric(fn, 'AsyncEventsReceived', 'Sum'),
              lambdaMetric(fn, 'AsyncEventsDropped', 'Sum'),
              lambdaMetric(fn, 'DestinationDeliveryFailures', 'Sum'),
            ],
            right: [lambdaMetric(fn, 'AsyncEventAge', 'Maximum')],
            width: 12,
          }),
        ];
    this.dashboard.addWidgets(
      ...backlog,
      new GraphWidget({
        title: 'Dead-letter queues (messages visible)',
        left: props.deadLetterQueues.map(({ label, queue }) =>
          queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label }),
        ),
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Ledger (DynamoDB)',
        left: [
          props.table.metricConsumedWriteCapacityUnits({ period: PERIOD, statistic: 'Sum' }),
          props.table.metricConsumedReadCapacityUnits({ period: PERIOD, statistic: 'Sum' }),
        ],
        right: [
          props.table.metric('WriteThrottleEvents', { period: PERIOD, statistic: 'Sum' }),
          props.table.metric('ReadThrottleEvents', { period: PERIOD, statistic: 'Sum' }),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: 'Notifications (SNS)',
        left: [
          props.notificationTopic.metricNumberOfMessagesPublished({ period: PERIOD, statistic: 'Sum' }),
          props.notificationTopic.metricNumberOfNotificationsDelivered({ period: PERIOD, statistic: 'Sum' }),
          props.notificationTopic.metricNumberOfNotificationsFailed({ period: PERIOD, statistic: 'Sum' }),
        ],
        width: 12,
      }),
    );
  }
}

function lambdaMetric(fn: IFunction, metricName: string, statistic: string): Metric {
  return new Metric({
    namespace: 'AWS/Lambda',
    metricName,
    dimensionsMap: { FunctionName: fn.functionName },
    period: PERIOD,
    statistic,
  });
}

function annotation(label: string, value: number): HorizontalAnnotation {
  return { label, value };
}
