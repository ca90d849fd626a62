/**
 * Digest windows on DynamoDB (core's digest.ts): one item per window in the ledger's table, joined by
 * a file's outcome in one TransactWriteItems with the outcome's own conditional Put, closed and marked
 * sent by the close message's UpdateItems. Authorized by dynamodb:PutItem and dynamodb:UpdateItem
 * (a transaction needs its actions' permissions, no action of its own).
 */
import { randomBytes } from 'node:crypto';
import type { AttributeValue, CancellationReason } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  ATTENTION_INDEX,
  DIGEST_DUE_KIND,
  type DigestJoin,
  type DigestWindow,
  digestDueKey,
  digestDuePartition,
  digestWindowKey,
  MAX_DIGEST_FAILURES,
  TTL_ATTRIBUTE,
  type WindowRef,
} from '@eventline/core';
import type { DynamoDbApi } from './apis.ts';
import { type NamedResource, translate } from './errors.ts';

/** A window's key (core's digest-due.ts: under the outcome items' prefix, unlike any outcome's). */
export const windowKey = digestWindowKey;

/** The `kind` of window items (scans for `file` or `record` items leave them out). */
export const DIGEST_KIND = 'digest';

export interface DigestTable {
  dynamodb: DynamoDbApi;
  tableName: string;
  table: NamedResource;
  expiry: () => number | undefined;
}

/** A window item as the core reads it. */
export function digestWindowOf(item: Record<string, unknown>, ref: WindowRef): DigestWindow {
  const n = (name: string) => Number(item[name] ?? 0);
  const window: DigestWindow = {
    ...ref,
    endsAt: n('endsAt'),
    files: n('files'),
    processed: n('processed'),
    failed: n('failed'),
    written: n('written'),
    rejected: n('rejected'),
    failures: Array.isArray(item.failures) ? (item.failures as DigestWindow['failures']) : [],
  };
  for (const name of ['firstAt', 'lastAt', 'closedAt', 'sentAt', 'messageId'] as const) {
    if (typeof item[name] === 'string') window[name] = item[name] as string;
  }
  if (item.publishing !== undefined) window.publishing = Number(item.publishing);
  return window;
}

function windowUpdate(join: DigestJoin, at: string, expires: number | undefined, withFailure: boolean) {
  const { window, entry } = join;
  const names: Record<string, string> = {
    '#kind': 'kind',
    '#route': 'route',
    '#start': 'start',
    '#part': 'part',
    '#endsAt': 'endsAt',
    '#firstAt': 'firstAt',
    '#lastAt': 'lastAt',
    '#closedAt': 'closedAt',
    '#files': 'files',
    '#processed': 'processed',
    '#failed': 'failed',
    '#written': 'written',
    '#rejected': 'rejected',
  };
  const values: Record<string, AttributeValue> = {
    ':kind': { S: DIGEST_KIND },
    ':route': { S: window.route },
    ':start': { N: String(window.start) },
    ':part': { N: String(window.part) },
    ':endsAt': { N: String(join.endsAt) },
    ':at': { S: at },
    ':one': { N: '1' },
    ':max': { N: String(join.maxFiles) },
    ':processed': { N: entry.status === 'PROCESSED' ? '1' : '0' },
    ':failed': { N: entry.status === 'FAILED' ? '1' : '0' },
    ':written': { N: String(entry.written) },
    ':rejected': { N: String(entry.rejected) },
  };
  let set =
    'SET #kind = :kind, #route = :route, #start = :start, #part = :part, #endsAt = :endsAt, #firstAt = if_not_exists(#firstAt, :at), #lastAt = :at';
  let condition = 'attribute_not_exists(#closedAt) AND (attribute_not_exists(#files) OR #files < :max)';
  if (expires !== undefined) {
    names['#ttl'] = TTL_ATTRIBUTE;
    values[':ttl'] = { N: String(expires) };
    set += ', #ttl = :ttl';
  }
  if (withFailure && entry.failure) {
    names['#failures'] = 'failures';
    values[':none'] = { L: [] };
    values[':failure'] = {
      L: [
        {
          M: {
            key: { S: entry.failure.key },
            code: { S: entry.failure.code },
            reason: { S: entry.failure.reason },
          },
        },
      ],
    };
    values[':maxFailures'] = { N: String(MAX_DIGEST_FAILURES) };
    set += ', #failures = list_append(if_not_exists(#failures, :none), :failure)';
    condition += ' AND (attribute_not_exists(#failures) OR size(#failures) < :maxFailures)';
  }
  return {
    UpdateExpression: `${set} ADD #files :one, #processed :processed, #failed :failed, #written :written, #rejected :rejected`,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

const reasonsOf = (error: unknown): CancellationReason[] =>
  (error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [];

/**
 * The outcome's Put (conditional on its revision) and the window's Update in one transaction.
 * A window whose failure list is full is joined again without the failure's details.
 */
export async function putFileJoining(
  t: DigestTable,
  fileItem: Record<string, AttributeValue>,
  expectedRev: number,
  join: DigestJoin,
  at: string,
): Promise<'written' | 'stale' | 'closed' | 'full'> {
  if (!t.dynamodb.transactWriteItems) throw new Error('the DynamoDB client sends no TransactWriteItems');
  const pk = String(fileItem.pk?.S);
  let withFailure = join.entry.failure !== undefined;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    try {
      await t.dynamodb.transactWriteItems({
        ClientRequestToken: randomBytes(18).toString('base64url'),
        TransactItems: [
          {
            Put: {
              TableName: t.tableName,
              Item: fileItem,
              ConditionExpression: '#rev = :rev',
              ExpressionAttributeNames: { '#rev': 'rev' },
              ExpressionAttributeValues: { ':rev': { N: String(expectedRev) } },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          {
            Update: {
              TableName: t.tableName,
              Key: { pk: { S: windowKey(join.window) } },
              ...windowUpdate(join, at, t.expiry(), withFailure),
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
        ],
      });
      return 'written';
    } catch (error) {
      if ((error as { name?: string }).name !== 'TransactionCanceledException') {
        throw translate(error, `TransactWriteItems ${pk}`, t.table);
      }
      const [file, window] = reasonsOf(error);
      if (file?.Code === 'ConditionalCheckFailed') {
        // A retried request that DynamoDB had applied finds its own write (the same `w`).
        const old = file.Item ? unmarshall(file.Item) : undefined;
        return old && old.w === unmarshall(fileItem).w ? 'written' : 'stale';
      }
      if (window?.Code === 'ConditionalCheckFailed') {
        const old =
          window.Item && Object.keys(window.Item).length > 0 ? window.Item : await readWindow(t, join.window);
        const current = old ? digestWindowOf(unmarshall(old), join.window) : undefined;
        if (current?.closedAt) return 'closed';
        if (current && current.files >= join.maxFiles) return 'full';
        // Only the failure list was full: join with the counts alone.
        withFailure = false;
        continue;
      }
      // TransactionConflict (another transaction on one of the items): try again.
      if (attempt === 4) throw translate(error, `TransactWriteItems ${pk}`, t.table);
    }
  }
  throw new Error(`TransactWriteItems ${pk}: not written after 5 attempts`);
}

async function readWindow(
  t: DigestTable,
  ref: WindowRef,
): Promise<Record<string, AttributeValue> | undefined> {
  const pk = windowKey(ref);
  try {
    const { Item } = await t.dynamodb.getItem({
      TableName: t.tableName,
      Key: { pk: { S: pk } },
      ConsistentRead: true,
    });
    return Item;
  } catch (error) {
    throw translate(error, `GetItem ${pk}`, t.table);
  }
}

/**
 * Marks the window closed (no outcome joins it after) and takes the right to publish it until
 * `until`, unless it was sent or another close holds it (then the refusal's item says which).
 */
export async function closeWindow(
  t: DigestTable,
  ref: WindowRef,
  at: string,
  now: number,
  until: number,
): Promise<{ state: 'claimed' | 'sent' | 'busy'; window: DigestWindow }> {
  const pk = windowKey(ref);
  const expires = t.expiry();
  try {
    const { Attributes } = await t.dynamodb.updateItem({
      TableName: t.tableName,
      Key: { pk: { S: pk } },
      UpdateExpression: `SET #kind = :kind, #route = :route, #start = :start, #part = :part, #closedAt = if_not_exists(#closedAt, :at), #files = if_not_exists(#files, :zero), #publishing = :until${expires === undefined ? '' : ', #ttl = if_not_exists(#ttl, :ttl)'}`,
      ConditionExpression:
        'attribute_not_exists(#sentAt) AND (attribute_not_exists(#publishing) OR #publishing < :now)',
      ExpressionAttributeNames: {
        '#kind': 'kind',
        '#route': 'route',
        '#start': 'start',
        '#part': 'part',
        '#closedAt': 'closedAt',
        '#files': 'files',
        '#publishing': 'publishing',
        '#sentAt': 'sentAt',
        ...(expires === undefined ? {} : { '#ttl': TTL_ATTRIBUTE }),
      },
      ExpressionAttributeValues: {
        ':kind': { S: DIGEST_KIND },
        ':route': { S: ref.route },
        ':start': { N: String(ref.start) },
        ':part': { N: String(ref.part) },
        ':at': { S: at },
        ':zero': { N: '0' },
        ':until': { N: String(until) },
        ':now': { N: String(now) },
        ...(expires === undefined ? {} : { ':ttl': { N: String(expires) } }),
      },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    return { state: 'claimed', window: digestWindowOf(unmarshall(Attributes ?? {}), ref) };
  } catch (error) {
    if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') {
      throw translate(error, `UpdateItem ${pk}`, t.table);
    }
    const refused = (error as { Item?: Record<string, AttributeValue> }).Item;
    const old = refused && Object.keys(refused).length > 0 ? refused : await readWindow(t, ref);
    const window = digestWindowOf(old ? unmarshall(old) : {}, ref);
    return { state: window.sentAt ? 'sent' : 'busy', window };
  }
}

/** Ends the publish hold taken until `until`, unless another close has taken the window since. */
export async function releaseWindow(t: DigestTable, ref: WindowRef, until: number): Promise<void> {
  const pk = windowKey(ref);
  try {
    await t.dynamodb.updateItem({
      TableName: t.tableName,
      Key: { pk: { S: pk } },
      UpdateExpression: 'REMOVE #publishing',
      ConditionExpression: '#publishing = :until',
      ExpressionAttributeNames: { '#publishing': 'publishing' },
      ExpressionAttributeValues: { ':until': { N: String(until) } },
    });
  } catch (error) {
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return;
    throw translate(error, `UpdateItem ${pk}`, t.table);
  }
}

/** Records the window's digest as published, once: a later close finds it sent. */
export async function markWindowSent(
  t: DigestTable,
  ref: WindowRef,
  messageId: string,
  at: string,
): Promise<void> {
  const pk = windowKey(ref);
  try {
    await t.dynamodb.updateItem({
      TableName: t.tableName,
      Key: { pk: { S: pk } },
      UpdateExpression:
        'SET #sentAt = if_not_exists(#sentAt, :at), #messageId = if_not_exists(#messageId, :m)',
      ExpressionAttributeNames: { '#sentAt': 'sentAt', '#messageId': 'messageId' },
      ExpressionAttributeValues: { ':at': { S: at }, ':m': { S: messageId } },
    });
  } catch (error) {
    throw translate(error, `UpdateItem ${pk}`, t.table);
  }
}

/**
 * Records that a window is owed a close: its due item, in the `attention` index under
 * `<route>#DIGEST` sorted by the window's end, for the sweep (reconcile). Refused, and ignored, once
 * the window was sent (`sentAt` on the due item): a late writer does not put a sent window back.
 */
export async function markWindowDue(t: DigestTable, ref: WindowRef, endsAt: number): Promise<void> {
  const pk = digestDueKey(ref);
  const expires = t.expiry();
  try {
    await t.dynamodb.updateItem({
      TableName: t.tableName,
      Key: { pk: { S: pk } },
      UpdateExpression: `SET #kind = :kind, #route = :route, #start = :start, #part = :part, #endsAt = :endsAt, #ix = :ix, #ixAt = :ixAt${expires === undefined ? '' : ', #ttl = :ttl'}`,
      ConditionExpression: 'attribute_not_exists(#sentAt)',
      ExpressionAttributeNames: {
        '#kind': 'kind',
        '#route': 'route',
        '#start': 'start',
        '#part': 'part',
        '#endsAt': 'endsAt',
        '#ix': ATTENTION_INDEX.partitionKey,
        '#ixAt': ATTENTION_INDEX.sortKey,
        '#sentAt': 'sentAt',
        ...(expires === undefined ? {} : { '#ttl': TTL_ATTRIBUTE }),
      },
      ExpressionAttributeValues: {
        ':kind': { S: DIGEST_DUE_KIND },
        ':route': { S: ref.route },
        ':start': { N: String(ref.start) },
        ':part': { N: String(ref.part) },
        ':endsAt': { N: String(endsAt) },
        ':ix': { S: digestDuePartition(ref.route) },
        ':ixAt': { S: new Date(endsAt).toISOString() },
        ...(expires === undefined ? {} : { ':ttl': { N: String(expires) } }),
      },
    });
  } catch (error) {
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return;
    throw translate(error, `UpdateItem ${pk}`, t.table);
  }
}

/** The window was sent: its due item leaves the index and keeps `sentAt`, which refuses a late `markWindowDue`. */
export async function clearWindowDue(t: DigestTable, ref: WindowRef, at: string): Promise<void> {
  const pk = digestDueKey(ref);
  try {
    await t.dynamodb.updateItem({
      TableName: t.tableName,
      Key: { pk: { S: pk } },
      UpdateExpression:
        'SET #kind = :kind, #route = :route, #start = :start, #part = :part, #sentAt = if_not_exists(#sentAt, :at) REMOVE #ix, #ixAt',
      ExpressionAttributeNames: {
        '#kind': 'kind',
        '#route': 'route',
        '#start': 'start',
        '#part': 'part',
        '#sentAt': 'sentAt',
        '#ix': ATTENTION_INDEX.partitionKey,
        '#ixAt': ATTENTION_INDEX.sortKey,
      },
      ExpressionAttributeValues: {
        ':kind': { S: DIGEST_DUE_KIND },
        ':route': { S: ref.route },
        ':start': { N: String(ref.start) },
        ':part': { N: String(ref.part) },
        ':at': { S: at },
      },
    });
  } catch (error) {
    throw translate(error, `UpdateItem ${pk}`, t.table);
  }
}
