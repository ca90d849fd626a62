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
  readonly reservedConcurrency: number;
  readonly alarmTopic: ITopic;
  readonly notificationTopic: ITopic;
  readonly table: ITable;
  readonly deadLetterQueues: readonly LabelledQueue[];
  /** The ingest queue (queue mode); without it the asynchronous-invocation metrics are watched instead. */
  readonly ingestQueue?: IQueue;
  /** How old the oldest waiting event may get before it is an alarm. @default 15 minutes */
  readonly backlogAge?: Duration;
  /** Alarm when a run takes longer than this fraction of the timeout. @default 0.8 */
  readonly durationAlarmFraction?: number;
  readonly metricsNamespace: string;
  readonly serviceName: string;
}

const PERIOD = Duration.minutes(5);

/**
 * Alarms (to the alarm topic, on entering and leaving ALARM) and one dashboard for the whole pipeline:
 * function errors, throttles and duration against the timeout, dead letters, backlog age (queue age in
 * queue mode, asynchronous event age and drops in direct mode), ledger and notification health, and
 * every Powertools metric the handler emits.
 */
export class PipelineMonitoring extends Construct {
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    const fn = props.function;
    const timeoutMs = props.timeout.toMilliseconds();
    const durationThresholdMs = Math.round(timeoutMs * (props.durationAlarmFraction ?? 0.8));
    const backlogAge = props.backlogAge ?? Duration.minutes(15);
    const action = new SnsAction(props.alarmTopic);

    const alarm = (
      alarmId: string,
      description: string,
      metric: IMetric,
      threshold: number,
      comparisonOperator: ComparisonOperator,
    ): Alarm => {
      const created = new Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold,
        comparisonOperator,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      this.alarms.push(created);
      return created;
    };

    alarm(
      'FunctionErrors',
      'The pipeline function failed (threw or timed out) at least once in 5 minutes; events are being retried.',
      fn.metricErrors({ period: PERIOD, statistic: 'Sum' }),
      1,
      ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    );
    alarm(
      'FunctionThrottles',
      'The pipeline function was throttled: its reserved concurrency is too low for the load.',
      fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
      1,
      ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    );
    alarm(
      'DurationNearTimeout',
      `A run of the pipeline function took at least ${durationThresholdMs} ms of its ${timeoutMs} ms timeout.`,
      fn.metricDuration({ period: PERIOD, statistic: 'Maximum' }),
      durationThresholdMs,
      ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    );
    for (const { label, queue } of props.deadLetterQueues) {
      alarm(
        `${label}DeadLetters`,
        `Messages are waiting in the ${label.toLowerCase()} dead-letter queue: inspect and replay them.`,
        queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
        0,
        ComparisonOperator.GREATER_THAN_THRESHOLD,
      );
    }
    if (props.ingestQueue) {
      alarm(
        'IngestBacklogAge',
        `The oldest message in the ingest queue is older than ${backlogAge.toSeconds()} s: processing is falling behind.`,
        props.ingestQueue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum' }),
        backlogAge.toSeconds(),
        ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      );
    } else {
      alarm(
        'AsyncEventAge',
        `An S3 event waited more than ${backlogAge.toSeconds()} s to be processed: processing is falling behind.`,
        lambdaMetric(fn, 'AsyncEventAge', 'Maximum'),
        backlogAge.toMilliseconds(),
        ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      );
      alarm(
        'AsyncEventsDropped',
        'Lambda dropped S3 events (too old, or retries exhausted without a destination).',
        lambdaMetric(fn, 'AsyncEventsDropped', 'Sum'),
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
        leftAnnotations: [annotation('reserved concurrency', props.reservedConcurrency)],
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
