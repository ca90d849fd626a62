import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type BenchHandler, recordsOf, type StackEndpoint } from './client-config.ts';

/**
 * "The seed hardened the standard way": what an AWS engineer builds from the seed's production list
 * with the standard tools. The seed's per-record work (GetObject, PutItem, Publish) is wrapped with
 * Powertools' `makeIdempotent` on a DynamoDB persistence layer (its own table, keyed `id`, TTL
 * `expiration`), keyed by the S3 object version (bucket, key, sequencer); the function's on-failure
 * dead-letter queue is the deployment's (locally: the invoker's, the same for every variant).
 *
 * Per new file that is a conditional PutItem (INPROGRESS) and an UpdateItem (COMPLETED) more than
 * the seed; a redelivery is the refused PutItem (ALL_OLD returns the record; an engine that does not
 * costs a GetItem more). What it does not give, compared with eventline: ordering of versions, a
 * failure outcome with its reason, bounded streaming, continuations.
 */
export const IDEMPOTENCY_TABLE = 'idempotency';

export async function ensureIdempotencyTable(dynamodb: DynamoDBClient): Promise<void> {
  try {
    await dynamodb.send(new DescribeTableCommand({ TableName: IDEMPOTENCY_TABLE }));
    return;
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
  }
  await dynamodb.send(
    new CreateTableCommand({
      TableName: IDEMPOTENCY_TABLE,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}

interface S3Record {
  s3: { bucket: { name: string }; object: { key: string; sequencer?: string } };
}

export function createHardenedSeedHandler(
  stack: StackEndpoint,
  names: { tableName: string; topicArn: string },
) {
  const common = { region: stack.region, endpoint: stack.endpoint, credentials: stack.credentials };
  const dynamodb = new DynamoDBClient(common);
  const table = DynamoDBDocumentClient.from(dynamodb);
  const sns = new SNSClient(common);
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: IDEMPOTENCY_TABLE,
    awsSdkV3Client: dynamodb,
  });
  const config = new IdempotencyConfig({
    eventKeyJmesPath: '[s3.bucket.name, s3.object.key, s3.object.sequencer]',
    expiresAfterSeconds: 24 * 3600,
  });

  // The seed's body for one record, unchanged.
  const processRecord = makeIdempotent(
    async (record: S3Record) => {
      const bucket = record.s3.bucket.name;
      const key = record.s3.object.key;
      const s3 = new S3Client({ ...common, forcePathStyle: true });
      let body: string;
      try {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        body = (await object.Body?.transformToString('utf-8')) ?? '';
      } finally {
        s3.destroy();
      }
      const data = JSON.parse(body) as Record<string, unknown>;
      const pk = 'id' in data ? data.id : key;
      await table.send(new PutCommand({ TableName: names.tableName, Item: { pk, payload: data } }));
      await sns.send(
        new PublishCommand({
          TopicArn: names.topicArn,
          Message: `New file processed: ${key}`,
          Subject: 'S3 Event Processed',
        }),
      );
      return { key };
    },
    { persistenceStore, config },
  );

  const handler: BenchHandler = async (event, context) => {
    // As Powertools asks: the invocation's context, so an INPROGRESS record expires with it.
    if (context) config.registerLambdaContext(context);
    for (const record of recordsOf(event)) await processRecord(record as S3Record);
  };

  return {
    handler,
    ready: () => ensureIdempotencyTable(dynamodb),
    close(): void {
      dynamodb.destroy();
      sns.destroy();
    },
  };
}
