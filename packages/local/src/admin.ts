import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  DynamoDBDocumentClient,
  NumberValue,
  ScanCommand,
  type ScanCommandInput,
  type ScanCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { fileStateOf, translate } from '@eventline/aws';
import { errorMessage, fileKey, ITEM, type ItemKind, itemKeyOf, originOf } from '@eventline/core';
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

const limitOf = (url: URL, fallback: number, max = 1000) =>
  Math.min(max, Math.max(1, Number(url.searchParams.get('limit') ?? fallback) || fallback));

function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
}

function decodeCursor(cursor: string | null): Record<string, unknown> | undefined {
  if (!cursor) return undefined;
  return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
}

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

/** A page of ledger items of one kind (Scan; the local ledger is small enough, and AWS users query). */
async function scanKind(
  stack: AdminStack,
  kind: ItemKind,
  url: URL,
): Promise<{ items: Record<string, unknown>[]; cursor?: string }> {
  const limit = limitOf(url, 50);
  const search = url.searchParams.get('q') ?? '';
  const items: Record<string, unknown>[] = [];
  let start = decodeCursor(url.searchParams.get('cursor'));
  // Filtered scans can return short pages: keep reading until the page is full or the table ends.
  do {
    const page = await scan(stack, {
      Limit: Math.max(limit, 100),
      ...(start ? { ExclusiveStartKey: start } : {}),
      FilterExpression: search ? '#kind = :kind AND contains(#key, :q)' : '#kind = :kind',
      ExpressionAttributeNames: { '#kind': ITEM.kind, ...(search ? { '#key': ITEM.key } : {}) },
      ExpressionAttributeValues: { ':kind': kind, ...(search ? { ':q': search } : {}) },
    });
    for (const item of page.Items ?? []) {
      // File items keep the key once (in pk) and a slim state: show the whole state.
      if (items.length < limit) items.push(kind === 'file' ? { ...item, state: fileStateOf(item) } : item);
    }
    start = page.LastEvaluatedKey;
    if (items.length >= limit) {
      // Resume after the last returned item.
      const last = items.at(-1);
      start = last ? itemKeyOf(last) : start;
      break;
    }
  } while (start);
  const result: { items: Record<string, unknown>[]; cursor?: string } = { items };
  const cursor = encodeCursor(start);
  if (cursor) result.cursor = cursor;
  return result;
}

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
            const records = await scan(stack, {
              FilterExpression: '#origin = :origin AND #kind = :record',
              ExpressionAttributeNames: { '#origin': ITEM.origin, '#kind': ITEM.kind },
              ExpressionAttributeValues: {
                ':origin': originOf(bucket, key),
                ':record': 'record' satisfies ItemKind,
              },
            });
            const messageId = state?.notification.messageId;
            const notifications = messageId
              ? (await stack.sns.notifications({ limit: 10_000 })).filter((n) => n.messageId === messageId)
              : [];
            json(res, 200, {
              pk: fileKey(bucket, key),
              state: state ?? null,
              records: (records.Items ?? []).slice(0, 200),
              notification: notifications[0] ?? null,
              logs: stack.activity.logs(key),
              feed: stack.activity.feed({ key }),
            });
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
            const dropped = id ? await stack.drop(id) : undefined;
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
      json(res, 500, { error: errorMessage(error) });
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
