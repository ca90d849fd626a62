import type { IncomingMessage, ServerResponse } from 'node:http';
import { userInfo } from 'node:os';
import {
  DynamoDBDocumentClient,
  NumberValue,
  QueryCommand,
  ScanCommand,
  type ScanCommandInput,
  type ScanCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { fileStateOf, translate } from '@eventline/aws';
import {
  type AttentionState,
  attentionQuery,
  errorMessage,
  type FileState,
  fileKey,
  ITEM,
  type ItemKind,
  originOf,
  pageCursor,
  pageKeyOf,
  readLedgerPage,
} from '@eventline/core';
import { stringify } from 'lossless-json';
import type { FeedEntry, LogLine } from './activity.ts';
import type { AdminStack } from './admin-port.ts';
import { isLoopbackAddress } from './loopback.ts';

/**
 * The stack's own API under `/_eventline/`, used by the CLI and the console page. Reads are open
 * (the edge listens on loopback); actions (replay, backfill) are refused unless the caller is on
 * loopback too, whatever address the edge was bound to.
 */

/**
 * DynamoDB numbers hold 38 digits, more than a double: the admin API reads them as their decimal
 * text (the SDK's NumberValue) and writes that text as a JSON number, digit for digit. Readers parse
 * the body losslessly (the CLI with lossless-json, the console with JSON.parse's source text).
 */
const exactNumbers = [
  { test: (v: unknown) => v instanceof NumberValue, stringify: (v: unknown) => String(v) },
];
export const toJson = (body: unknown): string => stringify(body, null, undefined, exactNumbers) ?? 'null';

const json = (res: ServerResponse, status: number, body: unknown) => {
  // Serialised before the head is written: a body that cannot be written is a 500, not a reset.
  const text = toJson(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
};

/** A document client that unmarshalls numbers as their exact decimal text. */
const exactDocuments = new WeakMap<AdminStack, DynamoDBDocumentClient>();
function documentsOf(stack: AdminStack): DynamoDBDocumentClient {
  let documents = exactDocuments.get(stack);
  if (!documents) {
    documents = DynamoDBDocumentClient.from(stack.clients.dynamodb, {
      marshallOptions: { removeUndefinedValues: true },
      unmarshallOptions: { wrapNumbers: true },
    });
    exactDocuments.set(stack, documents);
  }
  return documents;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  const parsed: unknown = JSON.parse(text);
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
}

/** A query parameter the console API cannot use: answered 400 with this message, not 500. */
class BadQuery extends Error {}

/**
 * `budget=` (items a page may read) as a whole number from 1 to 1,000,000, or undefined for the default;
 * `cursor=` as the table key a page printed (only its `pk`: DynamoDB refuses other attributes in a start key).
 */
function pageQuery(url: URL): { budget?: number; from?: Record<string, unknown> } {
  const rawBudget = url.searchParams.get('budget');
  const budget = rawBudget === null || rawBudget === '' ? undefined : Number(rawBudget);
  if (budget !== undefined && !(Number.isInteger(budget) && budget >= 1 && budget <= 1_000_000)) {
    throw new BadQuery(
      `query parameter "budget": a whole number of items from 1 to 1000000, got "${rawBudget}"`,
    );
  }
  const cursor = url.searchParams.get('cursor');
  const key = cursor ? pageKeyOf(cursor) : undefined;
  if (cursor && !key)
    throw new BadQuery(`query parameter "cursor": not a cursor this API printed: "${cursor}"`);
  return {
    ...(budget !== undefined ? { budget } : {}),
    ...(key ? { from: { [ITEM.key]: key[ITEM.key] } } : {}),
  };
}

const limitOf = (url: URL, fallback: number, max = 1000) =>
  Math.min(max, Math.max(1, Number(url.searchParams.get('limit') ?? fallback) || fallback));

/** Scans the ledger table; a missing table is named with the setting that named it. */
async function scan(
  stack: AdminStack,
  input: Omit<ScanCommandInput, 'TableName'>,
): Promise<ScanCommandOutput> {
  const tableName = stack.names.tableName;
  try {
    return await documentsOf(stack).send(new ScanCommand({ TableName: tableName, ...input }));
  } catch (error) {
    throw translate(error, `Scan ${tableName}`, {
      kind: 'table',
      name: tableName,
      setting: stack.names.settings?.table ?? 'table.name',
    });
  }
}

/**
 * A page of ledger items of one kind, read as the CLI reads it (core's ledger-pages.ts): a Scan
 * that stops when the page is full or has read its budget of items (10,000), so a rare kind or a
 * search answers in bounded time whatever the table's size, and a cursor goes on. File items with
 * `status=FAILED|PROCESSING` come from the sparse `attention` index instead, newest first.
 */
async function scanKind(
  stack: AdminStack,
  kind: ItemKind,
  url: URL,
): Promise<{
  items: Record<string, unknown>[];
  cursor?: string;
  read: { items: number; readUnits: number };
}> {
  const limit = limitOf(url, 50);
  const search = url.searchParams.get('q') ?? '';
  const status = url.searchParams.get('status');
  if (
    kind === 'file' &&
    (status === 'FAILED' || status === 'PROCESSING') &&
    !url.searchParams.get('cursor')
  ) {
    try {
      return await attentionFiles(stack, status, limit, search);
    } catch (error) {
      // A data directory made before the index keeps a table without it: the bounded scan below.
      if (!/index/i.test(errorMessage(error))) throw error;
    }
  }
  // Items a page may read (default: core's PAGE_BUDGET, 10,000).
  const { budget, from } = pageQuery(url);
  const page = await readLedgerPage<Record<string, unknown>>((input) => scan(stack, input), {
    filter: {
      FilterExpression: search ? '#kind = :kind AND contains(#key, :q)' : '#kind = :kind',
      ExpressionAttributeNames: { '#kind': ITEM.kind, ...(search ? { '#key': ITEM.key } : {}) },
      ExpressionAttributeValues: { ':kind': kind, ...(search ? { ':q': search } : {}) },
    },
    // File items keep the key once (in pk) and a slim state: show the whole state.
    decode: (item) => (kind === 'file' ? { ...item, state: fileStateOf(item) } : item),
    ...(status ? { match: (item) => (item.state as FileState | undefined)?.status === status } : {}),
    limit,
    ...(budget ? { budget } : {}),
    ...(from ? { from } : {}),
  });
  return {
    items: page.items,
    ...(page.next ? { cursor: pageCursor(page.next) } : {}),
    read: { items: page.scanned, readUnits: page.readUnits },
  };
}

/**
 * A file's records, a bounded page at a time: no index holds records by their object (one would
 * cost every record write a write unit), so this is a Scan filtered on `origin` that stops after
 * 200 matches or its budget of items (core's PAGE_BUDGET, `budget=` to change), with a cursor to go
 * on (`/_eventline/file-records?key=&bucket=&cursor=`). A table under the budget is read whole.
 */
async function fileRecords(stack: AdminStack, bucket: string, key: string, url: URL) {
  const { budget, from } = pageQuery(url);
  const page = await readLedgerPage<Record<string, unknown>>((input) => scan(stack, input), {
    filter: {
      FilterExpression: '#origin = :origin AND #kind = :record',
      ExpressionAttributeNames: { '#origin': ITEM.origin, '#kind': ITEM.kind },
      ExpressionAttributeValues: { ':origin': originOf(bucket, key), ':record': 'record' satisfies ItemKind },
    },
    decode: (item) => item,
    limit: limitOf(url, 200, 1_000),
    ...(budget ? { budget } : {}),
    ...(from ? { from } : {}),
  });
  return {
    records: page.items,
    ...(page.next ? { recordsCursor: pageCursor(page.next) } : {}),
    recordsRead: { items: page.scanned, readUnits: page.readUnits },
  };
}

/** FAILED or retried/continued PROCESSING outcomes from the `attention` index, newest first, per route. */
async function attentionFiles(stack: AdminStack, status: AttentionState, limit: number, search: string) {
  const items: Record<string, unknown>[] = [];
  let readUnits = 0;
  for (const route of stack.config.routes) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await documentsOf(stack).send(
        new QueryCommand(
          attentionQuery(stack.names.tableName, route.id, status, {
            ...(search ? {} : { limit }),
            ...(start ? { startKey: start } : {}),
          }),
        ),
      );
      readUnits += page.ConsumedCapacity?.CapacityUnits ?? 0;
      for (const item of page.Items ?? []) {
        const state = fileStateOf(item);
        if (!search || state.key.includes(search)) items.push({ ...item, state });
      }
      start = page.LastEvaluatedKey;
    } while (start && items.length < limit);
  }
  const updated = (item: Record<string, unknown>) => (item.state as FileState).updatedAt;
  items.sort((a, b) => (updated(a) < updated(b) ? 1 : updated(a) > updated(b) ? -1 : 0));
  return { items: items.slice(0, limit), read: { items: items.length, readUnits } };
}

const osUser = () => {
  try {
    return process.env.USER || userInfo().username;
  } catch {
    return 'unknown';
  }
};

export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

export function createAdmin(stack: AdminStack, consolePage?: ConsoleHandler) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    const path = url.pathname;
    if (path.startsWith('/_console')) return consolePage ? consolePage(req, res, url) : false;
    try {
      // The edge listens before the stack has its names, queues and runtime: a request that comes
      // in that window (a console reconnecting to a restarted stack) waits for them.
      await stack.booted;
      if (req.method === 'GET') {
        switch (path) {
          case '/_health':
          case '/_eventline/health':
            json(res, 200, {
              status: 'ok',
              endpoint: stack.url,
              bucket: stack.config.bucket.name,
              table: stack.names.tableName,
              topicArn: stack.names.topicArn,
              dataDir: stack.dataDir,
              routes: stack.config.routes.map((r) => ({
                id: r.id,
                prefix: r.prefix,
                suffix: r.suffix,
                format: r.format,
              })),
            });
            return true;
          case '/_eventline/stats':
            json(res, 200, {
              counters: stack.activity.counters,
              invoker: stack.invoker.stats,
              trigger: stack.queueStats(),
              dlqDepth: stack.deadLetterDepth(),
              requests: stack.edge.counts(),
              queues: stack.sqs.metrics(),
              metrics: Object.fromEntries(stack.activity.metrics),
            });
            return true;
          case '/_eventline/runtime':
            json(res, 200, stack.runtimeStats());
            return true;
          case '/_eventline/feed':
            json(res, 200, { entries: stack.activity.feed({ limit: limitOf(url, 200, 10_000) }) });
            return true;
          case '/_eventline/files':
            json(res, 200, await scanKind(stack, 'file', url));
            return true;
          case '/_eventline/records':
            json(res, 200, await scanKind(stack, 'record', url));
            return true;
          case '/_eventline/file': {
            const key = url.searchParams.get('key');
            if (!key) {
              json(res, 400, { error: 'query parameter "key" is required' });
              return true;
            }
            const bucket = url.searchParams.get('bucket') ?? stack.config.bucket.name;
            const state = await stack.ledger.getFile(bucket, key);
            const records = await fileRecords(stack, bucket, key, url);
            const messageId = state?.notification.messageId;
            const notifications = messageId
              ? (await stack.sns.notifications({ limit: 10_000 })).filter((n) => n.messageId === messageId)
              : [];
            json(res, 200, {
              pk: fileKey(bucket, key),
              state: state ?? null,
              ...records,
              notification: notifications[0] ?? null,
              logs: stack.activity.logs(key),
              feed: stack.activity.feed({ key }),
            });
            return true;
          }
          case '/_eventline/file-records': {
            const key = url.searchParams.get('key');
            if (!key) {
              json(res, 400, { error: 'query parameter "key" is required' });
              return true;
            }
            const bucket = url.searchParams.get('bucket') ?? stack.config.bucket.name;
            json(res, 200, await fileRecords(stack, bucket, key, url));
            return true;
          }
          case '/_eventline/notifications':
            json(res, 200, {
              notifications: await stack.sns.notifications({ limit: limitOf(url, 50, 10_000) }),
            });
            return true;
          case '/_eventline/sms':
            json(res, 200, {
              messages: await stack.sns.phoneMessages({ limit: limitOf(url, 50, 10_000) }),
            });
            return true;
          case '/_eventline/dlq':
            json(res, 200, { letters: await stack.deadLetters.list() });
            return true;
          case '/_eventline/logs':
            json(res, 200, {
              lines: stack.activity.logs(url.searchParams.get('key') ?? undefined, limitOf(url, 200, 20_000)),
            });
            return true;
          case '/_eventline/events':
            stream(stack, req, res);
            return true;
        }
        return false;
      }
      if (req.method === 'POST') {
        if (!isLoopbackAddress(req.socket.remoteAddress)) {
          json(res, 403, { error: 'actions are accepted from loopback only' });
          return true;
        }
        // A JSON body cannot come from a plain cross-site form: browsers must ask (preflight) first.
        if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
          json(res, 415, { error: 'actions take a JSON body (content-type: application/json)' });
          return true;
        }
        const body = await readJson(req);
        switch (path) {
          case '/_eventline/dlq/replay': {
            const id = typeof body.id === 'string' ? body.id : undefined;
            json(res, 200, { results: await stack.replay(id) });
            return true;
          }
          case '/_eventline/dlq/drop': {
            const id = typeof body.id === 'string' ? body.id : '';
            // Who: the caller's name (the CLI's --by, $USER), else the account running the stack (the console).
            const by =
              typeof body.by === 'string' && body.by.trim() ? body.by.trim() : `${osUser()} (console)`;
            const reason =
              typeof body.reason === 'string' && body.reason.trim() ? body.reason.trim() : undefined;
            const dropped = id ? await stack.drop(id, { by, ...(reason ? { reason } : {}) }) : undefined;
            if (dropped) json(res, 200, { dropped });
            else json(res, 404, { error: `no dead letter with id "${id}" (see: npx eventline dlq list)` });
            return true;
          }
          case '/_eventline/backfill': {
            const prefix = typeof body.prefix === 'string' ? body.prefix : '';
            json(res, 200, await stack.backfill(prefix));
            return true;
          }
          case '/_eventline/presigned-post': {
            const prefix = typeof body.prefix === 'string' ? body.prefix : '';
            json(res, 200, await stack.presignedPost(prefix));
            return true;
          }
        }
        return false;
      }
      return false;
    } catch (error) {
      json(res, error instanceof BadQuery ? 400 : 500, { error: errorMessage(error) });
      return true;
    }
  };
}

/** Server-sent events: the feed, log lines and counters as they change. */
function stream(stack: AdminStack, req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
  });
  const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${toJson(data)}\n\n`);
  const onFeed = (entry: FeedEntry) => send('feed', entry);
  const onLog = (line: LogLine) => send('log', line);
  send('counters', stack.activity.counters);
  const timer = setInterval(() => {
    send('counters', { ...stack.activity.counters, ...stack.invoker.stats });
  }, 1000);
  stack.activity.on('feed', onFeed);
  stack.activity.on('log', onLog);
  req.on('close', () => {
    clearInterval(timer);
    stack.activity.off('feed', onFeed);
    stack.activity.off('log', onLog);
  });
}
