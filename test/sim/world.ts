import type { DynamoDbApi, S3Api, SnsApi, SqsApi } from '@eventline/aws';
import {
  DynamoLedger,
  S3ObjectSource,
  SnsNotifier,
  SqsApiDeadLetters,
  SqsContinuations,
  SqsDigestScheduler,
  windowKey,
} from '@eventline/aws';
import { type EventlineConfig, parseConfig } from '@eventline/config';
import type { Clock } from '@eventline/core';
import {
  type DigestPolicy,
  encodeS3Key,
  type InboundMessage,
  normaliseEvent,
  Pipeline,
} from '@eventline/core';
import type fc from 'fast-check';
import { AwsFault, FakeQueue, FakeS3, type Published, type S3Version } from './fake-aws.ts';
import { type DynamoStore, FakeDynamo } from './fake-dynamo.ts';
import { InFlight } from './in-flight.ts';
import type { RealS3 } from './real-s3.ts';

/**
 * The simulated world: the real core (`Pipeline`) and the real AWS adapters (`DynamoLedger`,
 * `S3ObjectSource`, `SnsNotifier`, the SQS dead letters and continuations) over fakes of the cloud
 * (fake-aws.ts, fake-dynamo.ts), one invocation per delivered message. Every port call of an
 * invocation waits for fast-check's scheduler, which decides the order of all calls in flight; the
 * clock is virtual. An invocation dies (crash, function timeout) by never returning from a call:
 * a request already sent still lands, its answer is lost, as with a killed Lambda.
 *
 * The DynamoDB table is the fake's, or (the slower tier, real-dynamo.ts) a table of the project's
 * DynamoDB emulator: each call released by the scheduler then waits for the emulator's answer,
 * and no other call is released until it came (`settle`), so the order stays the scheduler's.
 */

export const BUCKET = 'sim-bucket';
export const ROUTE_PREFIX = 'in/';
export const TIMEOUT_MS = 60_000;
export const VISIBILITY_MS = 6 * TIMEOUT_MS;
/** Virtual time one port call takes, and one line of a body read from S3. */
export const CALL_MS = 20;
export const LINE_MS = 6_000;

export type Service = 'dynamodb' | 's3' | 'sns' | 'sqs';
export type FaultKind = 'crash-before' | 'crash-after' | 'throttle' | 'unprocessed' | 'slow';
/**
 * How long a `slow` call takes: tries that time out and are retried by the client (4 tries of a
 * 20 s socket timeout, and backoff) and more, past any lease; it lands unless its abort signal
 * fired first (hole 11). Time passes in steps, each one a turn of the scheduler.
 */
export const SLOW_MS = 150_000;
const SLOW_STEPS = 10;
export interface Fault {
  /** The global index of the port call it strikes. */
  at: number;
  kind: FaultKind;
}

interface Invocation {
  id: number;
  deadline: number;
  dead: boolean;
}

class VirtualClock implements Clock {
  time = Date.UTC(2026, 0, 1);
  now(): number {
    return this.time;
  }
}

const hang = <T>(): Promise<T> => new Promise<T>(() => {});

export class World {
  readonly clock = new VirtualClock();
  readonly s3: FakeS3;
  readonly dynamo: DynamoStore;
  readonly eventsDlq = new FakeQueue('events-dlq', { visibilityMs: VISIBILITY_MS });
  readonly ingest: FakeQueue;
  readonly filesDlq = new FakeQueue('files-dlq', { visibilityMs: VISIBILITY_MS });
  readonly published: Published[] = [];
  /** Dead letters `dlq replay` took off the queue (still counted as sent). */
  readonly replayedLetters: Array<Record<string, unknown>> = [];
  /** The pipelines' configuration (the checker's own tests change it behind the checker's back). */
  config: EventlineConfig;
  /** Outages: the service refuses every call until this time. */
  readonly outageUntil: Record<Service, number> = { dynamodb: 0, s3: 0, sns: 0, sqs: 0 };
  faultsOn = true;
  readonly direct: boolean;
  calls = 0;
  invocations = 0;
  private readonly faults = new Map<number, FaultKind>();
  /** Calls to the emulator in flight (the slower tier): the world waits for them before going on. */
  private readonly inFlight: InFlight;
  private readonly realS3: RealS3 | undefined;
  /** The emulator's copies of the fake's writes, made one after the other. */
  private s3Writes: Promise<void> = Promise.resolve();
  /** Invocations that are still running (not settled, not dead). */
  readonly running = new Set<Promise<void>>();
  /** Every invocation, to kill them all at a restart. */
  readonly live = new Set<Invocation>();
  /** A log of what happened, printed with a failing schedule. */
  readonly log: string[] = [];

  constructor(
    readonly scheduler: fc.Scheduler,
    options: {
      versioned: boolean;
      faults: Fault[];
      maxAttempts: number;
      digest?: DigestPolicy;
      /** Direct mode's continuations: no delay, so a deferral waits in its invocation (sim.ts). */
      direct?: boolean;
      /** The table: the fake's unless given (the emulator's, in the slower tier). */
      dynamo?: DynamoStore;
      /** The slower tier's S3 emulator bucket, answering the pipeline's reads (real-s3.ts). */
      s3?: RealS3;
    },
  ) {
    this.s3 = new FakeS3(options.versioned);
    this.dynamo = options.dynamo ?? new FakeDynamo();
    this.realS3 = options.s3;
    this.direct = options.direct === true;
    this.inFlight = new InFlight(options.dynamo !== undefined || options.s3 !== undefined);
    for (const fault of options.faults) this.faults.set(fault.at, fault.kind);
    this.config = parseConfig({
      routes: [
        {
          id: 'sim',
          prefix: ROUTE_PREFIX,
          suffix: '.ndjson',
          format: 'ndjson',
          key: 'id',
          // A digest route: outcomes join windows closed by delayed messages on the ingest queue (I13).
          ...(options.digest ? { notify: { digest: options.digest } } : {}),
        },
      ],
      bucket: { name: BUCKET },
      function: { timeoutSeconds: TIMEOUT_MS / 1000 },
      files: { maxAttempts: options.maxAttempts },
      // More deliveries than attempts (maxAttempts is 1-4), as the config requires (hole 10). At the
      // fewest it accepts (maxAttempts + 1) in-progress deliveries dead-letter many more events,
      // and I8's window (docs/protocol.md) showed in 44 of 15,147 plans.
      trigger: { mode: 'queue', maxReceiveCount: 5 },
    });
    this.ingest = new FakeQueue('ingest', {
      visibilityMs: VISIBILITY_MS,
      maxReceiveCount: this.config.trigger.maxReceiveCount,
      deadLetters: this.eventsDlq,
    });
  }

  /** Told of every port call as it reaches its service (the checker's I11: what an invocation does). */
  onCall: ((invocation: number, label: string) => void) | undefined;
  /** The invocation whose call is being applied (writes reach the checker synchronously inside it). */
  caller: number | undefined;
  /** Told of every delivery that failed, with its event and error (the checker's I14: no refusal for another version's lease). */
  onFailed: ((invocation: number, inbound: InboundMessage, error: unknown) => void) | undefined;
  /** Deliveries that ended `deferred` (hole 12): a newer version sent again for after an older lease. */
  deferrals = 0;

  /** One port call of invocation `inv`: ordered by the scheduler, struck by faults and outages. */
  private async call<T>(
    inv: Invocation,
    service: Service,
    label: string,
    apply: (fault?: FaultKind) => T | Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    if (inv.dead) return hang();
    if (this.clock.now() >= inv.deadline) {
      inv.dead = true;
      this.log.push(`#${inv.id} timed out before ${label}`);
      return hang();
    }
    this.calls += 1;
    const fault = this.faultsOn ? this.faults.get(this.calls) : undefined;
    if (fault === 'crash-before') {
      inv.dead = true;
      this.log.push(`#${inv.id} crashed before ${label}`);
      return hang();
    }
    await this.scheduler.schedule(Promise.resolve(label), `#${inv.id} ${label}`);
    this.clock.time += CALL_MS;
    if (fault === 'slow') {
      // The client's tries time out one after another while the world goes on; the request lands
      // at the end even when its invocation died meanwhile (the local stack's abandoned invocation
      // keeps running), unless its abort signal fired first.
      this.log.push(`#${inv.id} ${label} is slow`);
      for (let i = 0; i < SLOW_STEPS && !this.aborted(signal); i++) {
        await this.scheduler.schedule(Promise.resolve(label), `#${inv.id} ${label} (slow)`);
        this.clock.time += SLOW_MS / SLOW_STEPS;
      }
    }
    if (this.aborted(signal)) {
      // The client gave up before the request reached the service: it never lands.
      this.log.push(`#${inv.id} ${label} abandoned at its deadline`);
      if (inv.dead || this.clock.now() >= inv.deadline) return this.die(inv, label);
      throw Object.assign(new Error(`${label} aborted`), { name: 'AbortError' });
    }
    let result: T;
    try {
      if (this.faultsOn && this.outageUntil[service] > this.clock.now()) {
        throw new AwsFault('ServiceUnavailable', 503, `${service} is down`);
      }
      if (fault === 'throttle' && !label.startsWith('TransactWriteItems')) {
        throw new AwsFault(
          service === 'dynamodb' ? 'ThrottlingException' : 'SlowDown',
          service === 's3' ? 503 : 400,
        );
      }
      this.onCall?.(inv.id, label);
      // A write reaches the checker inside its call: tell it whose it is. A call to an emulator
      // answers later, and is the only one in flight until it has (in-flight.ts).
      this.caller = inv.id;
      let applied: T | Promise<T> | undefined;
      try {
        applied = apply(fault);
        result = applied instanceof Promise ? await this.inFlight.track(applied) : applied;
      } finally {
        this.caller = undefined;
      }
    } catch (error) {
      if (inv.dead || this.clock.now() >= inv.deadline) return this.die(inv, label);
      throw error;
    }
    if (fault === 'crash-after') {
      this.log.push(`#${inv.id} crashed after ${label}`);
      return this.die(inv, label);
    }
    if (inv.dead || this.clock.now() >= inv.deadline) return this.die(inv, label);
    return result;
  }

  /** Lets the code run until every invocation waits for the scheduler (in-flight.ts). */
  settle(): Promise<void> {
    return this.inFlight.settle();
  }

  /** Abort signals of the virtual clock: each aborts at its deadline (the ledger's `abortAt`). */
  private readonly deadlines = new WeakMap<AbortSignal, number>();

  abortAt(deadline: number): AbortSignal {
    const signal = new AbortController().signal;
    this.deadlines.set(signal, deadline);
    return signal;
  }

  private aborted(signal: AbortSignal | undefined): boolean {
    const deadline = signal ? this.deadlines.get(signal) : undefined;
    return deadline !== undefined && this.clock.now() >= deadline;
  }

  /** A restart of the local stack: every invocation dies where it stands. */
  killAll(): void {
    for (const inv of this.live) inv.dead = true;
    this.live.clear();
  }

  private die<T>(inv: Invocation, label: string): Promise<T> {
    if (!inv.dead) this.log.push(`#${inv.id} died at ${label}`);
    inv.dead = true;
    return hang();
  }

  private apis(inv: Invocation): { s3: S3Api; dynamodb: DynamoDbApi; sns: SnsApi; sqs: SqsApi } {
    const world = this;
    return {
      s3: {
        getObject: (input) =>
          this.call(inv, 's3', `GetObject ${input.Key}`, () => {
            if (this.realS3) {
              // The emulator's answer, read whole, then streamed a line at a time as the fake's.
              return this.realS3
                .getObject(input)
                .then(({ body, ...rest }) => ({ ...rest, Body: lines(body) }));
            }
            const { version, from } = this.s3.getObject(input);
            const body = version.body.subarray(from);
            const size = version.body.length;
            return {
              Body: lines(body),
              ContentLength: body.length,
              // A ranged GET says which bytes of how many it returns, as S3's does.
              ...(input.Range ? { ContentRange: `bytes ${from}-${size - 1}/${size}` } : {}),
              ETag: `"${version.eTag}"`,
              ...(version.versionId ? { VersionId: version.versionId } : {}),
            };
            async function* lines(body: Uint8Array) {
              let start = 0;
              for (let i = 0; i < body.length; i++) {
                if (body[i] !== 10 && i !== body.length - 1) continue;
                // Reading takes time: the clock moves a line at a time, in the scheduler's order.
                await world.call(inv, 's3', `read ${input.Key}`, () => {
                  world.clock.time += LINE_MS;
                });
                yield body.subarray(start, i + 1);
                start = i + 1;
              }
            }
          }),
        headObject: (input) =>
          this.call(inv, 's3', `HeadObject ${input.Key}`, () => {
            if (this.realS3) return this.realS3.headObject(input);
            const version = this.s3.headObject(input);
            return {
              ETag: `"${version.eTag}"`,
              ...(version.versionId ? { VersionId: version.versionId } : {}),
            };
          }),
        putObject: (input) =>
          this.call(inv, 's3', `PutObject ${input.Key}`, () => {
            this.s3.internal.set(input.Key, String(input.Body));
            return {};
          }),
      },
      dynamodb: {
        getItem: (input) =>
          this.call(inv, 'dynamodb', `GetItem ${input.Key?.pk?.S}`, () => this.dynamo.getItem(input)),
        putItem: (input) =>
          this.call(inv, 'dynamodb', `PutItem ${input.Item?.pk?.S}`, () => this.dynamo.putItem(input)),
        updateItem: (input) =>
          this.call(inv, 'dynamodb', `UpdateItem ${input.Key?.pk?.S}`, () => this.dynamo.updateItem(input)),
        transactWriteItems: (input) =>
          this.call(
            inv,
            'dynamodb',
            `TransactWriteItems ${input.TransactItems?.map((t) => (t.Put?.Item ?? t.Update?.Key)?.pk?.S).join(' + ')}`,
            (fault) => {
              // `throttle` cancels a transaction as a concurrent one on its item does (TransactionConflict);
              // `unprocessed` loses its answer after it committed: the SDK's retry of the same request
              // (same ClientRequestToken) is what answers.
              if (fault === 'throttle') {
                this.log.push(`#${inv.id} TransactWriteItems cancelled by a concurrent transaction`);
                return this.dynamo.transactWriteItems(input, this.clock.now(), true);
              }
              const result = this.dynamo.transactWriteItems(input, this.clock.now());
              if (fault !== 'unprocessed') return result;
              const again = () => {
                this.log.push(`#${inv.id} TransactWriteItems committed, its answer lost; the SDK retries it`);
                return this.dynamo.transactWriteItems(input, this.clock.now());
              };
              return result instanceof Promise ? result.then(again) : again();
            },
          ),
        batchWriteItem: (input, options) =>
          this.call(
            inv,
            'dynamodb',
            'BatchWriteItem',
            (fault) => this.dynamo.batchWriteItem(input, fault === 'unprocessed' ? 1 : 0),
            options?.abortSignal,
          ),
      },
      sns: {
        publish: (input) =>
          this.call(inv, 'sns', 'Publish', () => {
            const json = JSON.parse(JSON.parse(String(input.Message)).sqs) as Record<string, unknown>;
            const published: Published = { json, idempotencyKey: String(json.idempotencyKey) };
            if (json.status === 'DIGEST') {
              const { id, part } = json.window as { id: string; part: number };
              const [route, start] = id.split('/');
              const window = this.dynamo.items.get(windowKey({ route: route!, start: Number(start), part }));
              published.windowWasSent = window?.sentAt !== undefined;
            }
            this.published.push(published);
            return { MessageId: `sns-${this.published.length}` };
          }),
      },
      sqs: {
        sendMessage: (input) =>
          this.call(inv, 'sqs', `SendMessage ${input.QueueUrl}`, () => {
            const queue = input.QueueUrl === 'files-dlq' ? this.filesDlq : this.ingest;
            const id = queue.send(String(input.MessageBody), this.clock.now(), input.DelaySeconds ?? 0);
            if (input.DelaySeconds) this.log.push(`#${inv.id} sends ${id} delayed ${input.DelaySeconds} s`);
            return { MessageId: id };
          }),
      },
    };
  }

  private pipelineFor(inv: Invocation): Pipeline {
    const apis = this.apis(inv);
    const continuations = new SqsContinuations(apis.sqs, 'ingest');
    const sleep = (ms: number) =>
      this.call(inv, 'sqs', 'sleep', () => {
        this.clock.time += Math.round(ms);
      });
    return new Pipeline({
      config: this.config,
      bucketName: BUCKET,
      source: new S3ObjectSource(apis.s3),
      ledger: new DynamoLedger({
        tableName: 'ledger',
        dynamodb: apis.dynamodb,
        clock: this.clock,
        sleep,
        abortAt: (deadline) => this.abortAt(deadline),
        baseDelayMs: 50,
        maxDelayMs: 2_000,
      }),
      notifier: new SnsNotifier(apis.sns, 'topic'),
      deadLetters: new SqsApiDeadLetters(apis.sqs, 'files-dlq'),
      // Direct mode's transport cannot delay: a deferral waits in its invocation, then is sent at once.
      continuations: this.direct ? { schedule: (event) => continuations.schedule(event) } : continuations,
      // As the Lambda's wiring in queue mode: closes are delayed messages on the ingest queue. A
      // pipeline per invocation: every invocation is a fresh container (its window cache empty).
      digests: new SqsDigestScheduler(apis.sqs, 'ingest'),
      clock: this.clock,
      sleep,
    });
  }

  /** S3 writes an object: its event goes to the ingest queue (`copies` times: S3 may send one twice). */
  putObject(key: string, body: string, copies = 1): S3Version {
    const version = this.s3.put(key, body);
    this.mirrorWrite(key, version);
    for (let i = 0; i < copies; i++)
      this.ingest.send(JSON.stringify(this.s3Event(key, version, 'ObjectCreated:Put')), this.clock.now());
    this.log.push(
      `put ${key} #${version.put} ${version.versionId ?? version.eTag.slice(0, 6)} seq ${version.sequencer}`,
    );
    return version;
  }

  deleteObject(key: string): void {
    const marker = this.s3.delete(key);
    if (!marker) return;
    this.mirrorWrite(key, marker);
    this.ingest.send(JSON.stringify(this.s3Event(key, marker, 'ObjectRemoved:Delete')), this.clock.now());
    this.log.push(`delete ${key} #${marker.put}`);
  }

  /** The slower tier: the write made on the emulator's bucket too, before any call is released. */
  private mirrorWrite(key: string, version: S3Version): void {
    const real = this.realS3;
    if (!real) return;
    this.s3Writes = this.s3Writes.then(() => real.write(key, version));
    this.inFlight.track(this.s3Writes);
  }

  s3Event(key: string, version: S3Version, eventName: string): Record<string, unknown> {
    const object: Record<string, unknown> = { key: encodeS3Key(key), sequencer: version.sequencer };
    if (!version.deleteMarker) {
      object.size = version.body.length;
      object.eTag = version.eTag;
    }
    if (version.versionId) object.versionId = version.versionId;
    return {
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          awsRegion: 'us-east-1',
          eventTime: new Date(this.clock.now()).toISOString(),
          eventName,
          s3: { s3SchemaVersion: '1.0', configurationId: 'sim', bucket: { name: BUCKET }, object },
        },
      ],
    };
  }

  /** The event source mapping: receives one message and runs an invocation for it (batch size 1). */
  deliver(pick: number): boolean {
    const message = this.ingest.receive(this.clock.now(), pick);
    if (!message) return false;
    this.invocations += 1;
    const inv: Invocation = { id: this.invocations, deadline: this.clock.now() + TIMEOUT_MS, dead: false };
    this.live.add(inv);
    const [inbound] = normaliseEvent({
      Records: [{ messageId: message.id, body: message.body, eventSource: 'aws:sqs' }],
    });
    this.log.push(`#${inv.id} receives ${message.id} (receive ${message.receives})`);
    const pipeline = this.pipelineFor(inv);
    const run: Promise<void> = pipeline
      .handleMessage(inbound!, { deadline: inv.deadline })
      .then(
        (outcomes) => {
          if (inv.dead) return;
          this.log.push(`#${inv.id} done: ${outcomes.map((o) => o.status).join(',') || 'nothing'}`);
          this.deferrals += outcomes.filter((o) => o.status === 'deferred').length;
          this.ingest.delete(message.id, message.receipt);
        },
        (error: unknown) => {
          this.log.push(`#${inv.id} failed: ${(error as Error)?.message?.slice(0, 120)}`);
          if (!inv.dead) this.onFailed?.(inv.id, inbound!, error);
        },
      )
      .finally(() => {
        this.running.delete(run);
        this.live.delete(inv);
      });
    this.running.add(run);
    return true;
  }
}
