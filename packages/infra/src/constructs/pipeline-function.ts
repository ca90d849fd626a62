/**
 * The pipeline's Lambda function construct: bundling, runtime, logging, and a role granted action by action.
 */
import { LAMBDA_BUNDLING } from '@eventline/lambda/bundling';
import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import {
  ApplicationLogLevel,
  Architecture,
  LoggingFormat,
  RecursiveLoop,
  Runtime,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { CfnBucket, IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { scopedKeyPolicy } from './key-policy.ts';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface PipelineFunctionProps {
  /** The handler module (exports `handler`), bundled with esbuild. */
  readonly entry: string;
  readonly memoryMb: number;
  readonly timeout: Duration;
  /** Lambda's ReservedConcurrentExecutions; unset: none reserved. */
  readonly reservedConcurrency?: number;
  readonly logRetention: RetentionDays;
  readonly logLevel: LogLevel;
  /** Powertools service name (the `service` key of every log line and metric dimension). */
  readonly serviceName: string;
  /** CloudWatch namespace of the Powertools metrics. */
  readonly metricsNamespace: string;
  /** The names the handler reads: TABLE_NAME, TOPIC_ARN, BUCKET_NAME, DLQ_URL. */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Constants esbuild substitutes in the handler: the config validated at synth, as plain data
   * (`configDefines` in packages/config/src/bundled.ts), so the function neither bundles zod nor validates at init.
   */
  readonly define?: Readonly<Record<string, string>>;
}

/**
 * The handler of the pipeline: bundled by esbuild as one minified ES module with a source map and its
 * own copy of the AWS SDK v3 (so the runtime's SDK version never changes behaviour under it), on the
 * newest Node.js runtime on arm64. Its role starts empty (no managed policy): it can write only to its
 * own log group and X-Ray, and the `allow*` methods add each data-plane permission it needs, scoped as
 * tightly as IAM allows.
 */
export class PipelineFunction extends Construct {
  /** The latest Node.js runtime this aws-cdk-lib knows (cdk-nag's AwsSolutions-L1 checks the same list). */
  static readonly RUNTIME = Runtime.NODEJS_24_X;

  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  /** Encrypts the log group; kept with it (logs outlive the stack and stay readable). */
  readonly logKey: Key;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);

    this.logKey = new Key(this, 'LogKey', {
      description: 'eventline: encrypts the pipeline function log group',
      policy: scopedKeyPolicy(),
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
    });
    // As AWS documents it for encrypted log groups: the regional CloudWatch Logs service, and only for
    // log groups of this account and region (the encryption context names the log group).
    this.logKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchLogsOfThisAccount',
        principals: [new ServicePrincipal(`logs.${Aws.REGION}.${Aws.URL_SUFFIX}`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*`,
          },
        },
      }),
    );
    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention,
      encryptionKey: this.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description:
        'eventline pipeline function: reads routed objects, writes the ledger, publishes notifications',
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      runtime: PipelineFunction.RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memoryMb,
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrency,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel[props.logLevel],
      systemLogLevelV2: SystemLogLevel.WARN,
      tracing: Tracing.ACTIVE,
      // Lambda stops an S3/SQS -> function -> S3/SQS loop if one ever forms despite the prefix guard.
      // The function's own chains (a long file's continuations, hole 12's deferrals) are not counted:
      // the entry's clients send no X-Ray trace header, so no Lineage (docs/protocol.md, "Recursive
      // loop detection"; test/contract/recursion-lineage.test.ts). SDK v3 clients would send it.
      recursiveLoop: RecursiveLoop.TERMINATE,
      description: 'eventline: object created -> parse -> ledger (DynamoDB) -> notification (SNS)',
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace,
        POWERTOOLS_LOG_LEVEL: props.logLevel,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        // The settings the local stack and the bench bundle with too (@eventline/lambda/bundling.ts).
        format: OutputFormat.ESM,
        minify: LAMBDA_BUNDLING.minify,
        target: LAMBDA_BUNDLING.target,
        sourceMap: LAMBDA_BUNDLING.sourceMap,
        sourcesContent: LAMBDA_BUNDLING.sourcesContent,
        bundleAwsSDK: true,
        mainFields: [...LAMBDA_BUNDLING.mainFields],
        banner: LAMBDA_BUNDLING.banner,
        forceDockerBundling: false,
        ...(props.define ? { define: { ...props.define } } : {}),
      },
    });

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the two actions that active X-Ray tracing adds (xray:PutTraceSegments, xray:PutTelemetryRecords); X-Ray does not support resource-level permissions. No data-plane action has a wildcard resource (asserted by test/infra).',
    });
    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Failures are not lost: in queue mode the ingest queue redrives to the event dead-letter queue after maxReceiveCount, in direct mode an on-failure destination sends to the event dead-letter queue. A legacy DeadLetterConfig would duplicate that.',
    });
  }

  /** `s3:GetObject` and `s3:GetObjectVersion`, only under the routed prefixes. */
  allowReadingRoutes(bucket: IBucket, prefixes: readonly string[]): void {
    const unique = [...new Set(prefixes)];
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ReadRoutedObjects',
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: unique.map((prefix) => bucket.arnForObjects(`${prefix}*`)),
      }),
    );
    // Not for listing (the function never lists): S3 answers a GetObject of a missing key or version
    // with 404 only to a caller that may list the bucket, and with 403 AccessDenied to any other, which
    // reads as a permission problem. Limited to the routed prefixes by the s3:prefix condition.
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ListRoutedPrefixesSoMissingObjectsAre404',
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': unique.map((prefix) => `${prefix}*`) } },
      }),
    );
    for (const prefix of unique) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId(bucket)}.Arn>/${prefix}*]`,
        reason: `Object ARNs need a trailing wildcard: read access is limited to the keys under the routed prefix "${prefix}".`,
      });
    }
  }

  /** `s3:PutObject`, only under eventline's own prefix (oversized payloads, rejects): never a routed one. */
  allowWritingInternal(bucket: IBucket, internalPrefix: string): void {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'WriteInternalObjects',
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects(`${internalPrefix}*`)],
      }),
    );
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId(bucket)}.Arn>/${internalPrefix}*]`,
      reason: `Object ARNs need a trailing wildcard: writes are limited to eventline's own prefix "${internalPrefix}", which no route listens to.`,
    });
  }

  /**
   * The DynamoDB actions the ledger adapter sends (GetItem, PutItem, UpdateItem, BatchWriteItem), on the table only
   * (it has no index). test/infra/least-privilege.test.ts keeps this list equal to the code's commands.
   */
  allowLedgerAccess(table: ITable): void {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'LedgerAccess',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'],
        resources: [table.tableArn],
      }),
    );
  }

  /**
   * `sqs:SendMessage` on the event dead-letter queue (direct mode): Lambda delivers the on-failure
   * destination records of asynchronous invocations with the function's role. The code never sends there.
   */
  allowFailedEventDelivery(queue: IQueue): void {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'DeliverFailedInvocations',
        actions: ['sqs:SendMessage'],
        resources: [queue.queueArn],
      }),
    );
  }

  /**
   * Queue mode: a file too long for one invocation continues through a message on the ingest queue
   * (`INGEST_QUEUE_URL`, `sqs:SendMessage` on that queue only); a digest route's windows close
   * through a delayed message on the same queue, with the same permission.
   */
  allowContinuationsOn(queue: IQueue): void {
    this.function.addEnvironment('INGEST_QUEUE_URL', queue.queueUrl);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'SendContinuations',
        actions: ['sqs:SendMessage'],
        resources: [queue.queueArn],
      }),
    );
  }

  /**
   * Direct mode: a file too long for one invocation continues in an asynchronous invocation of this
   * function (`lambda:InvokeFunction` on itself only). A policy of its own: in the role's default
   * policy the function's ARN would make the function depend on itself.
   */
  allowSelfInvocation(): void {
    new Policy(this, 'SelfInvocation', {
      roles: [this.role],
      statements: [
        new PolicyStatement({
          sid: 'InvokeSelfToContinue',
          actions: ['lambda:InvokeFunction'],
          resources: [this.function.functionArn],
        }),
      ],
    });
  }

  /** `sqs:SendMessage` on eventline's dead-letter queue, where the function itself sends permanently failed files. */
  allowDeadLettering(queue: IQueue): void {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'SendDeadLetters',
        actions: ['sqs:SendMessage'],
        resources: [queue.queueArn],
      }),
    );
  }
}

function bucketLogicalId(bucket: IBucket): string {
  const cfn = bucket.node.defaultChild as CfnBucket;
  return Stack.of(bucket).resolve(cfn.logicalId) as string;
}
