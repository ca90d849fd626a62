import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type BenchHandler, recordsOf, type StackEndpoint } from './client-config.ts';

/**
 * The raw limit of figure 2: the fewest calls that do the job of one small file (GetObject,
 * PutItem, Publish), with clients made once and reused, and no pipeline logic at all: no ledger
 * claim, no idempotency, no outcome item, no validation, no error handling beyond throwing. The
 * notification is a small JSON document naming the key, as eventline's machine-readable one does.
 */
export function createRawHandler(stack: StackEndpoint, names: { tableName: string; topicArn: string }) {
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
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const data = JSON.parse((await object.Body?.transformToString('utf-8')) ?? '') as Record<
        string,
        unknown
      >;
      await documents.send(
        new PutCommand({ TableName: names.tableName, Item: { pk: data.id ?? key, payload: data } }),
      );
      await sns.send(
        new PublishCommand({
          TopicArn: names.topicArn,
          Subject: 'S3 Event Processed',
          Message: JSON.stringify({ status: 'PROCESSED', bucket, key }),
        }),
      );
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
