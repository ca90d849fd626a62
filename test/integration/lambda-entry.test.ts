import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { configDefines, parseConfig } from '@eventline/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle } from '../../bench/lib/bundle.ts';
import projectConfig from '../../eventline.config.ts';

/**
 * The Lambda entry (packages/lambda/src/index.ts) bundled as the CDK app bundles it (the config carried in
 * as data), in a fresh Node process, as Lambda loads it: Powertools' structured logs carry the
 * invocation context, `cold_start` true on the first invocation only.
 */

const run = promisify(execFile);
const entry = createRequire(import.meta.url).resolve('@eventline/lambda/entry');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eventline-entry-'));
  const built = await bundle(entry, join(dir, 'index.mjs'), {
    define: configDefines(parseConfig(projectConfig)),
  });
  await writeFile(
    join(dir, 'invoke.mjs'),
    `import { handler } from ${JSON.stringify(pathToFileURL(built.outfile).href)};
const context = (id) => ({
  awsRequestId: id,
  functionName: 'eventline-handler',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:eventline-handler',
  memoryLimitInMB: '512',
  logGroupName: '/aws/lambda/eventline-handler',
  logStreamName: 'stream',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 60000,
  done() {}, fail() {}, succeed() {},
});
const testEvent = { Service: 'Amazon S3', Event: 's3:TestEvent', Time: new Date().toISOString(), Bucket: 'b', RequestId: 'x', HostId: 'y' };
await handler(testEvent, context('first'));
await handler(testEvent, context('second'));
`,
  );
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function coldStarts(extra: Record<string, string>): Promise<Array<[string, unknown]>> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    DLQ_URL: 'http://127.0.0.1:9/000000000000/eventline-dlq',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
  const { stdout } = await run(process.execPath, [join(dir, 'invoke.mjs')], { env, timeout: 60_000 });
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((log) => log.message === 's3:TestEvent acknowledged and ignored')
    .map((log) => [String(log.function_request_id), log.cold_start]);
}

describe('the Lambda entry in a fresh process', () => {
  it('logs cold_start true on the first invocation and false after, outside Lambda too', async () => {
    expect(await coldStarts({})).toEqual([
      ['first', true],
      ['second', false],
    ]);
  });

  it('does the same on Lambda (on-demand), and false on a provisioned-concurrency instance', async () => {
    expect(await coldStarts({ AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' })).toEqual([
      ['first', true],
      ['second', false],
    ]);
    expect(await coldStarts({ AWS_LAMBDA_INITIALIZATION_TYPE: 'provisioned-concurrency' })).toEqual([
      ['first', false],
      ['second', false],
    ]);
  });
});
