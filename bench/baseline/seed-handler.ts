import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type BenchHandler, recordsOf, type StackEndpoint } from './client-config.ts';

/**
 * The seed's Lambda handler (the Python in the article eventline grew from), line for line in
 * TypeScript, as the baseline of figure 1:
 *
 *   ddb = boto3.resource("dynamodb"); sns = boto3.client("sns")        # once, at cold start
 *   for record in event["Records"]:                                    # sequential records
 *       s3 = boto3.client("s3")                                        # a new S3 client per record
 *       body = s3.get_object(...)["Body"].read().decode("utf-8")       # the whole body, as a string
 *       data = json.loads(body)
 *       table.put_item(Item={"pk": data.get("id", key), "payload": data})   # one PutItem per file
 *       sns.publish(TopicArn=..., Message=f"New file processed: {key}", Subject="S3 Event Processed")
 *
 * Kept as the seed has it: the key is used as it arrives in the event (URL-encoded), nothing is
 * idempotent, a failure simply throws. Two differences, both in the baseline's favour or neutral:
 * the per-record S3 client is destroyed after use (CPython frees boto3's client, and its connection
 * pool, when the next iteration rebinds `s3`), and numbers are stored as DynamoDB numbers by the
 * document client where boto3's resource would reject Python floats (the bench files hold integers).
 */
export function createSeedHandler(stack: StackEndpoint, names: { tableName: string; topicArn: string }) {
  const common = { region: stack.region, endpoint: stack.endpoint, credentials: stack.credentials };
  const table = DynamoDBDocumentClient.from(new DynamoDBClient(common));
  const sns = new SNSClient(common);

  const handler: BenchHandler = async (event) => {
    for (const record of recordsOf(event)) {
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
    }
  };

  return {
    handler,
    close(): void {
      table.destroy();
      sns.destroy();
    },
  };
}
