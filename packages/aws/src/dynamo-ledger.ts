/**
 * The ledger on DynamoDB: the `Ledger` port's claims, outcomes and records as conditional writes on one
 * table, retried with backoff (the item layout is core's items.ts).
 */
import { randomBytes } from 'node:crypto';
import type { AttributeValue, WriteRequest } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type {
  AttributeMap,
  ClaimResult,
  Clock,
  DigestJoin,
  FileState,
  Ledger,
  Logger,
  Metrics,
  RecordWriter,
  RecordWriterOptions,
  WindowRef,
} from '@eventline/core';
import {
  attentionKey,
  boundedState,
  describeError,
  expiresAt,
  fileKey,
  fileStateOf,
  noMetrics,
  silentLogger,
  systemClock,
  TransientError,
  TTL_ATTRIBUTE,
} from '@eventline/core';
import type { DynamoDbApi } from './apis.ts';
import {
  clearWindowDue,
  closeWindow,
  type DigestTable,
  markWindowDue,
  markWindowSent,
  putFileJoining,
  releaseWindow,
} from './dynamo-digest.ts';
import { batchedWriter } from './dynamo-record-writer.ts';
import { isTransientAwsError, type NamedResource, translate } from './errors.ts';

export interface DynamoLedgerOptions {
  tableName: string;
  /** The setting that named the table (`table.name`, `TABLE_NAME`), for errors; default `table.name`. */
  tableSetting?: string;
  /** The item operations: an SDK v3 client from `createClients`, or the Lambda entry's `http/` client. */
  dynamodb: DynamoDbApi;
  /** Not used by the ledger (kept for callers that pass it). */
  documents?: DynamoDBDocumentClient;
  logger?: Logger;
  metrics?: Metrics;
  /** First backoff delay for UnprocessedItems and throttling; grows x2 with full jitter up to `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  clock?: Clock;
  /** `ledger.ttlDays`: every record and outcome item gets `expiresAt`, this many days after its write. */
  ttlDays?: number;
  /** The clock the expiry is computed from (tests). @default Date.now */
  now?: () => number;
  /** How backoff waits (default: real time); the protocol simulator passes its virtual clock's. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * A signal that aborts at `deadline` (ms of `clock`): it bounds each BatchWriteItem call, the
   * client's own retries included. Default: `AbortSignal.timeout` to it; the simulator passes one of
   * its virtual clock.
   */
  abortAt?: (deadline: number) => AbortSignal;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Tells a write of ours from another's when a retried request finds its own write applied. */
const writeId = () => randomBytes(9).toString('base64url');

/**
 * The outcome item of one object: the key once (in `pk`), the attributes conditions read at the top
 * (`rev`, `status`, `lease`, `seq`, `owes`), and the rest of the state, bounded, in `state`.
 */
export function fileItem(state: FileState, w: string, expires?: number): Record<string, AttributeValue> {
  const { bucket: _b, key: _k, seq: _s, rev: _r, leaseUntil: _l, ...rest } = boundedState(state);
  const owes =
    state.notification.status === 'PENDING' ||
    state.deadLetter.status === 'PENDING' ||
    (state.owed?.length ?? 0) > 0;
  return marshall(
    {
      pk: fileKey(state.bucket, state.key),
      kind: 'file',
      rev: state.rev,
      status: state.status,
      lease: state.leaseUntil,
      ...(state.sequencer ? { seq: state.seq } : {}),
      ...(owes ? { owes: true } : {}),
      // The sparse `attention` index (core's ledger-index.ts): only an outcome that needs a look.
      ...attentionKey(state),
      w,
      state: rest,
      ...(expires === undefined ? {} : { [TTL_ATTRIBUTE]: expires }),
    },
    { removeUndefinedValues: true },
  );
}

/** Decodes an outcome item (the layout is core's: `@eventline/core/items.ts`). */
export { fileStateOf };

/** The ledger in one DynamoDB table keyed by `pk`: record items and one outcome item per object. */
export class DynamoLedger implements Ledger {
  private readonly logger: Logger;
  private readonly metrics: Metrics;

  private readonly table: NamedResource;

  constructor(private readonly options: DynamoLedgerOptions) {
    this.table = { kind: 'table', name: options.tableName, setting: options.tableSetting ?? 'table.name' };
    this.logger = options.logger ?? silentLogger;
    this.metrics = options.metrics ?? noMetrics;
  }

  /** The TTL attribute of an item written now, when `ttlDays` is set. */
  private expiry(): number | undefined {
    return expiresAt(this.options.ttlDays, (this.options.now ?? Date.now)());
  }

  private withExpiry(item: AttributeMap): AttributeMap {
    const at = this.expiry();
    return at === undefined ? item : { ...item, [TTL_ATTRIBUTE]: { N: String(at) } };
  }

  async getFile(bucket: string, key: string): Promise<FileState | undefined> {
    const pk = fileKey(bucket, key);
    try {
      const { Item } = await this.options.dynamodb.getItem({
        TableName: this.options.tableName,
        Key: { pk: { S: pk } },
        ConsistentRead: true,
      });
      return Item ? fileStateOf(unmarshall(Item)) : undefined;
    } catch (error) {
      throw translate(error, `GetItem ${pk}`, this.table);
    }
  }

  async claim(state: FileState, now: number): Promise<ClaimResult> {
    const pk = fileKey(state.bucket, state.key);
    const w = writeId();
    const expires = this.expiry();
    const item = fileItem(state, w, expires);
    const names: Record<string, string> = {
      '#pk': 'pk',
      '#kind': 'kind',
      '#status': 'status',
      '#lease': 'lease',
      '#state': 'state',
      '#w': 'w',
      '#rev': 'rev',
      '#owes': 'owes',
      '#seq': 'seq',
    };
    const values: Record<string, AttributeValue> = {
      ':kind': { S: 'file' },
      ':status': { S: state.status },
      ':lease': { N: String(state.leaseUntil) },
      ':state': item.state as AttributeValue,
      ':w': { S: w },
      ':one': { N: '1' },
    };
    let update = 'SET #kind = :kind, #status = :status, #lease = :lease, #state = :state, #w = :w';
    if (expires !== undefined) {
      names['#ttl'] = TTL_ATTRIBUTE;
      values[':ttl'] = { N: String(expires) };
      update += ', #ttl = :ttl';
    }
    let condition = 'attribute_not_exists(#pk)';
    if (state.sequencer) {
      update += ', #seq = :seq';
      values[':seq'] = { S: state.seq };
      values[':processing'] = { S: 'PROCESSING' };
      values[':now'] = { N: String(now) };
      // A newer version takes the item over from an older one that is done (or whose lease ran out)
      // and owes nothing; anything else is decided by the caller from the state returned.
      condition +=
        ' OR (#seq < :seq AND attribute_not_exists(#owes) AND (#status <> :processing OR #lease < :now))';
    }
    // A claim is in the `attention` index only as a retry or a continuation (core's ledger-index.ts);
    // a first attempt removes what an older version's FAILED outcome had there.
    const attention = attentionKey(state);
    names['#ix'] = 'ix';
    names['#ixAt'] = 'ixAt';
    if (attention) {
      update += ', #ix = :ix, #ixAt = :ixAt';
      values[':ix'] = { S: attention.ix };
      values[':ixAt'] = { S: attention.ixAt };
    }
    update += state.sequencer ? ' REMOVE #owes' : ' REMOVE #owes, #seq';
    if (!attention) update += ', #ix, #ixAt';
    update += ' ADD #rev :one';
    try {
      const { Attributes } = await this.options.dynamodb.updateItem({
        TableName: this.options.tableName,
        Key: { pk: { S: pk } },
        UpdateExpression: update,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'UPDATED_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
      const rev = Number(Attributes?.rev?.N ?? Number.NaN);
      if (!Number.isFinite(rev)) throw new Error(`UpdateItem ${pk}: no revision returned`);
      return { claimed: true, state: { ...state, rev } };
    } catch (error) {
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') {
        throw translate(error, `UpdateItem ${pk}`, this.table);
      }
      const current = await this.refusedBy(error, state.bucket, state.key);
      // The SDK retries a request whose connection died after DynamoDB applied it; the retry then
      // fails its own condition. If the item carries this write's id, the claim is ours.
      if (current && current.writeId === w) return { claimed: true, state: current.state };
      return { claimed: false, current: current?.state };
    }
  }

  /** What a refused conditional write found: from the refusal itself (ALL_OLD), or read back. */
  private async refusedBy(
    error: unknown,
    bucket: string,
    key: string,
  ): Promise<{ state: FileState; writeId: string | undefined } | undefined> {
    const old = (error as { Item?: Record<string, AttributeValue> }).Item;
    let item: Record<string, unknown> | undefined;
    if (old && Object.keys(old).length > 0) {
      item = unmarshall(old);
    } else {
      // Engines that ignore ReturnValuesOnConditionCheckFailure (dynalite) return no Item.
      this.metrics.count('LedgerReadFallbacks');
      const pk = fileKey(bucket, key);
      try {
        const { Item } = await this.options.dynamodb.getItem({
          TableName: this.options.tableName,
          Key: { pk: { S: pk } },
          ConsistentRead: true,
        });
        item = Item ? unmarshall(Item) : undefined;
      } catch (readError) {
        throw translate(readError, `GetItem ${pk}`, this.table);
      }
    }
    if (!item) return undefined;
    return { state: fileStateOf(item), writeId: typeof item.w === 'string' ? item.w : undefined };
  }

  async putFile(state: FileState, expectedRev: number | undefined): Promise<boolean> {
    const pk = fileKey(state.bucket, state.key);
    const w = writeId();
    try {
      await this.options.dynamodb.putItem({
        TableName: this.options.tableName,
        Item: fileItem(state, w, this.expiry()),
        ...(expectedRev === undefined
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : {
              ConditionExpression: '#rev = :rev',
              ExpressionAttributeNames: { '#rev': 'rev' },
              ExpressionAttributeValues: { ':rev': { N: String(expectedRev) } },
            }),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') {
        // As for claims: a retried request that DynamoDB had applied finds its own write.
        return (await this.refusedBy(error, state.bucket, state.key))?.writeId === w;
      }
      throw translate(error, `PutItem ${pk}`, this.table);
    }
  }

  private digestTable(): DigestTable {
    return {
      dynamodb: this.options.dynamodb,
      tableName: this.options.tableName,
      table: this.table,
      expiry: () => this.expiry(),
    };
  }

  putFileJoining(state: FileState, expectedRev: number, join: DigestJoin) {
    const at = new Date((this.options.clock ?? systemClock).now()).toISOString();
    return putFileJoining(
      this.digestTable(),
      fileItem(state, writeId(), this.expiry()),
      expectedRev,
      join,
      at,
    );
  }

  closeWindow(ref: WindowRef, at: string, now: number, until: number) {
    return closeWindow(this.digestTable(), ref, at, now, until);
  }

  releaseWindow(ref: WindowRef, until: number): Promise<void> {
    return releaseWindow(this.digestTable(), ref, until);
  }

  markWindowSent(ref: WindowRef, messageId: string, at: string): Promise<void> {
    return markWindowSent(this.digestTable(), ref, messageId, at);
  }

  markWindowDue(ref: WindowRef, endsAt: number): Promise<void> {
    return markWindowDue(this.digestTable(), ref, endsAt);
  }

  clearWindowDue(ref: WindowRef, at: string): Promise<void> {
    return clearWindowDue(this.digestTable(), ref, at);
  }

  async putRecord(item: AttributeMap, guard: { bucket: string; key: string; seq: string }) {
    try {
      await this.options.dynamodb.putItem({
        TableName: this.options.tableName,
        Item: this.withExpiry(item),
        // A record key may be shared by several objects (last writer wins), but within one object
        // a later version is never overwritten by an earlier one.
        ConditionExpression: 'attribute_not_exists(pk) OR #origin <> :origin OR #seq <= :seq',
        ExpressionAttributeNames: { '#origin': 'origin', '#seq': 'seq' },
        ExpressionAttributeValues: {
          ':origin': { S: `${guard.bucket}/${guard.key}` },
          ':seq': { S: guard.seq },
        },
      });
      return 'written' as const;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException')
        return 'superseded' as const;
      throw translate(error, `PutItem ${guard.key}`, this.table);
    }
  }

  recordWriter(options: RecordWriterOptions): RecordWriter {
    return batchedWriter(this, options, this.options.clock ?? systemClock);
  }

  async putRecords(items: AttributeMap[], { deadline }: { deadline: number }): Promise<void> {
    const table = this.options.tableName;
    const base = this.options.baseDelayMs ?? 50;
    const cap = this.options.maxDelayMs ?? 5_000;
    // The deadline is the claim's lease, in the clock the lease was computed with.
    const clock = this.options.clock ?? systemClock;
    const wait = this.options.sleep ?? sleep;
    // The fence holds for a request in flight too (hole 11): a call, with the client's own retries
    // (4 tries of up to 20 s each), is abandoned at the deadline instead of landing past the lease.
    const abortSignal = (
      this.options.abortAt ?? ((at) => AbortSignal.timeout(Math.max(0, at - clock.now())))
    )(deadline);
    for (let start = 0; start < items.length; start += 25) {
      let pending: WriteRequest[] = items.slice(start, start + 25).map((Item) => ({
        PutRequest: { Item: this.withExpiry(Item) },
      }));
      let attempt = 0;
      while (pending.length > 0) {
        if (clock.now() >= deadline) {
          throw new TransientError(
            'write-deadline',
            `BatchWriteItem ${table}: ${pending.length} items not written: the write deadline (the claim's lease) has passed`,
          );
        }
        try {
          const response = await this.options.dynamodb.batchWriteItem(
            { RequestItems: { [table]: pending } },
            { abortSignal },
          );
          pending = response.UnprocessedItems?.[table] ?? [];
          if (pending.length > 0) this.metrics.count('UnprocessedItemsRetried', pending.length);
        } catch (error) {
          if (abortSignal.aborted) {
            this.metrics.count('WritesAbandoned');
            throw new TransientError(
              'write-deadline',
              `BatchWriteItem ${table}: ${pending.length} items: the request was abandoned at the write deadline (the claim's lease); they may or may not be written, and the file is retried`,
              { cause: error },
            );
          }
          if (!isTransientAwsError(error)) throw translate(error, `BatchWriteItem ${table}`, this.table);
          this.metrics.count('WriteRetries');
          this.logger.warn('BatchWriteItem failed; retrying', {
            error: describeError(error),
            attempt,
          });
        }
        if (pending.length === 0) break;
        attempt += 1;
        // Exponential backoff with full jitter, bounded by the deadline.
        const delay = Math.random() * Math.min(cap, base * 2 ** attempt);
        if (clock.now() + delay > deadline) {
          throw new TransientError(
            'write-deadline',
            `BatchWriteItem ${table}: ${pending.length} items still unprocessed after ${attempt} attempts`,
          );
        }
        await wait(delay);
      }
    }
  }
}
