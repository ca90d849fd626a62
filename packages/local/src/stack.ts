import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { DynamoLedger, SqsContinuations, SqsDigestScheduler } from '@eventline/aws';
import { type AwsClients, createClients, destroyClients } from '@eventline/aws/sdk';
import {
  defaultLeaseMs,
  type EventlineConfig,
  LOCAL_RETRY_DELAYS_MS,
  localFunctionName,
  type RuntimeNames,
  withEnvironment,
} from '@eventline/config';
import type { Logger, Pipeline } from '@eventline/core';
import { matchRoute } from '@eventline/core';
import type { DirectoryLock, LocalDynamo } from '@eventline/dynamodb-emulator';
import { createHandler, createPipeline, type EventlineHandler } from '@eventline/lambda';
import {
  type AsyncInvoker,
  createLambdaInvokeRoute,
  EventJournal,
  type FunctionBundler,
  type FunctionPool,
  type InvocationResult,
  type SqsEventSource,
} from '@eventline/lambda-emulator';
import type { S3Emulator, S3ObjectEvent } from '@eventline/s3-emulator';
import type { SnsService } from '@eventline/sns-emulator';
import type { SqsEmulator } from '@eventline/sqs-emulator';
import type { Context } from 'aws-lambda';
import { Activity } from './activity.ts';
import { createAdmin } from './admin.ts';
import type { AdminStack } from './admin-port.ts';
import { noteOldS3Data, prepareDataDir } from './data-dir.ts';
import { SqsDeadLetterStore } from './dead-letters.ts';
import { type DropBy, dropByHand } from './drop-decision.ts';
import type { Edge } from './edge.ts';
import {
  createEventSource,
  createFunctionBundler,
  createFunctionPool,
  createInvoker,
  type HandlerEndpoints,
} from './function-runtime.ts';
import { OutcomeReporter } from './outcomes.ts';
import { stackBanner } from './printing.ts';
import { type StackQueues, sendTestEvent } from './queues.ts';
import { listObjects, recover } from './recovery.ts';
import { type ReplayResult, replayLetters } from './replay.ts';
import { handlerClientsFor, provisionResources, startServices } from './services.ts';
import { type StopReport, stopReport } from './shutdown.ts';
import type { LocalStackOptions } from './stack-options.ts';
import { deadLetterDepth, queueIdle, queueStats, runtimeStats, type StatsView } from './stats.ts';
import { S3Trigger } from './trigger.ts';

/**
 * The embedded local stack: S3 (our own emulator), DynamoDB (dynalite) and SNS (our own) behind one loopback
 * edge port, and the Lambda handler invoked for every routed object with Lambda's asynchronous
 * semantics. No AWS account, no Docker: `npm start`.
 */
const ACCOUNT = '000000000000';

export class LocalStack implements AdminStack {
  readonly activity = new Activity();
  readonly config: EventlineConfig;
  readonly dataDir: string;
  /** The letters DLQ and the event DLQ, on SQS (set at boot, once the queues exist). */
  deadLetters!: SqsDeadLetterStore;
  readonly journal: EventJournal;
  names!: RuntimeNames;
  edge!: Edge;
  sns!: SnsService;
  sqs!: SqsEmulator;
  queues!: StackQueues;
  /** Direct mode: Lambda's asynchronous invocation of each S3 event (and journal leftovers in any mode). */
  invoker!: AsyncInvoker;
  /** Queue mode: the event source mapping that polls the ingest queue. */
  eventSource: SqsEventSource | undefined;
  /** The function's bundle and its instances (functionRuntime `workers`). */
  bundler: FunctionBundler | undefined;
  pool: FunctionPool | undefined;
  /** Outcomes, retries and dead letters into the activity and the printed lines (outcomes.ts). */
  private readonly outcomes: OutcomeReporter;
  /** S3 events per trigger mode (trigger.ts). */
  private readonly trigger: S3Trigger;
  /** Ingest messages left in flight by an earlier process: they come back at their visibility timeout. */
  private orphanedInFlight = 0;
  pipeline!: Pipeline;
  handler!: EventlineHandler;
  /** Clients pointed at the edge, as any user's client would be. */
  clients!: AwsClients;
  ledger!: DynamoLedger;
  private s3!: S3Emulator;
  private dynamo!: LocalDynamo;
  private dataDirLock: DirectoryLock | undefined;
  private handlerClients: AwsClients[] = [];
  private readonly print: (line: string) => void;
  private readonly logger: Logger;
  private ready = false;
  /** Resolves when the stack has booted (its names, queues and runtime exist); rejects if it failed. */
  readonly booted: Promise<void>;
  private bootSettled!: { resolve: () => void; reject: (error: unknown) => void };
  private early: S3ObjectEvent[] = [];
  private stopped = false;

  private readonly env: NodeJS.ProcessEnv;

  private constructor(private readonly options: LocalStackOptions) {
    this.env = options.env ?? process.env;
    // The function's environment overrides rename the local resources as they rename the deployed ones.
    this.config = withEnvironment(options.config, this.env, { accountId: ACCOUNT });
    this.dataDir = resolve(options.dataDir ?? options.config.local.dataDir);
    this.booted = new Promise<void>((resolve, reject) => {
      this.bootSettled = { resolve, reject };
    });
    // Nobody may be waiting: a failed start is reported by start() itself.
    this.booted.catch(() => {});
    this.journal = new EventJournal(this.dataDir);
    this.print = options.print ?? (() => {});
    this.logger = options.logger ?? { debug() {}, info() {}, warn() {}, error() {} };
    this.outcomes = new OutcomeReporter({
      activity: this.activity,
      print: this.print,
      queueMode: () => Boolean(this.queues?.ingest),
      notifyOf: (route) => this.config.routes.find((r) => r.id === route)?.notify,
    });
    this.trigger = new S3Trigger({
      config: this.config,
      activity: this.activity,
      print: this.print,
      logger: this.logger,
      sqs: () => this.sqs,
      ingestUrl: () => this.queues.ingest?.url,
      invoker: () => this.invoker,
    });
  }

  static async start(options: LocalStackOptions): Promise<LocalStack> {
    const stack = new LocalStack(options);
    try {
      await stack.boot();
      stack.bootSettled.resolve();
    } catch (error) {
      stack.bootSettled.reject(error);
      await stack.stop().catch(() => {});
      throw error;
    }
    return stack;
  }

  get url(): string {
    return this.edge.url;
  }

  private async boot(): Promise<void> {
    const { config } = this;
    const local = config.local;
    this.dataDirLock = await prepareDataDir(this.dataDir);
    await this.journal.open();
    await noteOldS3Data(this.dataDir, this.print);
    const activityLogger = this.activity.logger(this.logger, 'warn');
    const services = await startServices({
      config,
      dataDir: this.dataDir,
      accountId: ACCOUNT,
      host: this.options.host ?? local.host,
      port: this.options.port ?? local.port,
      logger: this.logger,
      activityLogger,
      ...(this.options.sns ? { sns: this.options.sns } : {}),
      onS3Event: (event) => this.onS3Event(event),
      routes: {
        lambda: createLambdaInvokeRoute({
          functionName: localFunctionName(config),
          region: local.region,
          accountId: ACCOUNT,
          // Like the admin API, an Invoke that arrives while the stack boots waits for its runtime.
          submit: (event) => this.booted.then(() => this.submitInvocation(event, 'invoke')),
          invoke: (event) => this.booted.then(() => this.invokeFunction(event)),
        }),
        admin: createAdmin(this, this.options.consolePage),
      },
      // Kept as each starts, so that stop() closes what a failed start left running.
      started: (some) => Object.assign(this, some),
    });
    Object.assign(this, services);

    await this.dataDirLock?.update({ port: this.edge.port });

    const credentials = { accessKeyId: local.accessKeyId, secretAccessKey: local.secretAccessKey };
    this.clients = createClients({ region: local.region, endpoint: this.edge.url, credentials });
    ({ queues: this.queues, names: this.names } = await provisionResources({
      config,
      clients: this.clients,
      sns: this.sns,
      accountId: ACCOUNT,
      env: this.env,
    }));
    this.deadLetters = new SqsDeadLetterStore(
      this.clients.sqs,
      { letters: this.queues.deadLetters.url, events: this.queues.eventDeadLetters.url },
      (messageId) => this.outcomes.failureReason(messageId),
    );

    // The handler's clients: through the edge, unless a test puts a proxy in between.
    const endpoints = this.options.handlerEndpoints ?? {};
    const handler = handlerClientsFor({
      region: local.region,
      edgeUrl: this.edge.url,
      credentials,
      endpoints,
    });
    this.handlerClients.push(...handler.owned);
    const handlerClients = handler.clients;
    this.ledger = new DynamoLedger({
      tableName: config.table.name,
      tableSetting: this.names.settings?.table ?? 'table.name',
      dynamodb: this.clients.dynamodb,
      documents: this.clients.documents,
      ...(config.ledger.ttlDays === undefined ? {} : { ttlDays: config.ledger.ttlDays }),
    });
    const handlerLogger = this.queues.ingest
      ? this.outcomes.observingOutcomes(activityLogger)
      : activityLogger;
    const retryDelaysMs = this.options.retryDelaysMs ?? [...LOCAL_RETRY_DELAYS_MS];
    this.pipeline = createPipeline({
      config,
      names: this.names,
      clients: handlerClients,
      logger: handlerLogger,
      metrics: this.activity.metricsPort(),
      deadLetters: this.deadLetters,
      ...(this.options.leaseMs ? { leaseMs: this.options.leaseMs } : {}),
      // As on AWS: a file too long for one invocation continues on the ingest queue (queue mode),
      // or in an asynchronous invocation (direct mode).
      continuations: this.queues.ingest
        ? new SqsContinuations(handlerClients.sqs, this.queues.ingest.url)
        : { schedule: (event) => this.submitInvocation(event, 'continue') },
      // As on AWS: a digest window closes by a delayed message on the ingest queue.
      ...(this.queues.ingest
        ? { digests: new SqsDigestScheduler(handlerClients.sqs, this.queues.ingest.url) }
        : {}),
    });
    this.handler = createHandler({
      pipeline: this.pipeline,
      logger: handlerLogger,
    });
    this.invoker = createInvoker({
      config,
      retryDelaysMs,
      invoke: (event, context) => this.invokeFunction(event, context),
      journal: this.journal,
      sqs: this.clients.sqs,
      eventDeadLettersUrl: this.queues.eventDeadLetters.url,
      logger: activityLogger,
      accountId: ACCOUNT,
    });
    this.invoker.on('result', (result: InvocationResult) => this.outcomes.onResult(result));
    this.invoker.on('dead-letter', (event) => this.outcomes.onDeadLetter(event));

    if ((this.options.functionRuntime ?? 'workers') === 'workers') await this.startInstances(endpoints);

    if (this.queues.ingest) {
      const ingest = this.queues.ingest;
      this.orphanedInFlight = this.sqs.metrics().find((q) => q.name === ingest.name)?.inFlight ?? 0;
      if (this.queues.ingestCreated) await sendTestEvent(this.sqs, ingest.url, config.bucket.name);
      const { eventSource, pollers } = createEventSource({
        config,
        edgeUrl: this.edge.url,
        credentials,
        ingest,
        retryDelaysMs,
        invoke: (event) => this.invokeFunction(event),
        logger: this.logger,
        onBatch: (report) => this.outcomes.onBatch(report),
        heldUntil: (messageId) => this.outcomes.takeHold(messageId),
        leaseMs: this.options.leaseMs ?? defaultLeaseMs(config.function.timeoutSeconds),
      });
      this.handlerClients.push(pollers);
      this.eventSource = eventSource;
    }

    await this.recover();
    this.ready = true;
    this.eventSource?.start();
    for (const event of this.early.splice(0)) this.onS3Event(event);
  }

  /** An asynchronous invocation (Lambda's `Event`): journaled, retried twice, then the event DLQ. */
  private submitInvocation(event: Record<string, unknown>, kind: string): Promise<void> {
    return this.invoker.submit({
      id: `${kind}-${randomUUID().slice(0, 8)}`,
      event,
      attempts: 0,
      enqueuedAt: new Date().toISOString(),
    });
  }

  /** Runs the function: on an instance (workers), or the in-process handler. */
  private invokeFunction(event: object, context?: Context): Promise<unknown> {
    return this.pool ? this.pool.invoke(event) : this.handler(event, context);
  }

  /** Builds the bundle the CDK app deploys and starts the pool of instances (function-runtime.ts). */
  private async startInstances(endpoints: HandlerEndpoints): Promise<void> {
    const runtime = {
      config: this.config,
      dataDir: this.dataDir,
      print: this.print,
      activity: this.activity,
      logger: this.logger,
    };
    this.bundler = createFunctionBundler({
      ...runtime,
      watch: this.options.watchFunction ?? false,
      ...(this.options.configFile ? { configFile: this.options.configFile } : {}),
    });
    const bundle = await this.bundler.start();
    this.pool = createFunctionPool({
      ...runtime,
      bundler: this.bundler,
      bundle,
      accountId: ACCOUNT,
      names: this.names,
      deadLettersUrl: this.queues.deadLetters.url,
      ...(this.queues.ingest ? { ingestUrl: this.queues.ingest.url } : {}),
      edgeUrl: this.edge.url,
      endpoints,
      observeLogLine: (message, fields) => this.outcomes.observeLogLine(message, fields),
    });
  }

  /** Re-drives what an earlier run left: journaled events, then routed objects without an outcome (recovery.ts). */
  private recover(): Promise<void> {
    return recover({
      config: this.config,
      ledger: this.ledger,
      s3: this.clients.s3,
      bucketSetting: this.bucketSetting(),
      journal: this.journal,
      print: this.print,
      requeue: async (entry) => {
        if (this.queues.ingest) {
          // Left by a run in direct mode: the ingest queue takes it now.
          await this.trigger.sendToIngest(entry.event);
          await this.journal.remove(entry.id);
        } else {
          this.invoker.enqueue(entry);
        }
      },
      submit: (object) => this.trigger.submit(object),
    });
  }

  private bucketSetting(): string {
    return this.names?.settings?.bucket ?? 'bucket.name';
  }

  private onS3Event(event: S3ObjectEvent): void {
    if (this.stopped) return;
    if (this.options.loseS3Event?.(event)) return;
    if (!this.ready) {
      this.early.push(event);
      return;
    }
    this.trigger.route(event);
  }

  /**
   * A presigned POST for a browser upload under `prefix` (the file's name completes the key), signed
   * with the stack's key pair by the SDK's own presigner, as an application's backend would make it.
   */
  async presignedPost(prefix: string): Promise<{ url: string; fields: Record<string, string> }> {
    return createPresignedPost(this.clients.s3, {
      Bucket: this.config.bucket.name,
      Key: `${prefix}\${filename}`,
      Conditions: [
        ['starts-with', '$key', prefix],
        ['content-length-range', 0, 5 * 1024 ** 3],
      ],
      Fields: { success_action_status: '201' },
      Expires: 15 * 60,
    });
  }

  /** Processes the objects already in the bucket under `prefix` (idempotent: finished ones are skipped). */
  async backfill(prefix: string): Promise<{ submitted: number }> {
    let submitted = 0;
    for await (const object of listObjects(
      this.clients.s3,
      this.config.bucket.name,
      prefix,
      this.bucketSetting(),
    )) {
      if (!matchRoute(this.config.routes, object.key)) continue;
      await this.trigger.submit(object);
      submitted += 1;
    }
    return { submitted };
  }

  /**
   * Re-drives dead letters (all, or one by id): each is claimed on its queue (hidden, so a second
   * replay finds nothing), processed again, then deleted; a replay that cannot finish puts it back.
   */
  replay(id?: string): Promise<ReplayResult[]> {
    return replayLetters(
      {
        deadLetters: this.deadLetters,
        pipeline: this.pipeline,
        s3: this.clients.s3,
        activity: this.activity,
        print: this.print,
        timeoutSeconds: this.config.function.timeoutSeconds,
        queueMode: Boolean(this.queues.ingest),
      },
      id,
    );
  }

  /** Ends one dead letter by hand and records the decision on its outcome (drop-decision.ts). */
  drop = (id: string, by: DropBy) => dropByHand({ ...this, print: this.print }, id, by);

  /** Resolves when every queued event has an outcome (tests and `put --wait`). */
  idle(): Promise<void> {
    if (!this.eventSource) return this.invoker.idle();
    return this.invoker.idle().then(
      () =>
        new Promise<void>((resolve) => {
          const check = () => {
            if (this.stopped || queueIdle(this.statsView, this.trigger.sending, this.orphanedInFlight))
              resolve();
            else setTimeout(check, 20);
          };
          check();
        }),
    );
  }

  /** What the stack's figures read (stats.ts). */
  private get statsView(): StatsView {
    return {
      config: this.config,
      activity: this.activity,
      queues: this.queues,
      queueMetrics: () => this.sqs.metrics(),
      eventSource: this.eventSource,
      pool: this.pool,
      bundler: this.bundler,
    };
  }

  /** Letters waiting in both dead-letter queues, as SQS counts them (visible and in flight). */
  deadLetterDepth(): number {
    return deadLetterDepth(this.statsView);
  }

  /** The queue path and the function instances, for the console's runtime panel. */
  runtimeStats() {
    return runtimeStats(this.statsView);
  }

  /** What the ingest queue and the event source are doing (admin API, console). */
  queueStats() {
    return queueStats(this.statsView);
  }

  banner(): string {
    return stackBanner({
      url: this.edge.url,
      config: this.config,
      topicArn: this.names.topicArn,
      dataDir: this.dataDir,
      queues: this.queues,
      env: this.env,
      ...(this.options.configFile ? { configFile: this.options.configFile } : {}),
    });
  }

  /** Stops taking events; running invocations get `graceMs`; closes all; says what was cut. */
  async stop(graceMs = 10_000): Promise<StopReport> {
    if (this.stopped) return stopReport(this.config, []);
    this.stopped = true;
    const polled = await this.eventSource?.stop(graceMs);
    await this.invoker?.stop(graceMs);
    const journaled = this.invoker?.stats.running ?? 0;
    await this.pool?.close();
    await this.bundler?.stop();
    await this.deadLetters?.close();
    await this.edge?.close();
    await this.sns?.close();
    await this.sqs?.close();
    for (const clients of this.handlerClients) destroyClients(clients);
    if (this.clients) destroyClients(this.clients);
    await this.s3?.close();
    await this.dynamo?.close();
    await this.dataDirLock?.release();
    return stopReport(this.config, polled?.cut ?? [], journaled);
  }
}
