import { startDynamoEmulator } from '../src/index.ts';

/**
 * npx tsx packages/dynamodb-emulator/bench/cold-start.mts
 * Milliseconds from this process's start to the emulator's first answered ListTables (module
 * loading included, as `npm start` pays it).
 */
const emulator = await startDynamoEmulator({ ttlSweepIntervalMs: 0 });
const answer = await fetch(emulator.url, {
  method: 'POST',
  headers: {
    'content-type': 'application/x-amz-json-1.0',
    'x-amz-target': 'DynamoDB_20120810.ListTables',
    'x-amz-date': '20000101T000000Z',
    authorization:
      'AWS4-HMAC-SHA256 Credential=a/20000101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
  },
  body: '{}',
});
if (!answer.ok) throw new Error(`ListTables answered ${answer.status}: ${await answer.text()}`);
process.stdout.write(`${Math.round(performance.now())}\n`);
await emulator.close();
