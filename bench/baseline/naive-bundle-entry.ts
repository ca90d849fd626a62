import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';

/**
 * Figure 4's naive build: the same three calls as the seed (S3 GetObject, a DynamoDB document-client
 * put, SNS Publish) with the SDK v3 clients imported the ordinary way and made at cold start, bundled
 * and minified by esbuild exactly like the real handler. Nothing else: no validation, no logging.
 */
const s3 = new S3Client({});
const table = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const sns = new SNSClient({});

interface S3Event {
  Records: Array<{ s3: { bucket: { name: string }; object: { key: string } } }>;
}

export const handler = async (event: S3Event): Promise<void> => {
  for (const record of event.Records) {
    const { bucket, object } = record.s3;
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket.name, Key: object.key }));
    const data = JSON.parse((await response.Body?.transformToString()) ?? '{}') as Record<string, unknown>;
    await table.send(
      new PutCommand({
        TableName: process.env.TABLE_NAME,
        Item: { pk: data.id ?? object.key, payload: data },
      }),
    );
    await sns.send(
      new PublishCommand({
        TopicArn: process.env.TOPIC_ARN,
        Message: `New file processed: ${object.key}`,
        Subject: 'S3 Event Processed',
      }),
    );
  }
};
