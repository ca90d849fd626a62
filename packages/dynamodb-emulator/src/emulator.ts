/**
 * The DynamoDB emulator's server: DynamoDB's JSON protocol on a loopback port, each operation handed
 * to dynalite or to this package's own (transactions, TTL, ALL_OLD on a failed condition).
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import { Backend, type BackendReply, errorType, parseJson } from './backend.ts';
import { Engine } from './engine.ts';
import { DynamoProtocolError } from './errors.ts';
import {
  checkIndexAttributes,
  checkRequest,
  checkReturnValues,
  conditionalWrite,
  filteredRead,
  filtersHere,
} from './guard.ts';
import { acquireDirectoryLock, type DirectoryLock } from './lock.ts';
import { withoutPlusSigns } from './numbers.ts';
import { Locks } from './rwlock.ts';
import { closeServer, listen } from './servers.ts';
import {
  emptyIndexKey,
  type IndexKey,
  type Item,
  itemIdentity,
  KeySchemas,
  keyFrom,
  validation,
} from './tables.ts';
import { Transactions } from './transactions.ts';
import { TimeToLive } from './ttl.ts';
import { update } from './updates.ts';

export interface DynamoEmulatorOptions {
  /** dynalite's LevelDB directory; in memory without it. */
  path?: string;
  host?: string;
  /** 0 or absent: an ephemeral port. */
  port?: number;
  /** How often expired items are deleted (ms); 0 turns the timer off (sweepExpired() still works). Default 60 s. */
  ttlSweepIntervalMs?: number;
}

export interface DynamoEmulator {
  server: Server;
  port: number;
  url: string;
  /** Deletes every item whose TTL has passed, now; resolves to how many. */
  sweepExpired(): Promise<number>;
  close(): Promise<void>;
}

const MAX_BODY = 16 * 1024 * 1024;
/** How long close() lets requests in flight finish before it closes the database under them. */
const CLOSE_WAIT_MS = 10_000;
const API = 'DynamoDB_20120810';
const ERROR_PREFIX = 'com.amazonaws.dynamodb.v20120810#';
/** Operations dynalite serves alone: nothing else runs meanwhile. */
const ALONE = new Set(['CreateTable', 'DeleteTable', 'UpdateTable']);
/** Operations on named items: they wait for other work on those items (see Locks). */
const ITEM_OPERATIONS = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'GetItem',
  'BatchWriteItem',
  'BatchGetItem',
]);
const READS = new Set(['GetItem', 'BatchGetItem']);
const SETTLE_ATTEMPTS = 2500;
const SINGLE_ITEM_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);

/**
 * The DynamoDB JSON protocol on one loopback port: dynalite behind a layer that adds what
 * dynalite lacks, calling dynalite's engine in process as dynalite's HTTP handler does (engine.ts;
 * BatchWriteItem is the layer's own, on dynalite's store: batch-write.ts):
 * - `ReturnValuesOnConditionCheckFailure: ALL_OLD` on PutItem/UpdateItem/DeleteItem;
 * - TransactWriteItems / TransactGetItems (see transactions.ts);
 * - UpdateTimeToLive / DescribeTimeToLive and the deletion of expired items (see ttl.ts).
 * Work on one item waits for other work on that item (writers alone, readers together; table
 * operations alone), which is what makes the read of an item after a condition failure, and a
 * transaction, atomic; work on different items runs side by side. Query and Scan take no item
 * locks: like AWS's (read-committed) they may see one transaction's items before and after.
 */
export async function startDynamoEmulator(options: DynamoEmulatorOptions = {}): Promise<DynamoEmulator> {
  let dirLock: DirectoryLock | undefined;
  if (options.path) {
    await mkdir(options.path, { recursive: true });
    dirLock = await acquireDirectoryLock(options.path, { what: 'a DynamoDB emulator' });
  }
  const engine = new Engine({
    ...(options.path ? { path: options.path } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  let server: Server | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const backend = new Backend(engine);
    const locks = new Locks();
    const keys = new KeySchemas(backend);
    const transactions = new Transactions(backend, keys, locks);
    const ttl = new TimeToLive(backend, keys, locks, options.path ? `${options.path}.ttl.json` : undefined);
    await ttl.load();
    const own: Record<string, (params: Record<string, unknown>) => Promise<Record<string, unknown>>> = {
      TransactWriteItems: (params) => transactions.write(params),
      TransactGetItems: (params) => transactions.get(params),
      UpdateTimeToLive: (params) => ttl.update(params),
      DescribeTimeToLive: (params) => ttl.describe(params),
    };
    const live = backend;
    // Requests in flight, so close() closes dynalite's database only after them: closing it under a
    // running operation throws from inside dynalite ('Database is closed'), uncaught, and takes the
    // process down (seen: Ctrl-C of `eventline start` with a write in flight).
    const inFlight = new Set<Promise<void>>();
    let stopping = false;
    const front = createServer((req, res) => {
      if (stopping) {
        send(res, 503, {
          __type: `${ERROR_PREFIX}ServiceUnavailable`,
          message: 'the DynamoDB emulator is shutting down',
        });
        return;
      }
      const running: Promise<void> = handle(req, res)
        .catch((error: unknown) => {
          if (!res.headersSent) {
            send(res, 500, {
              __type: `${ERROR_PREFIX}InternalServerError`,
              message: String((error as Error).message),
            });
          } else res.destroy();
        })
        .finally(() => inFlight.delete(running));
      inFlight.add(running);
    });
    server = front;

    async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const raw = await readBody(req);
      if (!raw) {
        res.writeHead(413).end();
        return;
      }
      const body = withoutPlusSigns(raw);
      const [api, operation = ''] = String(req.headers['x-amz-target'] ?? '').split('.');
      const ownOperation = api === API ? own[operation] : undefined;
      if (ownOperation) {
        await serveOwn(req, res, body, ownOperation);
        return;
      }
      const forward = (p: Record<string, unknown>) =>
        live.forward(req.headers, Buffer.from(JSON.stringify(p)), req.url);
      if (api === API && (operation === 'Scan' || operation === 'Query')) {
        const read = parseJson(body);
        const invalid =
          checkRequest(operation, read) ??
          (typeof read.IndexName === 'string' && typeof read.TableName === 'string'
            ? checkIndexAttributes(
                operation,
                read,
                (await keys.globalProjections(read.TableName).catch(() => new Map())).get(read.IndexName),
              )
            : undefined);
        if (invalid) {
          copy(res, invalid);
          return;
        }
        if (filtersHere(read)) {
          copy(res, await locks.shared(() => filteredRead(read, forward)));
          return;
        }
      }
      const params = api === API && ITEM_OPERATIONS.has(operation) ? parseJson(body) : undefined;
      const refused = params && (checkReturnValues(operation, params) ?? checkRequest(operation, params));
      if (refused) {
        copy(res, refused);
        return;
      }
      const emptyKey = params && (await emptyIndexKeys(operation, params));
      if (emptyKey) {
        sendError(res, emptyKey);
        return;
      }
      // A request whose items cannot be named fails in dynalite too (no such table, a key missing).
      const held = params && (await itemsOf(operation, params).catch(() => undefined));
      if (params && held) {
        if (SINGLE_ITEM_WRITES.has(operation) && typeof params.ConditionExpression === 'string') {
          const { ReturnValuesOnConditionCheckFailure: wanted, ...rest } = params;
          if (wanted !== undefined && wanted !== 'ALL_OLD' && wanted !== 'NONE') {
            sendError(res, badReturnValuesOnFailure(wanted));
            return;
          }
          const table = String(params.TableName);
          const key = await keys.keyOf(table, (operation === 'PutItem' ? params.Item : params.Key) as Item);
          const read = async (t: string, k: Item) =>
            (await live.call('GetItem', { TableName: t, Key: k, ConsistentRead: true })).Item as
              | Item
              | undefined;
          const indexKeys = await keys.indexKeys(table);
          const finish =
            operation === 'UpdateItem'
              ? (p: Record<string, unknown>, old: Item | undefined) =>
                  update(p, key, indexKeys, live, forward, { old })
              : undefined;
          copy(
            res,
            await locks.items(held, true, () =>
              conditionalWrite(operation, rest, key, wanted === 'ALL_OLD', forward, read, finish),
            ),
          );
          return;
        }
        if (operation === 'UpdateItem' && params.ReturnValuesOnConditionCheckFailure === undefined) {
          const table = String(params.TableName);
          const key = await keys.keyOf(table, params.Key as Item);
          const indexKeys = await keys.indexKeys(table);
          copy(res, await locks.items(held, true, () => update(params, key, indexKeys, live, forward)));
          return;
        }
        if (SINGLE_ITEM_WRITES.has(operation) && params.ReturnValuesOnConditionCheckFailure !== undefined) {
          try {
            copy(res, await locks.items(held, true, () => writeReturningOld(operation, params, req)));
          } catch (error) {
            if (!(error instanceof DynamoProtocolError)) throw error;
            sendError(res, error);
          }
          return;
        }
        copy(
          res,
          await locks.items(held, !READS.has(operation), () => live.forward(req.headers, body, req.url)),
        );
        return;
      }
      const run = () => live.forward(req.headers, body, req.url);
      const reply = ALONE.has(operation)
        ? await locks.alone(async () => {
            const answer = await run();
            if (answer.status === 200) await settled(operation, parseJson(body).TableName);
            return answer;
          })
        : await locks.shared(run);
      if (operation === 'UpdateTable' && reply.status === 200) {
        const table = parseJson(body).TableName;
        if (typeof table === 'string') keys.forget(table);
      }
      if (operation === 'DeleteTable' && reply.status === 200) {
        const table = parseJson(body).TableName;
        if (typeof table === 'string') {
          keys.forget(table);
          await ttl.forget(table);
        }
      }
      copy(res, reply);
    }

    async function serveOwn(
      req: IncomingMessage,
      res: ServerResponse,
      body: Buffer,
      operation: (params: Record<string, unknown>) => Promise<Record<string, unknown>>,
    ): Promise<void> {
      if (!req.headers.authorization && !String(req.url).includes('X-Amz-Algorithm')) {
        send(res, 400, {
          __type: 'com.amazon.coral.service#MissingAuthenticationTokenException',
          message: 'Request is missing Authentication Token',
        });
        return;
      }
      let params: Record<string, unknown>;
      try {
        params = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      } catch {
        send(res, 400, { __type: 'com.amazon.coral.service#SerializationException' });
        return;
      }
      try {
        send(res, 200, await operation(params));
      } catch (error) {
        if (!(error instanceof DynamoProtocolError)) throw error;
        sendError(res, error);
      }
    }

    /**
     * dynalite makes a table ACTIVE (or gone) on a timer after answering, even with 0 ms; a client
     * that writes at once could meet ResourceNotFoundException. The answer waits for it instead,
     * so that a table is usable (or its name free) once Create/Update/DeleteTable has answered.
     */
    async function settled(operation: string, table: unknown): Promise<void> {
      if (typeof table !== 'string') return;
      for (let attempt = 0; attempt < SETTLE_ATTEMPTS; attempt++) {
        try {
          const described = (await live.call('DescribeTable', { TableName: table })) as {
            Table?: { TableStatus?: string };
          };
          if (operation !== 'DeleteTable' && described.Table?.TableStatus === 'ACTIVE') return;
        } catch (error) {
          if (
            error instanceof DynamoProtocolError &&
            error.type === 'ResourceNotFoundException' &&
            operation === 'DeleteTable'
          )
            return;
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      throw new Error(`dynalite: table "${table}" did not settle after ${operation}`);
    }

    /** An item written by PutItem or BatchWriteItem with an empty secondary index key: DynamoDB refuses it. */
    async function emptyIndexKeys(operation: string, params: Record<string, unknown>) {
      const puts: [string, unknown][] = [];
      if (operation === 'PutItem') puts.push([String(params.TableName), params.Item]);
      if (operation === 'BatchWriteItem' && params.RequestItems && typeof params.RequestItems === 'object') {
        for (const [table, requests] of Object.entries(params.RequestItems as Record<string, unknown>)) {
          if (!Array.isArray(requests)) continue;
          for (const r of requests as { PutRequest?: { Item?: unknown } }[])
            puts.push([table, r?.PutRequest?.Item]);
        }
      }
      const byTable = new Map<string, IndexKey[]>();
      for (const [table, item] of puts) {
        if (!item || typeof item !== 'object') continue;
        let indexKeys = byTable.get(table);
        if (!indexKeys) {
          indexKeys = await keys.indexKeys(table).catch(() => []);
          byTable.set(table, indexKeys);
        }
        if (indexKeys.length === 0) continue;
        const refused = emptyIndexKey(item as Item, indexKeys);
        if (refused) return refused;
      }
      return undefined;
    }

    /** The identities of the items a request names (see Locks). */
    async function itemsOf(operation: string, params: Record<string, unknown>): Promise<string[]> {
      const table = String(params.TableName);
      if (operation === 'PutItem') return [await keys.identity(table, params.Item as Item)];
      if (SINGLE_ITEM_WRITES.has(operation) || operation === 'GetItem') {
        return [await keys.identity(table, params.Key as Item)];
      }
      const found: string[] = [];
      for (const [name, requests] of Object.entries(params.RequestItems as Record<string, unknown>)) {
        // One schema look-up per table; the batch's items are then named synchronously.
        const keyNames = await keys.keyNames(name);
        if (operation === 'BatchGetItem') {
          for (const key of (requests as { Keys: Item[] }).Keys)
            found.push(itemIdentity(name, keyFrom(keyNames, key)));
          continue;
        }
        for (const request of requests as { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]) {
          const item = request.PutRequest?.Item ?? request.DeleteRequest?.Key;
          found.push(itemIdentity(name, keyFrom(keyNames, item as Item)));
        }
      }
      return found;
    }

    /** A single-item write that names ReturnValuesOnConditionCheckFailure; the caller holds the item. */
    async function writeReturningOld(
      operation: string,
      params: Record<string, unknown>,
      req: IncomingMessage,
    ): Promise<BackendReply> {
      const { ReturnValuesOnConditionCheckFailure: wanted, ...rest } = params;
      if (wanted !== 'ALL_OLD' && wanted !== 'NONE') throw badReturnValuesOnFailure(wanted);
      const reply = await live.forward(req.headers, Buffer.from(JSON.stringify(rest)), req.url);
      if (wanted !== 'ALL_OLD' || reply.status !== 400) return reply;
      const failure = parseJson(reply.body);
      if (errorType(failure) !== 'ConditionalCheckFailedException') return reply;
      const table = String(rest.TableName);
      const key = operation === 'PutItem' ? await keys.keyOf(table, rest.Item as Item) : rest.Key;
      const got = await live.call('GetItem', { TableName: table, Key: key, ConsistentRead: true });
      if (!got.Item) return reply;
      return {
        status: 400,
        headers: reply.headers,
        body: Buffer.from(JSON.stringify({ ...failure, Item: got.Item })),
      };
    }

    await listen(front, options.port ?? 0, options.host ?? '127.0.0.1');
    const interval = options.ttlSweepIntervalMs ?? 60_000;
    if (interval > 0) {
      timer = setInterval(() => {
        ttl.sweep().catch(() => {
          // A failed sweep is retried by the next one; items stay until then, as on AWS.
        });
      }, interval);
      timer.unref();
    }
    const port = (front.address() as AddressInfo).port;
    let closing: Promise<void> | undefined;
    return {
      server: front,
      port,
      url: `http://127.0.0.1:${port}`,
      sweepExpired: () => ttl.sweep(),
      close: () => {
        closing ??= (async () => {
          if (timer) clearInterval(timer);
          // A sweep scans through dynalite; closing its database under the scan throws from inside
          // dynalite (an uncaught 'Database is not open'), so the last sweep finishes first.
          await ttl.settled();
          stopping = true;
          await closeServer(front);
          // What is running finishes (bounded: a stuck request must not hold the shutdown forever).
          await Promise.race([
            Promise.allSettled([...inFlight]),
            delay(CLOSE_WAIT_MS, undefined, { ref: false }),
          ]);
          await engine.close();
          await dirLock?.release();
        })();
        return closing;
      },
    };
  } catch (error) {
    if (timer) clearInterval(timer);
    if (server?.listening) await closeServer(server).catch(() => {});
    await engine.close().catch(() => {});
    await dirLock?.release().catch(() => {});
    throw error;
  }
}

function badReturnValuesOnFailure(wanted: unknown): DynamoProtocolError {
  return validation(
    `1 validation error detected: Value '${String(wanted)}' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]`,
  );
}

/** The request's body, or undefined past MAX_BODY (listeners rather than an async iterator: fewer allocations per request). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? undefined : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const HOP_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'x-amz-crc32',
]);

function copy(res: ServerResponse, reply: BackendReply): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(reply.headers)) {
    if (value !== undefined && !HOP_HEADERS.has(name)) headers[name] = value;
  }
  headers['content-length'] = String(reply.body.length);
  headers['x-amz-crc32'] = String(crc32(reply.body));
  res.writeHead(reply.status, headers);
  res.end(reply.body);
}

function sendError(res: ServerResponse, error: DynamoProtocolError): void {
  send(res, error.status, { __type: `${ERROR_PREFIX}${error.type}`, message: error.message, ...error.extra });
}

function send(res: ServerResponse, status: number, data: Record<string, unknown>): void {
  const body = Buffer.from(JSON.stringify(data));
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': String(body.length),
    'x-amz-crc32': String(crc32(body)),
    'x-amzn-requestid': randomBytes(39).toString('base64').toUpperCase().replace(/[+/]/g, '0'),
  });
  res.end(body);
}
