import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { coldStart } from './figures/bundle-size.ts';
import { bundle } from './lib/bundle.ts';
import { ratio, summarize } from './lib/stats.ts';

/**
 * Figure 4's "lighter client" question (issue 8): would @aws-lite/client with its S3, DynamoDB and
 * SNS plugins get the seed's three calls under 0.75x the naive SDK v3 build? Bundles the same three
 * calls both ways, exactly as the real handler is bundled, and cold-starts them interleaved.
 *
 * aws-lite is not a dependency of the project, so it is installed apart, outside the repo:
 *   mkdir -p /tmp/aws-lite-probe && cd /tmp/aws-lite-probe && echo '{"type":"module"}' > package.json \
 *     && npm install @aws-lite/client @aws-lite/s3 @aws-lite/dynamodb @aws-lite/sns @aws-lite/sqs
 *   npx tsx bench/aws-lite-probe.mts --dir /tmp/aws-lite-probe --runs 21
 */
const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: '/tmp/aws-lite-probe' },
    runs: { type: 'string', default: '21' },
  },
});
const dir = values.dir;
if (!existsSync(join(dir, 'node_modules', '@aws-lite', 'client'))) {
  throw new Error(
    `${dir}: @aws-lite/client is not installed there (see the comment at the top of this file)`,
  );
}
const runs = Number(values.runs);

const liteEntry = join(dir, 'entry.mjs');
await writeFile(
  liteEntry,
  `import awsLite from '@aws-lite/client';
import s3 from '@aws-lite/s3';
import dynamodb from '@aws-lite/dynamodb';
import sns from '@aws-lite/sns';
const aws = await awsLite({ plugins: [s3, dynamodb, sns] });
export const handler = async (event) => {
  for (const record of event.Records) {
    const { bucket, object } = record.s3;
    const { Body } = await aws.S3.GetObject({ Bucket: bucket.name, Key: object.key });
    const data = JSON.parse(Body.toString());
    await aws.DynamoDB.PutItem({ TableName: process.env.TABLE_NAME, Item: { pk: data.id ?? object.key, payload: data } });
    await aws.SNS.Publish({ TopicArn: process.env.TOPIC_ARN, Message: 'New file processed: ' + object.key, Subject: 'S3 Event Processed' });
  }
};
`,
);
await mkdir(join(dir, 'out'), { recursive: true });
const lite = await bundle(liteEntry, join(dir, 'out', 'lite', 'index.mjs'));
const naive = await bundle(
  new URL('./baseline/naive-bundle-entry.ts', import.meta.url).pathname,
  join(dir, 'out', 'naive', 'index.mjs'),
);
const samples = { naive: [] as number[], lite: [] as number[] };
await coldStart(naive.outfile);
await coldStart(lite.outfile);
for (let i = 0; i < runs; i++) {
  samples.naive.push((await coldStart(naive.outfile)).initMs);
  samples.lite.push((await coldStart(lite.outfile)).initMs);
}
const result = {
  runs,
  naive: { bytes: naive.bytes, initMs: summarize(samples.naive) },
  awsLite: { bytes: lite.bytes, initMs: summarize(samples.lite) },
  sizeRatio: ratio(lite.bytes, naive.bytes),
  initRatio: summarize(samples.lite.map((x, i) => ratio(x, samples.naive[i]!))),
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
