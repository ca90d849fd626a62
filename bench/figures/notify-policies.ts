import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { parseConfig } from '@eventline/config';
import { LocalStack } from '@eventline/local';
import type { PublishedMessage } from '@eventline/sns-emulator';
import type { Progress } from '../lib/progress.ts';
import { type CostFigure, PRICES } from './cost.ts';

/**
 * Figure 6, notifications: small IoT files (one JSON reading each, one in 50 unreadable, so it
 * fails) through the local stack on four routes, one per notify policy (`each`, `failures`,
 * `none`, and a 60 s `digest`), with one SQS subscriber on the topic. It counts what was published
 * per route, checks from the ledger that every file has exactly one outcome and that its
 * notification step says what the policy asks (SENT or NOT_NEEDED), and, for the digest, that every
 * file names a window, the windows' counts add up to the files (each counted once), every window was
 * published once and at most one per minute of outcomes. It prices the notifications per million
 * files: SNS Publish plus one SQS delivery (free to SQS subscribers on AWS; the subscriber's SQS
 * requests are billed); a digest adds its transactional outcome write (+3 WRU a file) and the
 * close messages.
 */

export const POLICIES = ['each', 'failures', 'none', 'digest'] as const;
/** The digest measured: one summary a minute per route at most (the smoke profile: 5 s, to stay short). */
const DIGEST_SECONDS = 60;
export type Policy = (typeof POLICIES)[number];
const FAIL_EVERY = 50;

export interface PolicyResult {
  policy: Policy;
  files: number;
  failed: number;
  notifications: number;
  notificationsPerThousandFiles: number;
  /** Every file had one outcome and the notification step the policy asks for; published = expected. */
  countedOnce: boolean;
  problems: string[];
  /** SNS Publish + the subscriber's SQS receive/delete (batches of 10), per million files. */
  notifyUsdPerMillionFiles: number;
  /** Figure 6's eventline total with this policy's notifications instead of `each`'s (when figure 6 ran). */
  usdPerMillionFiles?: number;
}

export interface NotifyPoliciesResult {
  filesPerPolicy: number;
  /** The digest route's window. */
  digestSeconds: number;
  failEvery: number;
  policies: PolicyResult[];
}

const usd = (v: number) => Math.round(v * 10_000) / 10_000;

export async function runNotifyPolicies(options: {
  filesPerPolicy: number;
  putConcurrency: number;
  progress: Progress;
  digestSeconds?: number;
}): Promise<NotifyPoliciesResult> {
  const dir = await mkdtemp(join(tmpdir(), 'eventline-bench-notify-'));
  const config = parseConfig({
    routes: POLICIES.map((policy) => ({
      id: `iot-${policy}`,
      prefix: `iot-${policy}/`,
      suffix: '.json',
      format: 'json' as const,
      key: 'deviceId',
      notify:
        policy === 'digest'
          ? { digest: { everySeconds: options.digestSeconds ?? DIGEST_SECONDS, maxFiles: 100_000 } }
          : policy,
    })),
    topic: { subscriptions: [{ protocol: 'sqs' as const, queue: 'bench-subscriber' }] },
    local: { port: 0 },
  });
  const stack = await LocalStack.start({
    config,
    dataDir: join(dir, 'data'),
    port: 0,
    functionRuntime: 'in-process',
    print: () => {},
  });
  // Every publish, as it happens (the emulator's history keeps only the newest 1,000).
  const perRoute = new Map<string, Set<string>>();
  stack.sns.events.on('published', (message: PublishedMessage) => {
    const route = message.messageAttributes?.route?.StringValue ?? '';
    const key = message.messageAttributes?.idempotencyKey?.StringValue ?? message.messageId;
    perRoute.set(route, (perRoute.get(route) ?? new Set()).add(key));
  });
  try {
    const keys: Array<{ policy: Policy; key: string; fails: boolean }> = [];
    for (const policy of POLICIES) {
      for (let i = 0; i < options.filesPerPolicy; i++) {
        keys.push({
          policy,
          key: `iot-${policy}/reading-${i}.json`,
          fails: i % FAIL_EVERY === FAIL_EVERY - 1,
        });
      }
    }
    let next = 0;
    let put = 0;
    const worker = async () => {
      while (next < keys.length) {
        const file = keys[next++];
        if (!file) break;
        const body = file.fails
          ? '{"deviceId":'
          : JSON.stringify({ deviceId: `${file.policy}-${put}`, t: Date.now(), celsius: 21.5 });
        await stack.clients.s3.send(
          new PutObjectCommand({ Bucket: config.bucket.name, Key: file.key, Body: body }),
        );
        put++;
        if (put % 100 === 0) options.progress.update('files put', put, keys.length);
      }
    };
    await Promise.all(Array.from({ length: options.putConcurrency }, worker));

    const states = new Map<string, { status: string; notification: string; digest?: string }>();
    const deadline = Date.now() + 10 * 60_000;
    for (const file of keys) {
      for (;;) {
        const state = await stack.ledger.getFile(config.bucket.name, file.key);
        if (state && state.status !== 'PROCESSING' && state.notification.status !== 'PENDING') {
          states.set(file.key, {
            status: state.status,
            notification: state.notification.status,
            ...(state.digest ? { digest: state.digest } : {}),
          });
          break;
        }
        if (Date.now() > deadline) throw new Error(`no outcome for ${file.key} after 10 minutes`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      if (states.size % 100 === 0) options.progress.update('outcomes read', states.size, keys.length);
    }
    // The digest windows: closed within a minute of their slot's end; read once every one is sent.
    const windows = await digestWindows(stack, config.table.name, deadline);
    const publishUsd = PRICES.snsPublishPerMillion;
    // The subscriber's queue: one SendMessage is free from SNS; ReceiveMessage + DeleteMessage per batch of 10.
    const subscriberUsd = (2 / 10) * PRICES.sqsRequestPerMillion;
    const policies = POLICIES.map((policy): PolicyResult => {
      const files = keys.filter((k) => k.policy === policy);
      const problems: string[] = [];
      let expected = 0;
      for (const file of files) {
        const state = states.get(file.key);
        const wantStatus = file.fails ? 'FAILED' : 'PROCESSED';
        const notifies = policy === 'each' || (policy === 'failures' && file.fails);
        // A digest route sends no notification of its own per file (its windows are checked below).
        if (notifies) expected++;
        if (state?.status !== wantStatus)
          problems.push(`${file.key}: ${state?.status} (expected ${wantStatus})`);
        if (state?.notification !== (notifies ? 'SENT' : 'NOT_NEEDED'))
          problems.push(`${file.key}: notification ${state?.notification}`);
      }
      const notifications = perRoute.get(`iot-${policy}`)?.size ?? 0;
      let digestUsd = 0;
      if (policy === 'digest') {
        expected = checkDigest(files, states, windows, problems);
        // Each file's outcome write becomes a transaction of two items (+3 WRU: 2 + 2 instead of 1);
        // each window costs one close SendMessage per container plus its receive and delete.
        const closes = windows.length * 3 * PRICES.sqsRequestPerMillion;
        digestUsd = 3 * PRICES.dynamoWriteRequestUnitPerMillion + closes / files.length;
      }
      if (notifications !== expected) problems.push(`published ${notifications}, expected ${expected}`);
      const perFile = notifications / files.length;
      return {
        policy,
        files: files.length,
        failed: files.filter((f) => f.fails).length,
        notifications,
        notificationsPerThousandFiles: Math.round(perFile * 1000 * 10) / 10,
        countedOnce: problems.length === 0,
        problems: problems.slice(0, 10),
        notifyUsdPerMillionFiles: usd(perFile * (publishUsd + subscriberUsd) + digestUsd),
      };
    });
    return {
      filesPerPolicy: options.filesPerPolicy,
      digestSeconds: options.digestSeconds ?? DIGEST_SECONDS,
      failEvery: FAIL_EVERY,
      policies,
    };
  } finally {
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Figure 6's eventline total with each policy: the measured cost less its SNS lines (Publish and one
 * HTTP delivery per published file, as `each` sends), plus what the policy publishes.
 */
export function withPolicyCosts(result: NotifyPoliciesResult, cost: CostFigure | undefined): void {
  if (!cost) return;
  const snsEach = cost.eventline.lines
    .filter((l) => l.item.startsWith('SNS'))
    .reduce((sum, l) => sum + l.usdPerMillion, 0);
  const perNotification = PRICES.snsPublishPerMillion + PRICES.snsHttpDeliveryPerMillion;
  for (const p of result.policies) {
    const perFile = p.notifications / p.files;
    // A digest's outcome write is a transaction of two items: 3 write units more than `each`'s.
    const ledger = p.policy === 'digest' ? 3 * PRICES.dynamoWriteRequestUnitPerMillion : 0;
    p.usdPerMillionFiles = usd(
      cost.eventline.usdPerMillionFiles - snsEach + perFile * perNotification + ledger,
    );
  }
}

interface WindowItem {
  id: string;
  files: number;
  start: number;
  part: number;
  sentAt?: string;
  messageId?: string;
}

/** Every digest window of the ledger, once all are sent (their closes come up to a minute late). */
async function digestWindows(stack: LocalStack, table: string, deadline: number): Promise<WindowItem[]> {
  for (;;) {
    const items: WindowItem[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await stack.clients.dynamodb.send(
        new ScanCommand({
          TableName: table,
          FilterExpression: '#kind = :digest',
          ExpressionAttributeNames: { '#kind': 'kind' },
          ExpressionAttributeValues: { ':digest': { S: 'digest' } },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const raw of page.Items ?? []) {
        const item = unmarshall(raw);
        items.push({
          id: `${item.route}/${item.start}/${item.part}`,
          files: Number(item.files ?? 0),
          start: Number(item.start),
          part: Number(item.part),
          ...(typeof item.sentAt === 'string' ? { sentAt: item.sentAt } : {}),
          ...(typeof item.messageId === 'string' ? { messageId: item.messageId } : {}),
        });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    if (items.length > 0 && items.every((w) => w.sentAt)) return items;
    if (Date.now() > deadline) throw new Error('digest windows not all sent after 10 minutes');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * The digest route's files each name a window, the windows' counts add up to them (each file once),
 * at most one window per minute-long slot; returns the digests that should have been published.
 */
function checkDigest(
  files: Array<{ key: string }>,
  states: Map<string, { digest?: string }>,
  windows: WindowItem[],
  problems: string[],
): number {
  const joined = new Map<string, number>();
  for (const file of files) {
    const id = states.get(file.key)?.digest;
    if (!id) problems.push(`${file.key}: in no digest window`);
    else joined.set(id, (joined.get(id) ?? 0) + 1);
  }
  const routeWindows = windows.filter((w) => w.id.startsWith('iot-digest/') && w.files > 0);
  for (const w of routeWindows) {
    if ((joined.get(w.id) ?? 0) !== w.files)
      problems.push(`window ${w.id} counts ${w.files} files, ${joined.get(w.id) ?? 0} name it`);
    if (w.part > 0) problems.push(`window ${w.id}: more than one window in its minute`);
  }
  const total = routeWindows.reduce((sum, w) => sum + w.files, 0);
  if (total !== files.length) problems.push(`the windows count ${total} files of ${files.length}`);
  return routeWindows.length;
}
