import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { EventlineConfig } from '@eventline/config';
import type { Outcome } from '@eventline/core';
import { normaliseEvent, type ObjectEvent } from '@eventline/core';
import type { StoredDeadLetter } from './dead-letters.ts';
import { isLoopbackName } from './loopback.ts';
import type { StackQueues } from './queues.ts';

/** The one-line messages the stack prints (banner, one line per file) and the event helpers they use. */

/** What the banner shows of a started stack. */
export interface BannerView {
  url: string;
  config: EventlineConfig;
  topicArn: string;
  dataDir: string;
  queues: StackQueues;
  env: NodeJS.ProcessEnv;
  /** The config file given with --config: a README.md beside it (a recipe's) is named in "try it". */
  configFile?: string;
}

export function stackBanner(view: BannerView): string {
  const { url, config: c } = view;
  return [
    '',
    '  eventline local stack',
    `  endpoint     ${url}   (S3, DynamoDB, SNS, SQS and Lambda Invoke APIs${isLoopbackName(new URL(url).hostname.replace(/^\[|\]$/g, '')) ? '; loopback only' : '; SigV4 required'})`,
    `  console      ${url}/_console`,
    `  bucket       ${c.bucket.name}`,
    `  routes       ${c.routes.map((r) => `${r.prefix}*${r.suffix} (${r.format})`).join(', ')}`,
    `  table        ${c.table.name}`,
    `  topic        ${view.topicArn}`,
    `  data         ${view.dataDir}`,
    `  dead letters ${view.queues.deadLetters.url}   (the function's DLQ_URL; S3 events: ${view.queues.eventDeadLetters.name})`,
    ...(view.env.DLQ_URL && view.env.DLQ_URL !== view.queues.deadLetters.url
      ? [`               DLQ_URL=${view.env.DLQ_URL} is the deployed function's queue; not used locally`]
      : []),
    ...(view.queues.ingest ? [`  ingest queue ${view.queues.ingest.url}`] : []),
    `  credentials  ${c.local.accessKeyId} / ${c.local.secretAccessKey}   region ${c.local.region}`,
    '',
    '  try it:',
    `    export AWS_ENDPOINT_URL=${url} AWS_ACCESS_KEY_ID=${c.local.accessKeyId} AWS_SECRET_ACCESS_KEY=${c.local.secretAccessKey} AWS_REGION=${c.local.region} AWS_DEFAULT_REGION=${c.local.region}`,
    ...recipeReadme(view.configFile),
    ...tryIt(c),
    '    npx eventline records   |   npx eventline notifications   |   npx eventline dlq list',
    '',
  ].join('\n');
}

/** A recipe's config (examples/<recipe>/eventline.config.ts) comes with a README whose sample data fits its routes. */
function recipeReadme(configFile: string | undefined): string[] {
  if (!configFile) return [];
  const readme = join(dirname(configFile), 'README.md');
  if (!existsSync(readme)) return [];
  return [
    `    # sample files this config's routes read, and what to look at: ${relative(process.cwd(), readme) || readme}`,
  ];
}

/**
 * The banner's sample upload: a JSON order into the first route that reads one JSON document per
 * line or file, and its record by id where that route keys records by `id` as it is; a route of
 * another format (parquet, csv, …) gets where to put a file of its own format, not JSON named so.
 */
function tryIt(c: EventlineConfig): string[] {
  const route = c.routes.find((r) => r.format === 'json' || r.format === 'ndjson');
  if (!route) {
    const first = c.routes[0];
    return first
      ? [
          // An `object` route takes any file: "<any file>", not "<a object file>".
          `    aws s3 cp <${first.format === 'object' ? 'any' : `a ${first.format}`} file> s3://${c.bucket.name}/${first.prefix}<name>${first.suffix}`,
          '    npx eventline files',
        ]
      : [];
  }
  // A schema decides what a record must hold: a made-up order would be rejected by it.
  if (route.schema) {
    return [
      `    aws s3 cp <a ${route.format} file route "${route.id}"'s schema accepts> s3://${c.bucket.name}/${route.prefix}<name>${route.suffix}`,
      '    npx eventline files',
    ];
  }
  // The order carries the field the route keys by, so its record can be looked up.
  const field =
    typeof route.key === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(route.key) ? route.key : 'id';
  return [
    `    echo '{"${field}":"order-1","total":42.50}' > order.json`,
    `    aws s3 cp order.json s3://${c.bucket.name}/${route.prefix}order${route.suffix}`,
    ...(route.key === field && !route.transform
      ? [`    aws dynamodb get-item --table-name ${c.table.name} --key '{"pk":{"S":"order-1"}}'`]
      : []),
  ];
}

export function keyOf(event: Record<string, unknown>): string {
  const [message] = normaliseEvent(event);
  return message?.objects[0]?.key ?? '(unknown)';
}

export function sizeOf(event: Record<string, unknown>): number | undefined {
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

export const clock = () => new Date().toISOString().slice(11, 23);

/**
 * One line for a file's outcome. `notifyOf` gives a route's notify policy, so that a file a digest
 * route will summarise says so rather than that the route sends nothing.
 */
export function describeOutcome(outcome: Outcome, notifyOf?: (route: string) => unknown): string {
  const time = outcome.durationMs !== undefined ? ` (${outcome.durationMs} ms)` : '';
  const records = outcome.counts
    ? `${outcome.counts.written} record${outcome.counts.written === 1 ? '' : 's'}${outcome.counts.rejected ? `, ${outcome.counts.rejected} rejected` : ''}`
    : '';
  const step = outcome.notification?.status;
  const notified =
    step === 'SENT'
      ? 'notification sent'
      : step === 'NOT_NEEDED'
        ? digestLine(outcome.route ? notifyOf?.(outcome.route) : undefined)
        : 'notification pending';
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
    case 'deferred':
      return `${clock()} … ${outcome.key} → an older version holds it; this one waits for its lease`;
    default:
      return `${clock()} · ${outcome.key} → ${outcome.status}`;
  }
}

/** What a file whose notification is not needed says: in the route's digest, or none at all. */
function digestLine(policy: unknown): string {
  const every = (policy as { digest?: { everySeconds?: unknown } } | undefined)?.digest?.everySeconds;
  return typeof every === 'number'
    ? `in the route's digest (one summary every ${every} s)`
    : "no notification (the route's notify policy)";
}
