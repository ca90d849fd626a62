import { randomUUID } from 'node:crypto';
import {
  BatchWriteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { TransientError } from '../core/errors.ts';
import { fileKey } from '../core/items.ts';
import type { Clock, FileState, Ledger, Logger, Metrics, RecordWriter } from '../core/ports.ts';
import { noMetrics, silentLogger, systemClock } from '../core/ports.ts';
import type { AttributeMap } from '../core/values.ts';
import { batchedWriter } from './dynamo-record-writer.ts';
import { isTransientAwsError, translate } from './errors.ts';

export interface DynamoLedgerOptions {
  tableName: string;
  dynamodb: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  logger?: Logger;
  metrics?: Metrics;
  /** First backoff delay for UnprocessedItems and throttling; grows x2 with full jitter up to `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  clock?: Clock;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The ledger in one DynamoDB table keyed by `pk`: record items and one outcome item per object. */
export class DynamoLedger implements Ledger {
  private readonly logger: Logger;
  private readonly metrics: Metrics;

  constructor(private readonly options: DynamoLedgerOptions) {
    this.logger = options.logger ?? silentLogger;
    this.metrics = options.metrics ?? noMetrics;
  }

  async getFile(bucket: string, key: string): Promise<FileState | undefined> {
    try {
      const { Item } = await this.options.documents.send(
        new GetCommand({
          TableName: this.options.tableName,
          Key: { pk: fileKey(bucket, key) },
          ConsistentRead: true,
        }),
      );
      return Item ? (Item.state as FileState) : undefined;
    } catch (error) {
      throw translate(error, `GetItem ${fileKey(bucket, key)}`);
    }
  }

  async putFile(state: FileState, expectedRev: number | undefined): Promise<boolean> {
    const pk = fileKey(state.bucket, state.key);
    const writeId = randomUUID();
    try {
      await this.options.documents.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: {
            pk,
            kind: 'file',
            rev: state.rev,
            status: state.status,
            seq: state.seq,
            bucket: state.bucket,
            objectKey: state.key,
            updatedAt: state.updatedAt,
            writeId,
            state,
          },
          ...(expectedRev === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: '#rev = :rev',
                ExpressionAttributeNames: { '#rev': 'rev' },
                ExpressionAttributeValues: { ':rev': expectedRev },
              }),
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') {
        // The SDK retries a request whose connection died after DynamoDB applied it; the retry then
        // fails its own condition. If the item carries this write's id, the write is ours.
        return (await this.writeIdOf(pk)) === writeId;
      }
      throw translate(error, `PutItem ${pk}`);
    }
  }

  private async writeIdOf(pk: string): Promise<string | undefined> {
    try {
      const { Item } = await this.options.documents.send(
        new GetCommand({
          TableName: this.options.tableName,
          Key: { pk },
          ConsistentRead: true,
          ProjectionExpression: '#w',
          ExpressionAttributeNames: { '#w': 'writeId' },
        }),
      );
      return typeof Item?.writeId === 'string' ? Item.writeId : undefined;
    } catch (error) {
      throw translate(error, `GetItem ${pk}`);
    }
  }

  async putRecord(item: AttributeMap, guard: { bucket: string; key: string; seq: string }) {
    try {
      await this.options.dynamodb.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: item,
          // A record key may be shared by several objects (last writer wins), but within one object
          // a later version is never overwritten by an earlier one.
          ConditionExpression: 'attribute_not_exists(pk) OR #origin <> :origin OR #seq <= :seq',
          ExpressionAttributeNames: { '#origin': 'origin', '#seq': 'seq' },
          ExpressionAttributeValues: {
            ':origin': { S: `${guard.bucket}/${guard.key}` },
            ':seq': { S: guard.seq },
          },
        }),
      );
      return 'written' as const;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException')
        return 'superseded' as const;
      throw translate(error, `PutItem ${guard.key}`);
    }
  }

  recordWriter(options: { parallelism: number; deadlineMs: number }): RecordWriter {
    return batchedWriter(this, options, this.options.clock ?? systemClock);
  }

  async putRecords(items: AttributeMap[], { deadline }: { deadline: number }): Promise<void> {
    const table = this.options.tableName;
    const base = this.options.baseDelayMs ?? 50;
    const cap = this.options.maxDelayMs ?? 5_000;
    for (let start = 0; start < items.length; start += 25) {
      let pending: WriteRequest[] = items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } }));
      let attempt = 0;
      while (pending.length > 0) {
        try {
          const response = await this.options.dynamodb.send(
            new BatchWriteItemCommand({ RequestItems: { [table]: pending } }),
          );
          pending = response.UnprocessedItems?.[table] ?? [];
          if (pending.length > 0) this.metrics.count('UnprocessedItemsRetried', pending.length);
        } catch (error) {
          if (!isTransientAwsError(error)) throw translate(error, `BatchWriteItem ${table}`);
          this.metrics.count('WriteRetries');
          this.logger.warn('BatchWriteItem failed; retrying', {
            error: (error as Error).message,
            name: (error as Error).name,
            attempt,
          });
        }
        if (pending.length === 0) break;
        attempt += 1;
        // Exponential backoff with full jitter, bounded by the deadline.
        const delay = Math.random() * Math.min(cap, base * 2 ** attempt);
        if (Date.now() + delay > deadline) {
          throw new TransientError(
            'write-deadline',
            `BatchWriteItem ${table}: ${pending.length} items still unprocessed after ${attempt} attempts`,
          );
        }
        await sleep(delay);
      }
    }
  }
}
