import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ACCOUNT, makeDataDir, type Running, removeDataDir, startEmulator } from './support.ts';

/** The SQS contract scenario through boto3 (a python script, `fixtures/boto3_contract.py`). */

const run = promisify(execFile);
const script = fileURLToPath(new URL('./fixtures/boto3_contract.py', import.meta.url));

let sqs: Running;
let dataDir: string;

beforeAll(async () => {
  dataDir = await makeDataDir();
  sqs = await startEmulator(dataDir);
});

afterAll(async () => {
  await sqs.stop();
  await removeDataDir(dataDir);
});

it('passes the boto3 scenario: send, visibility expiry, stale handle, redrive, long polling, batches, errors', async () => {
  const { stdout } = await run('python3', [script, sqs.url], { timeout: 90_000 });
  const seen = JSON.parse(stdout) as Record<string, unknown>;
  expect(seen).toMatchObject({
    queueUrl: `${sqs.url}/${ACCOUNT}/boto-main`,
    md5Body: '5d41402abc4b2a76b9719d911017c592',
    md5Attributes: '589fd905f137a025c02575957adcd9b1',
    firstReceiveCount: '1',
    attribute: { DataType: 'String', StringValue: 'John Grisham' },
    secondReceiveCount: '2',
    sameMessage: true,
    notVisibleAfterStaleDelete: '1',
    notVisibleAfterDelete: '0',
    redriveReceives: [1, 1, 0],
    deadBodies: ['poison'],
    longPollBodies: ['wake'],
    batchSuccessful: ['ok'],
    batchFailed: [['bad', 'InvalidParameterValue', true]],
    missingQueueError: 'AWS.SimpleQueueService.NonExistentQueue',
    missingQueueIsModeled: true,
    garbageHandleError: 'ReceiptHandleIsInvalid',
  });
  // Bounded well below WaitTimeSeconds (20): a poll that waited it out would fail here.
  expect(seen.longPollSeconds).toBeLessThan(10);
});
