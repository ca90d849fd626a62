/**
 * dynalite's engine without its HTTP server: dynalite's LevelDB store (`dynalite/db`), request
 * validation (`dynalite/validations`) and operations (`dynalite/actions/*`), called in this process
 * with a request's headers and body, as dynalite's own request handler (its index.js) calls them.
 * Owning this wiring (about what index.js does, nothing patched) gives the emulator the store, so
 * that an operation can run on it through LevelDB's public API (see batch-write.ts); every other
 * operation is dynalite's own, unchanged. dynalite is pinned (package.json) as these are its files.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import { batchWriteItem, TableDescriptions } from './batch-write.ts';
import type { Action, DynaliteStore, DynaliteValidation } from './types/dynalite-engine.ts';

const require = createRequire(import.meta.url);
const db = require('dynalite/db/index.js') as { create(options: Record<string, unknown>): DynaliteStore };
const validations = require('dynalite/validations/index.js') as {
  checkTypes(data: unknown, types: unknown): Record<string, unknown>;
  checkValidations(
    data: Record<string, unknown>,
    types: unknown,
    custom: unknown,
    store: DynaliteStore,
  ): void;
};

/** dynalite's answer to one request: status, headers and body as dynalite sent them. */
export interface BackendReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const MAX_REQUEST_BYTES = 16 * 1024 * 1024;
const VALID_APIS = new Set(['DynamoDB_20111205', 'DynamoDB_20120810']);
/** dynalite 4's operations (index.js's list). */
const OPERATIONS = [
  'BatchGetItem',
  'BatchWriteItem',
  'CreateTable',
  'DeleteItem',
  'DeleteTable',
  'DescribeTable',
  'DescribeTimeToLive',
  'GetItem',
  'ListTables',
  'PutItem',
  'Query',
  'Scan',
  'TagResource',
  'UntagResource',
  'ListTagsOfResource',
  'UpdateItem',
  'UpdateTable',
];
/** How long close() lets dynalite's pending LevelDB operations finish before closing under them (dynalite's own 30 s). */
const SHUTDOWN_MS = 30_000;

interface Operation {
  action: Action;
  validation: DynaliteValidation;
}

const operations = new Map<string, Operation>(
  OPERATIONS.map((name) => {
    const file = name.charAt(0).toLowerCase() + name.slice(1);
    return [
      name,
      {
        action: require(`dynalite/actions/${file}.js`) as Action,
        validation: require(`dynalite/validations/${file}.js`) as DynaliteValidation,
      },
    ];
  }),
);

export interface EngineOptions {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}

/** dynalite's store and its request handling, in process. */
/** Operations whose answers change a table's description (see TableDescriptions). */
const TABLE_WRITES = new Set(['CreateTable', 'UpdateTable', 'DeleteTable']);

export class Engine {
  readonly store: DynaliteStore;
  private readonly tables = new TableDescriptions();
  /** BatchWriteItem is the emulator's (batch-write.ts); the rest are dynalite's. */
  private readonly batchWrite: Action = batchWriteItem(this.tables);

  constructor(options: EngineOptions) {
    this.store = db.create({ ...options });
  }

  /** One request, as dynalite's HTTP handler answers it: status, headers and body. */
  serve(headers: IncomingHttpHeaders, raw: Buffer, url = '/', method = 'POST'): Promise<BackendReply> {
    return new Promise((resolve, reject) => {
      const replyHeaders: IncomingHttpHeaders = {};
      let contentType = 'application/json';
      const send = (data: unknown, status = 200) => {
        const body = Buffer.from(JSON.stringify(data));
        replyHeaders['content-type'] = contentType;
        replyHeaders['content-length'] = String(body.length);
        resolve({ status, headers: replyHeaders, body });
      };
      const plain = (status: number, text: string) =>
        resolve({ status, headers: replyHeaders, body: Buffer.from(text) });
      try {
        if (raw.length > MAX_REQUEST_BYTES) {
          plain(413, '');
          return;
        }
        const body = raw.toString('utf8');
        replyHeaders['x-amzn-requestid'] = randomBytes(39)
          .toString('base64')
          .toUpperCase()
          .replace(/[+/]/g, '0');
        if (headers.origin) {
          replyHeaders['access-control-allow-origin'] = '*';
          if (method === 'OPTIONS') {
            const allowHeaders = headers['access-control-request-headers'];
            const allowMethod = headers['access-control-request-method'];
            if (allowHeaders) replyHeaders['access-control-allow-headers'] = allowHeaders;
            if (allowMethod) replyHeaders['access-control-allow-methods'] = String(allowMethod);
            replyHeaders['access-control-max-age'] = '172800';
            plain(200, '');
            return;
          }
        }
        if (method === 'GET') {
          plain(200, 'healthy: dynamodb.us-east-1.amazonaws.com ');
          return;
        }
        const type = String(headers['content-type'] ?? '')
          .split(';')[0]
          ?.trim();
        if (
          method !== 'POST' ||
          (body && type !== 'application/json' && type !== 'application/x-amz-json-1.0')
        ) {
          plain(404, '<UnknownOperationException/>\n');
          return;
        }
        contentType = type !== 'application/x-amz-json-1.0' ? 'application/json' : type;
        let data: unknown;
        if (body) {
          try {
            data = JSON.parse(body);
          } catch {
            send({ __type: 'com.amazon.coral.service#SerializationException' }, 400);
            return;
          }
        }
        const target = String(headers['x-amz-target'] ?? '').split('.');
        const operation =
          target.length === 2 && VALID_APIS.has(target[0] ?? '')
            ? operations.get(target[1] ?? '')
            : undefined;
        if (!operation) {
          send({ __type: 'com.amazon.coral.service#UnknownOperationException' }, 400);
          return;
        }
        const refused = checkAuthentication(headers, url);
        if (refused) {
          send(refused, 400);
          return;
        }
        if (!body) {
          send({ __type: 'com.amazon.coral.service#SerializationException' }, 400);
          return;
        }
        let checked: Record<string, unknown>;
        try {
          checked = validations.checkTypes(data, operation.validation.types);
          validations.checkValidations(
            checked,
            operation.validation.types,
            operation.validation.custom,
            this.store,
          );
        } catch (error) {
          const status = (error as { statusCode?: number }).statusCode;
          if (!status) throw error;
          send((error as { body: unknown }).body, status);
          return;
        }
        const name = target[1] ?? '';
        const tableWrite = TABLE_WRITES.has(name);
        if (tableWrite) this.tables.forget();
        const action = name === 'BatchWriteItem' ? this.batchWrite : operation.action;
        action(this.store, checked, (error, answer) => {
          if (tableWrite) this.tables.forget();
          if (error) {
            if (error.statusCode) send(error.body, error.statusCode);
            else reject(error);
            return;
          }
          send(answer);
        });
      } catch (error) {
        reject(error);
      }
    });
  }

  /** Closes the database once dynalite's pending operations are done (forced after 30 s, as dynalite's server does). */
  close(): Promise<void> {
    const lifecycle = this.store.lifecycleManager;
    return new Promise((resolve, reject) => {
      lifecycle.setShutdownTimeout(SHUTDOWN_MS);
      lifecycle.gracefulClose((error) => {
        if (!error) {
          resolve();
          return;
        }
        lifecycle.forceClose(() => reject(error));
      });
    });
  }
}

/** dynalite's checks of the Authorization header or the presigned query (index.js): the error body, or undefined. */
function checkAuthentication(headers: IncomingHttpHeaders, url: string): Record<string, string> | undefined {
  const authHeader = headers.authorization;
  const query = new URL(url, 'http://localhost').searchParams;
  const authQuery = query.has('X-Amz-Algorithm');
  if (authHeader && authQuery) {
    return {
      __type: 'com.amazon.coral.service#InvalidSignatureException',
      message: "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
    };
  }
  if ((!authHeader && !authQuery) || (authHeader && authHeader.trim().slice(0, 5) !== 'AWS4-')) {
    return {
      __type: 'com.amazon.coral.service#MissingAuthenticationTokenException',
      message: 'Request is missing Authentication Token',
    };
  }
  let msg = '';
  if (authHeader) {
    const authParams: Record<string, string | undefined> = {};
    for (const part of authHeader.split(/,| /).slice(1).filter(Boolean)) {
      const [name = '', value] = part.trim().split('=');
      authParams[name] = value;
    }
    for (const param of ['Credential', 'Signature', 'SignedHeaders']) {
      if (!authParams[param]) msg += `Authorization header requires '${param}' parameter. `;
    }
    if (!headers['x-amz-date'] && !headers.date) {
      msg += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
    }
    if (msg) msg += `Authorization=${authHeader}`;
  } else {
    for (const param of [
      'X-Amz-Algorithm',
      'X-Amz-Credential',
      'X-Amz-Signature',
      'X-Amz-SignedHeaders',
      'X-Amz-Date',
    ]) {
      if (!query.get(param)) msg += `AWS query-string parameters must include '${param}'. `;
    }
    if (msg) msg += 'Re-examine the query-string parameters.';
  }
  return msg ? { __type: 'com.amazon.coral.service#IncompleteSignatureException', message: msg } : undefined;
}
