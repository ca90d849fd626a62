import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type BenchHandler, recordsOf, type StackEndpoint } from './client-config.ts';

/**
 * The raw limit of figure 2: the fewest calls that do the job of one small file (GetObject,
 * PutItem, Publish), with clients made once and reused, and no pipeline logic at all: no ledger
 * claim, no idempotency, no outcome item, no validation, no error handling beyond throwing. The
 * notification is a small JSON document naming the key, as eventline's machine-readable one does.
 *
 * With `ledgerCalls`, it also makes the ledger calls eventline makes for one file, in eventline's
 * order and with an outcome item of about eventline's size, but none of its logic: a consistent
 * GetItem of the outcome item, a conditional PutItem claiming it, then (after the record) a
 * conditional PutItem of the result and, after the Publish, one marking the notification sent. The
 * difference between this and eventline is the pipeline's own cost; between this and the plain raw
 * handler, the cost of the extra round trips.
 */
export function createRawHandler(
  stack: StackEndpoint,
  names: { tableName: string; topicArn: string },
  options: { ledgerCalls?: boolean } = {},
) {
  const common = { region: stack.region, endpoint: stack.endpoint, credentials: stack.credentials };
  const s3 = new S3Client({
    ...common,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient(common));
  const sns = new SNSClient(common);

  const handler: BenchHandler = async (event) => {
    for (const record of recordsOf(event)) {
      const bucket = record.s3.bucket.name;
      const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
      const pk = `#file#${bucket}/${key}`;
      const outcome = (rev: number, status: string) =>
        new PutCommand({
          TableName: names.tableName,
          Item: { pk, kind: 'file', rev, status, state: OUTCOME_FILLER },
          ...(rev === 1
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: '#rev = :rev',
                ExpressionAttributeNames: { '#rev': 'rev' },
                ExpressionAttributeValues: { ':rev': rev - 1 },
              }),
        });
      if (options.ledgerCalls) {
        await documents.send(
          new GetCommand({ TableName: names.tableName, Key: { pk }, ConsistentRead: true }),
        );
        await documents.send(outcome(1, 'PROCESSING'));
      }
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const text = (await object.Body?.transformToString('utf-8')) ?? '';
      const data = JSON.parse(text) as Record<string, unknown>;
      await documents.send(
        new PutCommand({ TableName: names.tableName, Item: { pk: data.id ?? key, payload: data } }),
      );
      if (options.ledgerCalls) await documents.send(outcome(2, 'PROCESSED'));
      await sns.send(
        new PublishCommand({
          TopicArn: names.topicArn,
          Subject: 'S3 Event Processed',
          Message: JSON.stringify({ status: 'PROCESSED', bucket, key }),
        }),
      );
      if (options.ledgerCalls) await documents.send(outcome(3, 'SENT'));
    }
  };

  return {
    handler,
    close(): void {
      s3.destroy();
      documents.destroy();
      sns.destroy();
    },
  };
}

/** Stands in for eventline's outcome state (about 700 bytes), so the outcome item has about its size. */
const OUTCOME_FILLER = 'x'.repeat(700);
