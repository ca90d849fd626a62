/**
 * The differential test's harness: one request sent as raw DynamoDB JSON to two endpoints (the
 * emulator and Amazon's DynamoDB Local), the answers normalised and compared. What is compared:
 * - the HTTP status and the error's type (`__type` without its namespace);
 * - for an answer, all its data, after dropping ConsumedCapacity / ItemCollectionMetrics,
 *   sorting set members, and sorting Items where DynamoDB defines no order (Scan, a Query on a
 *   global secondary index, BatchGetItem's Responses);
 * - for an error, its members other than the message (`Item` of a ConditionalCheckFailedException,
 *   each CancellationReason's Code and Item): messages are AWS's wording, which differs between
 *   DynamoDB Local releases, so only the type carries meaning.
 * Request ids, dates and CRCs are headers and never compared.
 */

import { awsTwin } from './recorded.ts';

export interface Request {
  op: string;
  /** Parameters in DynamoDB JSON; the string `$T` stands for the scenario's table. */
  params: Record<string, unknown>;
}

export type TableKind = 'hash' | 'composite';

export interface Scenario {
  table: TableKind;
  steps: Request[];
}

export interface Answer {
  status: number;
  type?: string;
  data: unknown;
}

const AUTH =
  'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20000101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=0';

/** One request in DynamoDB's JSON protocol; the answer's status, error type and body. */
export async function send(url: string, op: string, params: unknown): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `DynamoDB_20120810.${op}`,
      'x-amz-date': '20000101T000000Z',
      authorization: AUTH,
    },
    body: JSON.stringify(params),
  });
  const text = await response.text();
  let data: unknown = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = { unparsable: text.slice(0, 200) };
  }
  if (response.status === 200) return { status: 200, data };
  const body = data as Record<string, unknown>;
  const type = typeof body.__type === 'string' ? /#?([A-Za-z]+)$/.exec(body.__type)?.[1] : undefined;
  return { status: response.status, ...(type ? { type } : {}), data };
}

export function tableDefinition(kind: TableKind, name: string): Record<string, unknown> {
  if (kind === 'hash') {
    return {
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'g', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byG',
          KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['a'] },
        },
      ],
    };
  }
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'N' },
      { AttributeName: 'n', AttributeType: 'N' },
      { AttributeName: 'g', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    LocalSecondaryIndexes: [
      {
        IndexName: 'byN',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'n', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: 'byG',
        KeySchema: [
          { AttributeName: 'g', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ],
  };
}

const SET_TYPES = new Set(['SS', 'NS', 'BS']);

/** Set members and object keys sorted, recursively through lists and maps. */
function sortSets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortSets);
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  const entries = Object.entries(value as Record<string, unknown>).sort(([x], [y]) =>
    x < y ? -1 : x > y ? 1 : 0,
  );
  for (const [name, inner] of entries) {
    out[name] = SET_TYPES.has(name) && Array.isArray(inner) ? [...inner].map(String).sort() : sortSets(inner);
  }
  return out;
}

const byJson = (a: unknown, b: unknown) => {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

/** An answer reduced to what is compared (see the file's comment). */
export function normalise(request: Request, answer: Answer): unknown {
  if (answer.status !== 200) {
    const body = answer.data as Record<string, unknown>;
    const out: Record<string, unknown> = { status: answer.status, type: answer.type };
    if (body.Item) out.Item = sortSets(body.Item);
    if (Array.isArray(body.CancellationReasons)) {
      out.reasons = body.CancellationReasons.map((r: Record<string, unknown>) => ({
        Code: r.Code,
        ...(r.Item ? { Item: sortSets(r.Item) } : {}),
      }));
    }
    return out;
  }
  const {
    ConsumedCapacity: _c,
    ItemCollectionMetrics: _m,
    ...rest
  } = sortSets(answer.data) as Record<string, unknown>;
  const unordered = request.op === 'Scan' || (request.op === 'Query' && request.params.IndexName === 'byG');
  if (unordered && Array.isArray(rest.Items)) rest.Items = [...rest.Items].sort(byJson);
  if (request.op === 'BatchGetItem' && rest.Responses && typeof rest.Responses === 'object') {
    rest.Responses = Object.fromEntries(
      Object.entries(rest.Responses as Record<string, unknown[]>).map(([t, items]) => [
        t,
        [...items].sort(byJson),
      ]),
    );
  }
  for (const empty of ['UnprocessedItems', 'UnprocessedKeys']) {
    if (rest[empty] && Object.keys(rest[empty] as object).length === 0) delete rest[empty];
  }
  return { status: 200, ...rest };
}

/** The request with `$T` replaced by the table's name. */
export function bind(request: Request, table: string): Request {
  return {
    op: request.op,
    params: JSON.parse(JSON.stringify(request.params).replaceAll('"$T"', JSON.stringify(table))) as Record<
      string,
      unknown
    >,
  };
}

/** The table's name inside answers given back as `$T`, so that two endpoints' tables compare equal. */
export function unbind(value: unknown, table: string): unknown {
  return JSON.parse(JSON.stringify(value ?? null).replaceAll(JSON.stringify(table), '"$T"'));
}

export interface StepResult {
  request: Request;
  agree: boolean;
  emulator: unknown;
  reference: unknown;
  /** AWS's documented answer, where DynamoDB Local gives it to a rewritten request (recorded.ts, awsTwin). */
  aws?: unknown;
}

let tableCounter = 0;

/** Every step of the scenario on both endpoints, each on a fresh table of its own, deleted afterwards. */
export async function runScenario(
  scenario: Scenario,
  emulatorUrl: string,
  referenceUrl: string,
): Promise<StepResult[]> {
  tableCounter += 1;
  const table = `diff${process.pid}x${tableCounter}`;
  const definition = tableDefinition(scenario.table, table);
  for (const url of [emulatorUrl, referenceUrl]) {
    const created = await send(url, 'CreateTable', definition);
    if (created.status !== 200) throw new Error(`CreateTable on ${url}: ${JSON.stringify(created.data)}`);
  }
  try {
    const results: StepResult[] = [];
    for (const step of scenario.steps) {
      const request = bind(step, table);
      const [a, b] = await Promise.all([
        send(emulatorUrl, request.op, request.params),
        send(referenceUrl, request.op, request.params),
      ]);
      const emulator = unbind(normalise(step, a), table);
      const reference = unbind(normalise(step, b), table);
      const agree = JSON.stringify(emulator) === JSON.stringify(reference);
      const twin = agree ? undefined : awsTwin(step, scenario.table);
      const aws = twin
        ? unbind(normalise(twin, await send(referenceUrl, twin.op, bind(twin, table).params)), table)
        : undefined;
      results.push({ request: step, agree, emulator, reference, ...(twin ? { aws } : {}) });
    }
    return results;
  } finally {
    await Promise.all(
      [emulatorUrl, referenceUrl].map((url) => send(url, 'DeleteTable', { TableName: table })),
    );
  }
}
