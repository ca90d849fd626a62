import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { type Moto, startMoto } from '@eventline/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `eventline doctor` against moto_server (CloudFormation, S3, DynamoDB, SQS, SNS), as a user runs it:
 * a separate process through bin/eventline.mjs, the AWS chain pointed at moto by AWS_ENDPOINT_URL.
 * moto has no Lambda GetAccountSettings, so Lambda's account settings come from
 * `lambdaAccountSettingsMock`, a mock of the AWS cloud itself (AWS_ENDPOINT_URL_LAMBDA, the SDK's
 * standard per-service setting), answering what a new account answers: a quota of 10.
 */

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

interface Finding {
  check: string;
  verdict: 'ok' | 'warn' | 'fail';
  message: string;
}

const REGION = 'eu-west-1';
let moto: Moto;
let lambdaAccountSettingsMock: Server;
let lambdaUrl: string;
let dir: string;
/** What the mock answers: a new account's quota by default. */
let accountLimit = { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 };

function eventline(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/eventline.mjs', ...args],
      {
        timeout: 90_000,
        env: {
          ...process.env,
          NO_COLOR: '1',
          AWS_ENDPOINT_URL: moto.url,
          AWS_ENDPOINT_URL_LAMBDA: lambdaUrl,
          AWS_REGION: REGION,
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_PROFILE: '',
        },
      },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}

async function doctor(
  config: Record<string, unknown>,
): Promise<Run & { file: string; findings: Record<string, Finding> }> {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.mjs`);
  await writeFile(file, `export default ${JSON.stringify(config)};\n`);
  const run = await eventline(['--config', file, 'doctor', '--json']);
  const parsed = JSON.parse(run.stdout || '{"findings":[]}') as { findings: Finding[] };
  return { ...run, file, findings: Object.fromEntries(parsed.findings.map((f) => [f.check, f])) };
}

const ROUTES = [{ id: 'default', prefix: 'incoming/', suffix: '.json', format: 'json' }];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eventline-doctor-'));
  moto = await startMoto();
  lambdaAccountSettingsMock = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.startsWith('/2016-08-19/account-settings')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ AccountLimit: accountLimit, AccountUsage: { FunctionCount: 0 } }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"message":"not mocked"}');
  });
  await new Promise<void>((resolve) => lambdaAccountSettingsMock.listen(0, '127.0.0.1', resolve));
  lambdaUrl = `http://127.0.0.1:${(lambdaAccountSettingsMock.address() as AddressInfo).port}`;
  const s3 = new S3Client({
    endpoint: moto.url,
    region: REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await s3.send(
    new CreateBucketCommand({
      Bucket: 'taken-ingest',
      CreateBucketConfiguration: { LocationConstraint: REGION },
    }),
  );
  s3.destroy();
}, 120_000);

afterAll(async () => {
  await new Promise((resolve) => lambdaAccountSettingsMock?.close(resolve));
  await moto?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('eventline doctor', () => {
  it('on a new account: the missing bootstrap fails, the default config deploys within a quota of 10', async () => {
    const run = await doctor({ routes: ROUTES, alarms: { notify: 'nowhere' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`eventline doctor: stack eventline, region ${REGION}, endpoint ${moto.url}`);
    expect(run.findings['cdk bootstrap']).toMatchObject({ verdict: 'fail' });
    expect(run.findings['cdk bootstrap']?.message).toContain(
      `npx cdk bootstrap aws://<account-id>/${REGION}`,
    );
    expect(run.findings.stack).toMatchObject({ verdict: 'ok' });
    // No reservation by default: nothing to refuse, only a word about the low quota.
    expect(run.findings['lambda concurrency']).toMatchObject({ verdict: 'warn' });
    expect(run.findings['lambda concurrency']?.message).toContain('account quota 10, 10 unreserved');
    expect(run.findings['alarm recipients']).toMatchObject({ verdict: 'warn' });
  });

  it('refuses a reservation the account cannot give, saying how much it can', async () => {
    const run = await doctor({ routes: ROUTES, function: { reservedConcurrency: 10 } });
    expect(run.findings['lambda concurrency']).toMatchObject({ verdict: 'fail' });
    expect(run.findings['lambda concurrency']?.message).toContain(
      'function.reservedConcurrency 10 cannot be reserved: account quota 10, 10 unreserved, and Lambda keeps 10 unreserved, so at most 0 can be',
    );
    accountLimit = { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 1000 };
    try {
      const roomy = await doctor({ routes: ROUTES, function: { reservedConcurrency: 10 } });
      expect(roomy.findings['lambda concurrency']).toMatchObject({ verdict: 'ok' });
      expect(roomy.findings['lambda concurrency']?.message).toContain('reserving 10 leaves 990');
    } finally {
      accountLimit = { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 };
    }
  });

  it('names a bucket name already taken, a missing alarm topic, and passes a bootstrapped account', async () => {
    const cfn = new CloudFormationClient({
      endpoint: moto.url,
      region: REGION,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    await cfn.send(
      new CreateStackCommand({
        StackName: 'CDKToolkit',
        TemplateBody: JSON.stringify({
          Resources: { Staging: { Type: 'AWS::S3::Bucket' } },
          Outputs: { BootstrapVersion: { Value: '30' } },
        }),
      }),
    );
    cfn.destroy();
    const run = await doctor({
      routes: ROUTES,
      bucket: { deployName: 'taken-ingest' },
      table: { deployName: 'free-ledger' },
      alarms: { topicArns: ['arn:aws:sns:eu-west-1:123456789012:no-such-oncall'] },
    });
    expect(run.code).toBe(1);
    expect(run.findings['cdk bootstrap']).toMatchObject({
      verdict: 'ok',
      message: 'CDKToolkit ready (version 30)',
    });
    expect(run.findings['bucket name']).toMatchObject({ verdict: 'fail' });
    expect(run.findings['bucket name']?.message).toContain('bucket.deployName "taken-ingest" already exists');
    expect(run.findings['table name']).toMatchObject({
      verdict: 'ok',
      message: 'table.deployName "free-ledger" is free',
    });
    expect(run.findings['ingest queue name']).toMatchObject({ verdict: 'ok' });
    expect(run.findings['alarm topic 0']).toMatchObject({ verdict: 'fail' });
    expect(run.findings['alarm topic 0']?.message).toContain('does not exist');
    // For people: one line per check, the verdict first.
    const text = await eventline(['--config', run.file, 'doctor']);
    expect(text.stdout).toMatch(/^FAIL +bucket name +bucket\.deployName "taken-ingest" already exists/m);
    expect(text.stdout).toMatch(/^ok +table name /m);
  });
});
