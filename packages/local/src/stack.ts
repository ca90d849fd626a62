import { randomUUID } from 'node:crypto';
import { access, constants, mkdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { type AwsClients, createClients, destroyClients } from '@eventline/aws/clients.ts';
import { DynamoLedger } from '@eventline/aws/dynamo-ledger.ts';
import { isMissing, translate } from '@eventline/aws/errors.ts';
import { ConfigError } from '@eventline/config/errors.ts';
import { type EventlineConfig, type RuntimeNames, withEnvironment } from '@eventline/config/index.ts';
import { errorMessage } from '@eventline/core/errors.ts';
import { normaliseEvent, type ObjectEvent } from '@eventline/core/events.ts';
import type { Outcome, Pipeline } from '@eventline/core/pipeline.ts';
import type { Logger } from '@eventline/core/ports.ts';
import { matchRoute } from '@eventline/core/routing.ts';
import {
  acquireDirectoryLock,
  DataDirectoryLockedError,
  type DirectoryLock,
  ensureLedgerTable,
  type LocalDynamo,
  startLocalDynamo,
} from '@eventline/dynamodb-emulator';
import { createHandler, type EventlineHandler } from '@eventline/lambda/handler.ts';
import { createPipeline } from '@eventline/lambda/wiring.ts';
import { createS3Emulator, type S3Emulator, type S3ObjectEvent } from '@eventline/s3-emulator';
import { createSnsService, type SnsService } from '@eventline/sns-emulator/index.ts';
import { Activity, consoleLogger } from './activity.ts';
import { type ConsoleHandler, createAdmin } from './admin.ts';
import { createAuthorizer } from './auth.ts';
import { type DeadLetterStore, FileDeadLetterQueue, type StoredDeadLetter } from './dead-letters.ts';
import { type Edge, startEdge } from './edge.ts';
import { AsyncInvoker, type InvocationResult } from './invoker.ts';
import { EventJournal } from './journal.ts';
import { isLoopbackName } from './loopback.ts';
import { nextSequencer, s3EventRecord } from './s3-events.ts';

/**
 * The embedded local stack: S3 (our own emulator), DynamoDB (dynalite) and SNS (our own) behind one loopback
 * edge port, and the Lambda handler invoked for every routed object with Lambda's asynchronous
 * semantics. No AWS account, no Docker: `npm start`.
 */
export interface LocalStackOptions {
  config: EventlineConfig;
  /** Overrides config.local.dataDir / host / port. */
  dataDir?: string;
  host?: string;
  port?: number;
  /** Where readable one-line messages go (banner, one line per file); silent when absent. */
  print?: (line: string) => void;
  /** The stack's own diagnostics; defaults to nothing beyond `print`. */
  logger?: Logger;
  /** Delays before the 1st and 2nd retry (Lambda: about 60 s and 120 s; locally 1 s and 2 s). */
  retryDelaysMs?: number[];
  /** Endpoints the handler uses, to put a real fault-injecting proxy between it and a service. */
  handlerEndpoints?: { s3?: string; dynamodb?: string; sns?: string };
  sns?: { delivery?: { timeoutMs?: number; retries?: number; retryDelayMs?: number } };
  /** How long a crashed attempt's claim blocks a retry (default: the function timeout + 30 s). */
  leaseMs?: number;
  /** Serves `/_console` (the live web page). */
  consolePage?: ConsoleHandler;
  /** Where TABLE_NAME, BUCKET_NAME, TOPIC_ARN and DLQ_URL are read (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * Loses the S3 notifications it selects, as S3 may (tests of backfill and start-up recovery write
   * objects "behind the pipeline's back" this way). The object is stored all the same.
   */
  loseS3Event?: (event: S3ObjectEvent) => boolean;
}

/**
 * Where the stack keeps S3's objects under its data directory. `s3` held s3rver's files (one file per
 * key, before the project's own emulator); that layout is not read or migrated.
 */
export const S3_DATA_SUBDIR = 's3v2';
const OLD_S3_DATA_SUBDIR = 's3';

export interface ReplayResult {
  id: string;
  key?: string;
  status:
    | Outcome['status']
    | 'error'
    /** The object (that version) no longer exists: nothing can be replayed, the letter is ended. */
    | 'gone'
    /** Ended by hand (`dlq drop`). */
    | 'dropped';
  reason?: string;
}

const ACCOUNT = '000000000000';

/** An object as a listing shows it (backfill, start-up recovery): no versionId, no sequencer. */
interface ListedObject {
  bucket: string;
  key: string;
  eTag?: string;
  size?: number;
  versionId?: undefined;
}

export class LocalStack {
  readonly activity = new Activity();
  readonly config: EventlineConfig;
  readonly dataDir: string;
  readonly deadLetters: DeadLetterStore;
  readonly journal: EventJournal;
  names!: RuntimeNames;
  edge!: Edge;
  sns!: SnsService;
  invoker!: AsyncInvoker;
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
  private early: S3ObjectEvent[] = [];
  private stopped = false;

  private readonly env: NodeJS.ProcessEnv;

  private constructor(private readonly options: LocalStackOptions) {
    this.env = options.env ?? process.env;
    // The function's environment overrides rename the local resources as they rename the deployed ones.
    this.config = withEnvironment(options.config, this.env, { accountId: ACCOUNT });
    this.dataDir = resolve(options.dataDir ?? options.config.local.dataDir);
    this.deadLetters = new FileDeadLetterQueue(this.dataDir);
    this.journal = new EventJournal(this.dataDir);
    this.print = options.print ?? (() => {});
    this.logger = options.logger ?? { debug() {}, info() {}, warn() {}, error() {} };
  }

  static async start(options: LocalStackOptions): Promise<LocalStack> {
    const stack = new LocalStack(options);
    try {
      await stack.boot();
    } catch (error) {
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
    await this.prepareDataDir();
    await this.journal.open();
    this.dynamo = await startLocalDynamo({ path: resolve(this.dataDir, 'dynamodb') });
    await this.noteOldS3Data();
    this.s3 = await createS3Emulator({
      dataDir: resolve(this.dataDir, S3_DATA_SUBDIR),
      region: local.region,
      // The emulator verifies SigV4 (header, presigned, signed chunks) and SigV2 itself.
      credentials: local.enforceAuth
        ? (accessKeyId) => (accessKeyId === local.accessKeyId ? local.secretAccessKey : undefined)
        : undefined,
      onObjectEvent: (event) => this.onS3Event(event),
      onEventError: (error, event) =>
        this.logger.error('could not take an S3 event', { key: event.key, error: errorMessage(error) }),
    });
    // Versioned, as the deployed bucket is: the ledger keys an object's versions by versionId.
    await this.s3.ensureBucket(config.bucket.name, { versioning: 'Enabled' });
    const activityLogger = this.activity.logger(this.logger, 'warn');
    this.sns = createSnsService({
      region: local.region,
      accountId: ACCOUNT,
      dataDir: resolve(this.dataDir, 'sns'),
      publicUrl: () => this.edge.url,
      ...(local.smtp ? { smtp: local.smtp } : {}),
      logger: activityLogger,
      ...(this.options.sns?.delivery ? { delivery: this.options.sns.delivery } : {}),
    });
    const host = this.options.host ?? local.host;
    const port = this.options.port ?? local.port;
    const loopback = isLoopbackName(host.replace(/^\[|\]$/g, ''));
    if (!loopback && !local.enforceAuth) {
      throw new ConfigError(
        `local.host: "${host}" is not a loopback address; serving S3, DynamoDB and SNS beyond this machine needs local.enforceAuth: true (and your own key pair)`,
        { problems: [{ setting: 'local.host', message: 'a loopback address, or enforceAuth' }] },
      );
    }
    this.edge = await startEdge({
      host,
      port,
      anyHost: !loopback,
      logger: this.logger,
      routes: {
        s3: this.s3,
        dynamoPort: this.dynamo.port,
        sns: this.sns,
        admin: createAdmin(this, this.options.consolePage),
        ...(local.enforceAuth
          ? {
              authorize: createAuthorizer({
                accessKeyId: local.accessKeyId,
                secretAccessKey: local.secretAccessKey,
              }),
            }
          : {}),
      },
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        throw new ConfigError(
          `local.port: port ${port} on ${host} is already in use (another eventline or LocalStack?). Stop it, or set local.port in eventline.config.ts / --port`,
          { problems: [{ setting: 'local.port', message: 'a free TCP port' }], cause: error },
        );
      }
      throw error;
    });

    await this.dataDirLock?.update({ port: this.edge.port });

    const credentials = { accessKeyId: local.accessKeyId, secretAccessKey: local.secretAccessKey };
    this.clients = createClients({ region: local.region, endpoint: this.edge.url, credentials });
    await ensureLedgerTable(this.clients.dynamodb, config.table.name);
    const topicArn = await this.sns.createTopic(config.topic.name);
    for (const subscription of config.topic.subscriptions) {
      await this.sns.subscribe(topicArn, subscription.protocol, subscription.endpoint, { confirmed: true });
    }
    this.names = {
      tableName: config.table.name,
      topicArn,
      bucketName: config.bucket.name,
      settings: {
        table: this.env.TABLE_NAME !== undefined ? 'TABLE_NAME' : 'table.name',
        topic: this.env.TOPIC_ARN !== undefined ? 'TOPIC_ARN' : 'topic.name',
        bucket: this.env.BUCKET_NAME !== undefined ? 'BUCKET_NAME' : 'bucket.name',
      },
    };

    // The handler's clients: through the edge, unless a test puts a proxy in between.
    const endpoints = this.options.handlerEndpoints ?? {};
    const clientFor = (endpoint: string | undefined) => {
      const clients = createClients({
        region: local.region,
        endpoint: endpoint ?? this.edge.url,
        credentials,
      });
      this.handlerClients.push(clients);
      return clients;
    };
    const s3Clients = clientFor(endpoints.s3);
    const ddbClients = clientFor(endpoints.dynamodb);
    const snsClients = clientFor(endpoints.sns);
    const handlerClients: AwsClients = {
      s3: s3Clients.s3,
      dynamodb: ddbClients.dynamodb,
      documents: ddbClients.documents,
      sns: snsClients.sns,
      sqs: s3Clients.sqs,
    };
    this.ledger = new DynamoLedger({
      tableName: config.table.name,
      tableSetting: this.names.settings?.table ?? 'table.name',
      dynamodb: this.clients.dynamodb,
      documents: this.clients.documents,
    });
    this.pipeline = createPipeline({
      config,
      names: this.names,
      clients: handlerClients,
      logger: activityLogger,
      metrics: this.activity.metricsPort(),
      deadLetters: this.deadLetters,
      ...(this.options.leaseMs ? { leaseMs: this.options.leaseMs } : {}),
      // Direct mode, as on AWS: a file too long for one invocation continues in an async invocation.
      continuations: {
        schedule: (event) =>
          this.invoker.submit({
            id: `continue-${randomUUID().slice(0, 8)}`,
            event,
            attempts: 0,
            enqueuedAt: new Date().toISOString(),
          }),
      },
    });
    this.handler = createHandler({ pipeline: this.pipeline, logger: activityLogger });
    this.invoker = new AsyncInvoker({
      concurrency: config.function.reservedConcurrency,
      retryAttempts: config.trigger.retryAttempts,
      retryDelaysMs: this.options.retryDelaysMs ?? [1000, 2000],
      maxEventAgeMs: config.trigger.maxEventAgeSeconds * 1000,
      timeoutMs: config.function.timeoutSeconds * 1000,
      invoke: (event, context) => this.handler(event, context),
      journal: this.journal,
      deadLetters: this.deadLetters,
      logger: activityLogger,
      functionArn: `arn:aws:lambda:${local.region}:${ACCOUNT}:function:${config.name}-handler`,
    });
    this.invoker.on('result', (result: InvocationResult) => this.onResult(result));
    this.invoker.on('dead-letter', ({ entry, condition, error }) => {
      this.activity.counters.deadLettered += 1;
      const key = keyOf(entry.event);
      this.activity.record({
        at: new Date().toISOString(),
        kind: 'dead-letter',
        key,
        reason: errorMessage(error),
      });
      this.print(`${clock()} ☠ ${key} → dead-lettered (${condition}): ${errorMessage(error)}`);
    });

    await this.recover();
    this.ready = true;
    for (const event of this.early.splice(0)) this.onS3Event(event);
  }

  /** Says once per start that s3rver's files from an older eventline are left as they were. */
  private async noteOldS3Data(): Promise<void> {
    const old = resolve(this.dataDir, OLD_S3_DATA_SUBDIR);
    const there = await stat(old).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (there) {
      this.print(
        `${clock()} ! ${old} holds S3 objects of an older eventline (s3rver); they are not migrated: S3 data is now in ${resolve(this.dataDir, S3_DATA_SUBDIR)}. Upload the originals again (e.g. aws s3 sync), then remove ${old}`,
      );
    }
  }

  private async prepareDataDir(): Promise<void> {
    try {
      await mkdir(this.dataDir, { recursive: true });
      await access(this.dataDir, constants.W_OK | constants.R_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new ConfigError(
        `local.dataDir: cannot use "${this.dataDir}" as the data directory (${code ?? errorMessage(error)}): it must be a directory this user can read and write`,
        { problems: [{ setting: 'local.dataDir', message: 'a writable directory' }], cause: error },
      );
    }
    // One stack per data directory: a second one would find the databases locked mid-start.
    try {
      this.dataDirLock = await acquireDirectoryLock(this.dataDir, {
        what: 'a running eventline stack',
        fileName: 'eventline.lock',
      });
    } catch (error) {
      if (!(error instanceof DataDirectoryLockedError)) throw error;
      throw new ConfigError(`local.dataDir: ${error.message} (--data-dir)`, {
        problems: [{ setting: 'local.dataDir', message: 'a data directory no other stack uses' }],
        cause: error,
      });
    }
  }

  /** Re-drives what an earlier run left: journaled events, then routed objects without an outcome. */
  private async recover(): Promise<void> {
    const bootAt = Date.now();
    // Each routed object once, even when routes share a prefix.
    const prefixes = [...new Set(this.config.routes.map((r) => r.prefix))].filter(
      (prefix, _, all) => !all.some((other) => other !== prefix && prefix.startsWith(other)),
    );
    const unfinished: ListedObject[] = [];
    for (const prefix of prefixes) {
      for await (const object of this.listObjects(prefix)) {
        if (!matchRoute(this.config.routes, object.key)) continue;
        let state = await this.ledger.getFile(this.config.bucket.name, object.key);
        if (state && state.leaseUntil > bootAt && Date.parse(state.updatedAt) < bootAt) {
          // This process is the only one working on the ledger: a claim left by a crash is void.
          const released = { ...state, leaseUntil: 0, rev: state.rev + 1 };
          if (await this.ledger.putFile(released, state.rev)) state = released;
        }
        if (!state || state.status === 'PROCESSING' || state.eTag !== object.eTag) unfinished.push(object);
      }
    }
    const pending = await this.journal.pending();
    const journaledKeys = new Set(pending.map((e) => keyOf(e.event)));
    for (const entry of pending) this.invoker.enqueue(entry);
    let reconciled = 0;
    for (const object of unfinished) {
      if (journaledKeys.has(object.key)) continue;
      await this.submit(object);
      reconciled += 1;
    }
    if (pending.length + reconciled > 0) {
      this.print(
        `${clock()} ↺ recovering ${pending.length} journaled event(s) and ${reconciled} unprocessed object(s)`,
      );
    }
  }

  private async *listObjects(prefix: string): AsyncGenerator<ListedObject> {
    let token: string | undefined;
    do {
      const bucket = this.config.bucket.name;
      const page = await this.clients.s3
        .send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }))
        .catch((error: unknown) => {
          throw translate(error, `ListObjectsV2 ${bucket}`, {
            kind: 'bucket',
            name: bucket,
            setting: this.names?.settings?.bucket ?? 'bucket.name',
          });
        });
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        const item: ListedObject = {
          bucket: this.config.bucket.name,
          key: object.Key,
        };
        if (object.ETag) item.eTag = object.ETag.replace(/"/g, '');
        if (object.Size !== undefined) item.size = object.Size;
        yield item;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private onS3Event(event: S3ObjectEvent): void {
    if (this.stopped) return;
    if (this.options.loseS3Event?.(event)) return;
    if (!this.ready) {
      this.early.push(event);
      return;
    }
    if (!event.eventName.startsWith('ObjectCreated:')) return;
    if (event.bucket !== this.config.bucket.name) return;
    if (!matchRoute(this.config.routes, event.key)) {
      if (!event.key.startsWith(this.config.internalPrefix)) {
        this.activity.counters.ignored += 1;
        this.activity.record({
          at: new Date().toISOString(),
          kind: 'ignored',
          key: event.key,
          bucket: event.bucket,
        });
        this.print(`${clock()} · ${event.key} → ignored: outside every route`);
      }
      return;
    }
    this.submit(event).catch((error: unknown) =>
      this.logger.error('could not journal an event', { key: event.key, error: errorMessage(error) }),
    );
  }

  /**
   * Journals and queues an S3-shaped event for an object: a live event as the emulator sent it (its
   * name, sequencer, versionId and ETag), or one made up for a listed object (backfill, recovery), which
   * has no sequencer: S3 never sent one, and a made-up one would order it against real ones.
   */
  private async submit(object: ListedObject | S3ObjectEvent): Promise<void> {
    const route = matchRoute(this.config.routes, object.key);
    const live = 'sequencer' in object;
    const id = live ? object.sequencer : nextSequencer();
    const record = s3EventRecord({
      bucket: object.bucket,
      key: object.key,
      eventName: live ? object.eventName : 'ObjectCreated:Put',
      ...(object.size !== undefined ? { size: object.size } : {}),
      ...(object.eTag ? { eTag: object.eTag } : {}),
      ...(object.versionId ? { versionId: object.versionId } : {}),
      sequencer: id,
      region: this.config.local.region,
      configurationId: route?.id ?? 'eventline',
      ...(live ? { eventTime: object.eventTime } : {}),
    });
    if (!live) delete (record.s3 as { object: Record<string, unknown> }).object.sequencer;
    this.activity.counters.received += 1;
    this.activity.record({
      at: new Date().toISOString(),
      kind: 'received',
      key: object.key,
      bucket: object.bucket,
    });
    await this.invoker.submit({
      id: `${id}-${randomUUID().slice(0, 8)}`,
      event: { Records: [record] },
      attempts: 0,
      enqueuedAt: new Date().toISOString(),
    });
  }

  private onResult(result: InvocationResult): void {
    const key = keyOf(result.entry.event);
    if (!result.ok) {
      this.activity.counters.retries += result.willRetry ? 1 : 0;
      this.activity.record({
        at: new Date().toISOString(),
        kind: 'retry',
        key,
        reason: errorMessage(result.error),
        attempt: result.entry.attempts + 1,
      });
      if (result.willRetry) {
        this.print(
          `${clock()} ↻ ${key} → attempt ${result.entry.attempts + 1} failed, will retry: ${errorMessage(result.error)}`,
        );
      }
      return;
    }
    const outcomes = (result.result as { outcomes?: Outcome[] } | undefined)?.outcomes ?? [];
    const size = sizeOf(result.entry.event);
    for (const outcome of outcomes) {
      this.activity.recordOutcome(outcome, size);
      this.print(describeOutcome(outcome));
    }
  }

  /** Processes the objects already in the bucket under `prefix` (idempotent: finished ones are skipped). */
  async backfill(prefix: string): Promise<{ submitted: number }> {
    let submitted = 0;
    for await (const object of this.listObjects(prefix)) {
      if (!matchRoute(this.config.routes, object.key)) continue;
      await this.submit(object);
      submitted += 1;
    }
    return { submitted };
  }

  /** Re-drives dead letters (all, or one by id); a letter is removed once its file has an outcome. */
  async replay(id?: string): Promise<ReplayResult[]> {
    const letters = (await this.deadLetters.list()).filter((l) => !id || l.id === id);
    const results: ReplayResult[] = [];
    for (const letter of letters) results.push(await this.replayOne(letter));
    return results;
  }

  private async replayOne(letter: StoredDeadLetter): Promise<ReplayResult> {
    const base = { id: letter.id, ...(letter.object ? { key: letter.object.key } : {}) };
    const events = eventsOfLetter(letter);
    if (events.length === 0) {
      return { ...base, status: 'error', reason: `nothing to replay: ${letter.reason}` };
    }
    let last: ReplayResult = { ...base, status: 'error' };
    for (const event of events) {
      const gone = await this.objectGone(event);
      if (gone) {
        // Processing it would fail again, file a new letter and notify again, for ever.
        this.print(`${clock()} ∅ ${event.key} → ${gone}; dead letter ended (replay)`);
        last = { ...base, key: event.key, status: 'gone', reason: gone };
        continue;
      }
      try {
        const outcome = await this.pipeline.processObject(event, { replay: true });
        this.activity.recordOutcome(outcome);
        this.print(`${describeOutcome(outcome)} (replay)`);
        last = { ...base, key: event.key, status: outcome.status };
        if (outcome.status === 'failed' && outcome.error) last.reason = outcome.error.message;
      } catch (error) {
        return { ...base, key: event.key, status: 'error', reason: errorMessage(error) };
      }
    }
    // A failed replay was dead-lettered again by the pipeline with its new reason: drop the old letter.
    await this.deadLetters.remove(letter.id);
    return last;
  }

  /** Why an event's object cannot be read any more (deleted since), or undefined when it can. */
  private async objectGone(event: ObjectEvent): Promise<string | undefined> {
    try {
      await this.clients.s3.send(
        new HeadObjectCommand({
          Bucket: event.bucket,
          Key: event.key,
          ...(event.versionId ? { VersionId: event.versionId } : {}),
        }),
      );
      return undefined;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (isMissing(error, 'bucket') || status !== 404) return undefined; // the pipeline says what is wrong
      // HEAD answers a bare 404 for a missing bucket too: that is not a deleted object.
      const bucketThere = await this.clients.s3.send(new HeadBucketCommand({ Bucket: event.bucket })).then(
        () => true,
        () => false,
      );
      if (!bucketThere) return undefined;
      const version = event.versionId ? ` (version ${event.versionId})` : '';
      return `s3://${event.bucket}/${event.key}${version} no longer exists, so there is nothing to replay`;
    }
  }

  /** Ends one dead letter by hand, without replaying it; undefined when there is no such letter. */
  async drop(id: string): Promise<ReplayResult | undefined> {
    const letter = (await this.deadLetters.list()).find((l) => l.id === id);
    if (!letter || !(await this.deadLetters.remove(id))) return undefined;
    const key = letter.object?.key ?? eventsOfLetter(letter)[0]?.key;
    this.print(`${clock()} ∅ ${key ?? id} → dead letter dropped`);
    return { id, ...(key ? { key } : {}), status: 'dropped', reason: letter.reason };
  }

  /** Resolves when every queued event has an outcome (tests and `put --wait`). */
  idle(): Promise<void> {
    return this.invoker.idle();
  }

  banner(): string {
    const url = this.edge.url;
    const c = this.config;
    return [
      '',
      '  eventline local stack',
      `  endpoint     ${url}   (S3, DynamoDB and SNS APIs${isLoopbackName(new URL(url).hostname.replace(/^\[|\]$/g, '')) ? '; loopback only' : '; SigV4 required'})`,
      `  console      ${url}/_console`,
      `  bucket       ${c.bucket.name}`,
      `  routes       ${c.routes.map((r) => `${r.prefix}*${r.suffix} (${r.format})`).join(', ')}`,
      `  table        ${c.table.name}`,
      `  topic        ${this.names.topicArn}`,
      `  data         ${this.dataDir}`,
      ...(this.env.DLQ_URL
        ? [
            `  dead letters ${resolve(this.dataDir, 'dlq')}   (DLQ_URL is the deployed function's queue; not used locally)`,
          ]
        : []),
      `  credentials  ${c.local.accessKeyId} / ${c.local.secretAccessKey}   region ${c.local.region}`,
      '',
      '  try it:',
      `    export AWS_ENDPOINT_URL=${url} AWS_ACCESS_KEY_ID=${c.local.accessKeyId} AWS_SECRET_ACCESS_KEY=${c.local.secretAccessKey} AWS_REGION=${c.local.region} AWS_DEFAULT_REGION=${c.local.region}`,
      `    echo '{"id":"order-1","total":42.50}' > order.json`,
      `    aws s3 cp order.json s3://${c.bucket.name}/${c.routes[0]?.prefix ?? ''}order${c.routes[0]?.suffix ?? ''}`,
      `    aws dynamodb get-item --table-name ${c.table.name} --key '{"pk":{"S":"order-1"}}'`,
      '    npx eventline records   |   npx eventline notifications   |   npx eventline dlq list',
      '',
    ].join('\n');
  }

  /** Stops taking events, lets running invocations finish, closes everything. Queued events stay journaled. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.invoker?.stop(graceMs);
    await this.edge?.close();
    await this.sns?.close();
    for (const clients of this.handlerClients) destroyClients(clients);
    if (this.clients) destroyClients(this.clients);
    await this.s3?.close();
    await this.dynamo?.close();
    await this.dataDirLock?.release();
  }
}

function keyOf(event: Record<string, unknown>): string {
  const [message] = normaliseEvent(event);
  return message?.objects[0]?.key ?? '(unknown)';
}

function sizeOf(event: Record<string, unknown>): number | undefined {
  const [message] = normaliseEvent(event);
  return message?.objects[0]?.size;
}

/** The object events a dead letter can re-drive: our own letters, or Lambda on-failure records. */
export function eventsOfLetter(letter: StoredDeadLetter): ObjectEvent[] {
  const event = letter.event as { objectEvent?: ObjectEvent; requestPayload?: unknown } | undefined;
  if (event?.objectEvent) return [event.objectEvent];
  const payload = event?.requestPayload ?? event;
  return normaliseEvent(payload).flatMap((m) => m.objects);
}

const clock = () => new Date().toISOString().slice(11, 23);

export function describeOutcome(outcome: Outcome): string {
  const time = outcome.durationMs !== undefined ? ` (${outcome.durationMs} ms)` : '';
  const records = outcome.counts
    ? `${outcome.counts.written} record${outcome.counts.written === 1 ? '' : 's'}${outcome.counts.rejected ? `, ${outcome.counts.rejected} rejected` : ''}`
    : '';
  const notified = outcome.notification?.status === 'SENT' ? 'notification sent' : 'notification pending';
  switch (outcome.status) {
    case 'processed':
      return `${clock()} ✓ ${outcome.key} → ${records} → ${notified}${time}`;
    case 'failed':
      return `${clock()} ✗ ${outcome.key} → failed: ${outcome.error?.message ?? '?'} → dead-lettered, ${notified}${time}`;
    case 'finished':
      return `${clock()} ✓ ${outcome.key} → ${notified} (finished an earlier attempt)`;
    case 'duplicate':
      return `${clock()} = ${outcome.key} → duplicate event, already done`;
    case 'stale':
      return `${clock()} = ${outcome.key} → older version than the ledger's, skipped`;
    case 'continued':
      return `${clock()} … ${outcome.key} → ${records} so far, continues in another invocation`;
    default:
      return `${clock()} · ${outcome.key} → ${outcome.status}`;
  }
}

export { consoleLogger };
