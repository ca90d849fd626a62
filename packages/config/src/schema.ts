import * as z from 'zod';
import { attemptsProblem, eventDeliveries } from './attempts.ts';
import { jsonArrayOptions, logOptions } from './log-options.ts';
import { bucketNameProblem, queueNameProblem, tableNameProblem, topicNameProblem } from './names.ts';
import { internalPrefixProblem, routeOverlapProblem } from './route-checks.ts';

/**
 * The one configuration of eventline. The same object drives the runtime (routes, formats, keys,
 * schema), the local stack and the CDK app (filters, names, subscriptions, concurrency), so that
 * they cannot drift. Every field is validated once at start; an error names the setting.
 */

export const FORMATS = [
  'json',
  'json-array',
  'ndjson',
  'csv',
  'cloudtrail',
  'log',
  'object',
  'parquet',
] as const;
export type Format = (typeof FORMATS)[number];

/** A record as handed to a key function: field values as parsed (numbers as exact decimal strings). */
export type RecordFields = Readonly<Record<string, unknown>>;
export type KeyFunction = (record: RecordFields, context: { key: string; position: number }) => string;

/** What a transform hands back: one record, several, or none (`null`/`undefined`: the record is dropped). */
export type TransformResult =
  | Record<string, unknown>
  | ReadonlyArray<Record<string, unknown>>
  | null
  | undefined;
/**
 * A route's `transform`: runs on each parsed record before its key, schema and item are made
 * (normalize, derive, drop, enrich). Numbers arrive as LosslessNumber (exact text by `String(n)`,
 * a JS number by `Number(n)`); the result may hold plain numbers, strings, booleans, objects, lists.
 * A throw rejects that record with its line and the message. It may be async.
 */
export type TransformFunction = (
  record: Record<string, unknown>,
  context: { bucket: string; key: string; line?: number; index?: number },
) => TransformResult | Promise<TransformResult>;

/** Anything with zod's `safeParse` (a zod schema); kept structural so configs need not share our zod copy. */
export interface RecordSchema {
  safeParse(value: unknown): {
    success: boolean;
    error?: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> };
  };
}

/** A string that AWS's naming rule (`problem`) accepts; the issue says what was expected and what was given. */
const awsName = (problem: (name: string) => string | undefined) =>
  z.string().superRefine((name, ctx) => {
    const message = problem(name);
    if (message) ctx.addIssue({ code: 'custom', message });
  });

const isFunction = (v: unknown): v is KeyFunction => typeof v === 'function';
const isSchema = (v: unknown): v is RecordSchema =>
  typeof v === 'object' && v !== null && typeof (v as { safeParse?: unknown }).safeParse === 'function';

const csvOptions = z
  .object({
    delimiter: z.string().min(1).max(4).default(','),
    quote: z.string().length(1).default('"'),
    /** Column types; columns not named stay strings. `number` keeps the exact decimal text. */
    types: z.record(z.string(), z.enum(['string', 'number', 'boolean', 'json'])).default({}),
  })
  .strict();

/** A route's digest: how long a window stays open at most, how many files close it early. */
const digestPolicy = z
  .object({
    /** Seconds from a window's start to its close: 1 to 900 (SQS DelaySeconds is at most 900). */
    everySeconds: z
      .number()
      .int()
      .min(1)
      .max(900, { error: 'at most 900: a window is closed by an SQS message delayed at most 15 minutes' }),
    /** Files that close a window before its time (the next outcome after it fills starts another). */
    maxFiles: z.number().int().min(1).max(100_000).default(10_000),
    /** Also publish each failed file's notification at once (for on-call); it still counts in the digest. */
    failuresImmediately: z.boolean().default(false),
  })
  .strict();

export const routeSchema = z
  .object({
    /** Stable id, used as the S3 notification configuration id and in metrics. */
    id: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "_" or "-", at most 64')
      .default('default'),
    prefix: z.string().default('incoming/'),
    suffix: z.string().default('.json'),
    format: z.enum(FORMATS).default('json'),
    /** gzip: `auto` detects it by gzip's magic bytes (a `.gz` key holding plain text is read as text). */
    compression: z.enum(['auto', 'gzip', 'none']).default('auto'),
    /**
     * How a record's ledger key is made: a field name (default `id`), a template of fields such as
     * `${deviceId}#${ts}`, or a function. A record without one gets the object key (single-object
     * files, as the seed does) or `<object key>#<line>` (multi-record files).
     */
    key: z.union([z.string().min(1), z.custom<KeyFunction>(isFunction, 'a function')]).default('id'),
    schema: z.custom<RecordSchema>(isSchema, 'a zod schema (an object with safeParse)').optional(),
    /** A function from a parsed record to a record, several or none; the schema checks its result. */
    transform: z.custom<TransformFunction>((v) => typeof v === 'function', 'a function').optional(),
    /** What an invalid record does to its file: `continue` quarantines it, `fail` fails the file. */
    onInvalid: z.enum(['continue', 'fail']).default('continue'),
    /**
     * Which outcomes of this route's files publish a notification: `each` (every file, the default),
     * `failures` (failed files only), `none`, or `{ digest: { everySeconds, maxFiles } }`: one summary
     * per window of at most `everySeconds` (≤ 900: SQS's longest delay closes it) or `maxFiles` files,
     * each file counted in exactly one (docs/protocol.md, I13); `failuresImmediately` also publishes
     * each failure at once. The ledger records every outcome either way.
     */
    notify: z
      .union([z.enum(['each', 'failures', 'none']), z.object({ digest: digestPolicy }).strict()], {
        error: "'each', 'failures', 'none' or { digest: { everySeconds, maxFiles } }",
      })
      .default('each'),
    csv: csvOptions.default({ delimiter: ',', quote: '"', types: {} }),
    /** `log`: which delimited log (AWS presets or a generic delimiter/quote/fields); see log-options.ts. */
    log: logOptions.default({ preset: 'generic', types: {} }),
    /** `json-array`: where the array is in the document (`cloudtrail` reads `Records`). */
    jsonArray: jsonArrayOptions.default({ recordsPath: '' }),
    /**
     * Files larger than this (after decompression) are rejected as a permanent failure. Default:
     * 10 MiB for `json` (read whole), 5 TiB (S3's largest object) for the streamed formats.
     */
    maxFileBytes: z.number().int().positive().optional(),
  })
  .strict()
  .superRefine((route, ctx) => {
    if (route.format === 'log' && route.log.preset === 'generic' && !route.log.fields && !route.log.header) {
      ctx.addIssue({
        code: 'custom',
        path: ['log', 'fields'],
        message: 'the generic log preset needs its field names (fields) or a header line (header: true)',
      });
    }
  });

export type Route = z.output<typeof routeSchema>;
export type RouteInput = z.input<typeof routeSchema>;

const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

const subscription = z
  .object({
    protocol: z.enum(['email', 'email-json', 'http', 'https']),
    endpoint: z.string().min(3),
  })
  .strict();

const SQS_QUEUE_ARN = /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$/;
const LAMBDA_FUNCTION_ARN =
  /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$/;
const E164 = /^\+[1-9]\d{1,14}$/;

/** A filter policy's leaves are arrays of conditions; an object nests (MessageBody scope) or is one operator. */
function filterPolicyProblem(policy: Record<string, unknown>, at: string[] = []): string | undefined {
  const entries = Object.entries(policy);
  if (entries.length === 0) return `${at.length ? at.join('.') : 'the policy'} is empty`;
  for (const [key, value] of entries) {
    const path = [...at, key];
    if (Array.isArray(value)) {
      if (value.length === 0) return `${path.join('.')} lists no condition`;
      continue;
    }
    if (value !== null && typeof value === 'object') {
      const nested = filterPolicyProblem(value as Record<string, unknown>, path);
      if (nested) return nested;
      continue;
    }
    return `${path.join('.')} must be an array of conditions, e.g. ["orders"] or [{ "prefix": "iot-" }]`;
  }
  return undefined;
}

/**
 * A subscriber of the per-file notifications: e-mail, http(s), an SQS queue (`endpoint`: its ARN, or
 * `queue`: the name of a queue the stack creates), a Lambda function (its ARN) or a phone (`sms`, E.164).
 * `filterPolicy` (SNS's filter-policy language: exact values, prefix, anything-but, numeric, exists)
 * picks which notifications it receives, on the message attributes (status, route, bucket, records,
 * idempotencyKey, and contentType for an `object` route's processed file) or with `filterPolicyScope: 'MessageBody'` on the JSON body. `rawMessageDelivery`
 * (sqs, http, https) sends the JSON notification alone, without SNS's envelope.
 */
const topicSubscription = z
  .object({
    protocol: z.enum(['email', 'email-json', 'http', 'https', 'sqs', 'lambda', 'sms']),
    endpoint: z.string().min(3).optional(),
    /** sqs only: a queue the stack creates (locally and on AWS), with the queue policy SNS needs. */
    queue: awsName(queueNameProblem).optional(),
    filterPolicy: z.record(z.string(), z.unknown()).optional(),
    filterPolicyScope: z.enum(['MessageAttributes', 'MessageBody']).optional(),
    rawMessageDelivery: z.boolean().optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const problem = (path: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message });
    if (s.protocol === 'sqs') {
      if ((s.endpoint === undefined) === (s.queue === undefined))
        problem(
          'endpoint',
          'an sqs subscription names either endpoint (a queue ARN) or queue (a queue the stack creates), one of them',
        );
      else if (s.endpoint !== undefined && !SQS_QUEUE_ARN.test(s.endpoint))
        problem('endpoint', 'an SQS queue ARN (arn:aws:sqs:<region>:<account>:<name>)');
    } else {
      if (s.queue !== undefined) problem('queue', `queue is for sqs subscriptions, not ${s.protocol}`);
      if (s.endpoint === undefined) problem('endpoint', `a ${s.protocol} subscription needs an endpoint`);
      else if (s.protocol === 'lambda' && !LAMBDA_FUNCTION_ARN.test(s.endpoint))
        problem('endpoint', 'a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>)');
      else if (s.protocol === 'sms' && !E164.test(s.endpoint))
        problem(
          'endpoint',
          'a phone number in E.164 form: +, country code, number, no spaces (e.g. +14155550100)',
        );
      else if (
        (s.protocol === 'http' || s.protocol === 'https') &&
        !s.endpoint.startsWith(`${s.protocol}://`)
      )
        problem('endpoint', `a URL starting with ${s.protocol}://`);
    }
    if (s.rawMessageDelivery !== undefined && !['sqs', 'http', 'https'].includes(s.protocol))
      problem(
        'rawMessageDelivery',
        `SNS offers raw message delivery to sqs, http and https only, not ${s.protocol}`,
      );
    if (s.filterPolicyScope !== undefined && s.filterPolicy === undefined)
      problem(
        'filterPolicyScope',
        'filterPolicyScope without a filterPolicy: add the policy or remove the scope',
      );
    if (s.filterPolicy !== undefined) {
      const found = filterPolicyProblem(s.filterPolicy);
      if (found) problem('filterPolicy', found);
      else if (JSON.stringify(s.filterPolicy).length > 256 * 1024)
        problem('filterPolicy', 'longer than the 256 KB SNS allows');
    }
  });

export type TopicSubscription = z.output<typeof topicSubscription>;

export const configSchema = z
  .object({
    /** Name prefix of the CloudFormation stack and of local resources. */
    name: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,63}$/, 'a letter, then letters, digits or "-"')
      .default('eventline'),
    bucket: z
      .object({
        /** Local bucket name; on AWS a name is generated unless `deployName` is set. */
        name: awsName(bucketNameProblem).default('eventline-local'),
        deployName: awsName(bucketNameProblem).optional(),
        removalPolicy: z.enum(['retain', 'destroy']).default('retain'),
        noncurrentVersionDays: z.number().int().positive().default(30),
      })
      .strict()
      .default({ name: 'eventline-local', removalPolicy: 'retain', noncurrentVersionDays: 30 }),
    table: z
      .object({
        name: awsName(tableNameProblem).default('events'),
        /** Table name on AWS; CloudFormation generates one when unset (the function reads TABLE_NAME). */
        deployName: awsName(tableNameProblem).optional(),
        deletionProtection: z.boolean().default(true),
        /** What `cdk destroy` does to the table on AWS: keep it (default) or delete it. */
        removalPolicy: z.enum(['retain', 'destroy']).default('retain'),
      })
      .strict()
      .default({ name: 'events', deletionProtection: true, removalPolicy: 'retain' }),
    topic: z
      .object({
        name: awsName(topicNameProblem).default('events-notify'),
        /** Topic name on AWS; CloudFormation generates one when unset (the function reads TOPIC_ARN). */
        deployName: awsName(topicNameProblem).optional(),
        subscriptions: z.array(topicSubscription).default([]),
      })
      .strict()
      .default({ name: 'events-notify', subscriptions: [] }),
    /**
     * On AWS: who receives the CloudWatch alarms (errors, failed files, dead letters, backlog, lost
     * events, failed deliveries). A deployment needs at least one recipient (`subscriptions` or
     * `topicArns`), or `notify: 'nowhere'` to say on purpose that alarms reach nobody.
     */
    alarms: z
      .object({
        /** `'nowhere'`: deploy without any recipient, on purpose (the alarms still show on the dashboard). */
        notify: z.enum(['subscribers', 'nowhere']).default('subscribers'),
        /** E-mail and http(s) endpoints, subscribed to the stack's alarm topic. */
        subscriptions: z.array(subscription).default([]),
        /** Existing SNS topics (e.g. your on-call tool's) that receive every alarm too. */
        topicArns: z
          .array(z.string().regex(SNS_TOPIC_ARN, 'an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)'))
          .default([]),
      })
      .strict()
      .superRefine((alarms, ctx) => {
        if (alarms.notify !== 'nowhere') return;
        for (const key of ['subscriptions', 'topicArns'] as const) {
          if (alarms[key].length > 0) {
            ctx.addIssue({
              code: 'custom',
              path: [key],
              message: `notify is 'nowhere' but ${key} lists recipients: remove notify or the recipients`,
            });
          }
        }
      })
      .default({ notify: 'subscribers', subscriptions: [], topicArns: [] }),
    /** The ledger's retention. */
    ledger: z
      .object({
        /**
         * Record and outcome items carry an `expiresAt` attribute (epoch seconds, this many days after
         * they were last written) and DynamoDB's TTL deletes them after it. Unset: kept forever.
         */
        ttlDays: z.number().int().min(1).max(36_500).optional(),
      })
      .strict()
      .default({}),
    /** The CloudFormation stack on AWS. */
    stack: z
      .object({
        /** CloudFormation refuses to delete the stack until this is turned off (and deployed). */
        terminationProtection: z.boolean().default(true),
        /** Tags on the stack and every resource in it that supports tags. */
        tags: z
          .record(
            z
              .string()
              .min(1)
              .max(128)
              .regex(/^(?!aws:)[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u, 'a tag key (not starting with "aws:")'),
            z
              .string()
              .max(256)
              .regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u, 'a tag value'),
          )
          .default({}),
      })
      .strict()
      .default({ terminationProtection: true, tags: {} }),
    routes: z
      .array(routeSchema)
      .min(1)
      .default([routeSchema.parse({})]),
    /** Where eventline itself writes (oversized payloads, rejects). Must not be under a routed prefix. */
    internalPrefix: z.string().min(1).default('_eventline/'),
    trigger: z
      .object({
        mode: z.enum(['queue', 'direct']).default('queue'),
        batchSize: z.number().int().min(1).max(10_000).default(10),
        maxBatchingWindowSeconds: z.number().int().min(0).max(300).default(0),
        maxConcurrency: z.number().int().min(2).max(1000).default(5),
        /** Deliveries of an S3 event before SQS moves it to the event dead-letter queue (queue mode). */
        maxReceiveCount: z.number().int().min(1).max(1000).default(5),
        retryAttempts: z.number().int().min(0).max(2).default(2),
        maxEventAgeSeconds: z.number().int().min(60).max(21_600).default(21_600),
      })
      .strict()
      .default({
        mode: 'queue',
        batchSize: 10,
        maxBatchingWindowSeconds: 0,
        maxConcurrency: 5,
        maxReceiveCount: 5,
        retryAttempts: 2,
        maxEventAgeSeconds: 21_600,
      }),
    function: z
      .object({
        memoryMb: z.number().int().min(128).max(10_240).default(512),
        timeoutSeconds: z.number().int().min(1).max(900).default(60),
        /**
         * Concurrency reserved for the function (Lambda's ReservedConcurrentExecutions). Unset by
         * default: a reservation must leave the account's minimum unreserved concurrency free (100,
         * or all of a new account's quota of 10), so a default would fail the first deploy there. In
         * queue mode `trigger.maxConcurrency` already bounds the function; in direct mode unset means
         * the function may use the account's unreserved concurrency (`eventline doctor` says what an
         * account allows).
         */
        reservedConcurrency: z.number().int().min(1).max(1000).optional(),
        logRetentionDays: z.number().int().positive().default(30),
        logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
      })
      .strict()
      .default({
        memoryMb: 512,
        timeoutSeconds: 60,
        logRetentionDays: 30,
        logLevel: 'INFO',
      }),
    files: z
      .object({
        /**
         * Attempts a file gets (crashes and transient failures count; a continuation after a
         * timeout does not) before it ends FAILED, dead-lettered, with a failure notification.
         * Must be below the deliveries of an event (queue mode: trigger.maxReceiveCount; direct
         * mode: trigger.retryAttempts + 1): an attempt that crashes or times out is recorded FAILED
         * by the delivery after it (issue 22, hole 10). Default: 3, or one less than the deliveries.
         */
        maxAttempts: z.number().int().min(1).max(100).optional(),
      })
      .strict()
      .default({}),
    writes: z
      .object({
        /** BatchWriteItem requests in flight per file. */
        parallelism: z.number().int().min(1).max(64).default(4),
        /** How long UnprocessedItems are retried before the file fails as transient. */
        deadlineMs: z.number().int().positive().default(30_000),
      })
      .strict()
      .default({ parallelism: 4, deadlineMs: 30_000 }),
    local: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65_535).default(4566),
        dataDir: z.string().default('.eventline'),
        region: z.string().default('us-east-1'),
        accessKeyId: z.string().default('test'),
        secretAccessKey: z.string().default('test'),
        /** Verify SigV4 signatures against the key pair above (otherwise any credentials are accepted). */
        enforceAuth: z.boolean().default(false),
        smtp: z
          .object({
            host: z.string(),
            port: z.number().int(),
            secure: z.boolean().default(false),
            from: z.string().default('eventline@localhost'),
          })
          .strict()
          .optional(),
        /**
         * Where the local SNS invokes `lambda` subscribers: a Lambda Invoke API (e.g. `sam local
         * start-lambda`'s http://127.0.0.1:3001). Default: the stack's own edge, which serves only
         * eventline's function, so deliveries to another function fail there, recorded with why.
         */
        lambdaEndpoint: z.url({ protocol: /^https?$/ }).optional(),
      })
      .strict()
      .default({
        host: '127.0.0.1',
        port: 4566,
        dataDir: '.eventline',
        region: 'us-east-1',
        accessKeyId: 'test',
        secretAccessKey: 'test',
        enforceAuth: false,
      }),
  })
  .strict()
  .superRefine((config, ctx) => {
    const ids = new Set<string>();
    config.routes.forEach((route, i) => {
      if (ids.has(route.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['routes', i, 'id'],
          message: `duplicate route id "${route.id}"`,
        });
      }
      ids.add(route.id);
      const internal = internalPrefixProblem(route, config.internalPrefix);
      if (internal) ctx.addIssue({ code: 'custom', path: ['routes', i, 'prefix'], message: internal });
      if (typeof route.notify === 'object' && config.trigger.mode !== 'queue') {
        ctx.addIssue({
          code: 'custom',
          path: ['routes', i, 'notify'],
          message: `a digest is closed by a delayed message on the ingest queue: it needs trigger.mode 'queue', not '${config.trigger.mode}'`,
        });
      }
    });
    config.routes.forEach((a, i) => {
      config.routes.forEach((b, j) => {
        if (j <= i) return;
        const overlap = routeOverlapProblem(a, b);
        if (overlap) ctx.addIssue({ code: 'custom', path: ['routes', j], message: overlap });
      });
    });
    const problem = attemptsProblem(config.trigger, config.files.maxAttempts);
    if (problem) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
  })
  .transform((config) => ({
    ...config,
    files: {
      ...config.files,
      maxAttempts: config.files.maxAttempts ?? Math.min(3, eventDeliveries(config.trigger) - 1),
    },
  }));

export type EventlineConfig = z.output<typeof configSchema>;
export type EventlineConfigInput = z.input<typeof configSchema>;
