import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { awsCliEnv } from '@eventline/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT, makeDataDir, REGION, type Running, removeDataDir, startEmulator } from './support.ts';

/**
 * The same scenario through two real AWS CLIs: `aws` (v1, botocore 1.4x: AWS JSON 1.0) and
 * Debian's `/usr/bin/aws` (v2.9, whose botocore still speaks the Query protocol).
 */

const run = promisify(execFile);

const CLIS: Array<{ label: string; command: string }> = [{ label: 'aws v1 (JSON protocol)', command: 'aws' }];
if (existsSync('/usr/bin/aws'))
  CLIS.push({ label: 'Debian aws v2.9 (Query protocol)', command: '/usr/bin/aws' });

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

describe.each(CLIS)('$label', ({ command, label }) => {
  const suffix = label.startsWith('aws v1') ? 'v1' : 'v2';
  const cli = async (...args: string[]): Promise<Record<string, unknown>> => {
    const { stdout } = await run(
      command,
      [...args, '--endpoint-url', sqs.url, '--region', REGION, '--output', 'json'],
      {
        env: awsCliEnv(),
        timeout: 60_000,
      },
    );
    return stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>);
  };
  const cliError = async (...args: string[]): Promise<string> => {
    try {
      await cli(...args);
    } catch (error) {
      return (error as { stderr: string }).stderr;
    }
    throw new Error(`expected ${args.join(' ')} to fail`);
  };
  type Message = {
    MessageId: string;
    ReceiptHandle: string;
    Body: string;
    MD5OfBody: string;
    Attributes?: Record<string, string>;
  };
  const messagesOf = (out: Record<string, unknown>) => (out.Messages ?? []) as Message[];

  it('sends, receives after visibility expiry, ignores a stale handle and deletes with the latest', async () => {
    const name = `cli-${suffix}`;
    const created = await cli(
      'sqs',
      'create-queue',
      '--queue-name',
      name,
      '--attributes',
      'VisibilityTimeout=1',
    );
    const url = created.QueueUrl as string;
    expect(url).toBe(`${sqs.url}/${ACCOUNT}/${name}`);
    const body = 'line one\r\nline two & <three>';
    const sent = await cli(
      'sqs',
      'send-message',
      '--queue-url',
      url,
      '--message-body',
      body,
      '--message-attributes',
      '{"Author":{"DataType":"String","StringValue":"John Grisham"}}',
    );
    expect(sent.MD5OfMessageAttributes).toBe('589fd905f137a025c02575957adcd9b1');
    const receiveArgs = [
      'sqs',
      'receive-message',
      '--queue-url',
      url,
      '--attribute-names',
      'All',
      '--message-attribute-names',
      'All',
    ];
    const first = messagesOf(await cli(...receiveArgs, '--wait-time-seconds', '5'));
    expect(first).toHaveLength(1);
    expect(first[0]?.Body).toBe(body);
    expect(first[0]?.MessageId).toBe(sent.MessageId);
    expect(first[0]?.Attributes?.ApproximateReceiveCount).toBe('1');
    const second = messagesOf(
      await cli(...receiveArgs, '--wait-time-seconds', '10', '--visibility-timeout', '120'),
    );
    expect(second[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    await cli(
      'sqs',
      'delete-message',
      '--queue-url',
      url,
      '--receipt-handle',
      first[0]?.ReceiptHandle as string,
    );
    const stillThere = await cli(
      'sqs',
      'get-queue-attributes',
      '--queue-url',
      url,
      '--attribute-names',
      'ApproximateNumberOfMessagesNotVisible',
    );
    expect(stillThere.Attributes).toEqual({ ApproximateNumberOfMessagesNotVisible: '1' });
    await cli(
      'sqs',
      'delete-message',
      '--queue-url',
      url,
      '--receipt-handle',
      second[0]?.ReceiptHandle as string,
    );
    const gone = await cli('sqs', 'get-queue-attributes', '--queue-url', url, '--attribute-names', 'All');
    expect((gone.Attributes as Record<string, string>).ApproximateNumberOfMessagesNotVisible).toBe('0');
  });

  it('redrives after maxReceiveCount and lists the dead-letter source', async () => {
    const dlq = (await cli('sqs', 'create-queue', '--queue-name', `cli-dlq-${suffix}`)).QueueUrl as string;
    const dlqArn = (
      (await cli('sqs', 'get-queue-attributes', '--queue-url', dlq, '--attribute-names', 'QueueArn'))
        .Attributes as Record<string, string>
    ).QueueArn as string;
    const policy = JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: '1' });
    const source = (
      await cli(
        'sqs',
        'create-queue',
        '--queue-name',
        `cli-src-${suffix}`,
        '--attributes',
        JSON.stringify({ VisibilityTimeout: '0', RedrivePolicy: policy }),
      )
    ).QueueUrl as string;
    await cli('sqs', 'send-message', '--queue-url', source, '--message-body', 'poison');
    expect(messagesOf(await cli('sqs', 'receive-message', '--queue-url', source))).toHaveLength(1);
    expect(messagesOf(await cli('sqs', 'receive-message', '--queue-url', source))).toHaveLength(0);
    const dead = messagesOf(
      await cli('sqs', 'receive-message', '--queue-url', dlq, '--wait-time-seconds', '5'),
    );
    expect(dead.map((m) => m.Body)).toEqual(['poison']);
    const sources = await cli('sqs', 'list-dead-letter-source-queues', '--queue-url', dlq);
    expect(sources.queueUrls).toEqual([source]);
  });

  it('reports partial batch failures and AWS error codes', async () => {
    const url = (await cli('sqs', 'create-queue', '--queue-name', `cli-batch-${suffix}`)).QueueUrl as string;
    const out = await cli(
      'sqs',
      'send-message-batch',
      '--queue-url',
      url,
      '--entries',
      JSON.stringify([
        { Id: 'a', MessageBody: 'fine' },
        { Id: 'b', MessageBody: 'too late', DelaySeconds: 901 },
      ]),
    );
    expect((out.Successful as Array<{ Id: string }>).map((e) => e.Id)).toEqual(['a']);
    expect((out.Failed as Array<{ Id: string; Code: string }>).map((e) => [e.Id, e.Code])).toEqual([
      ['b', 'InvalidParameterValue'],
    ]);
    const stderr = await cliError('sqs', 'get-queue-url', '--queue-name', 'cli-absent');
    expect(stderr).toMatch(/AWS\.SimpleQueueService\.NonExistentQueue|QueueDoesNotExist/);
    const listed = await cli('sqs', 'list-queues', '--queue-name-prefix', `cli-batch-${suffix}`);
    expect(listed.QueueUrls).toEqual([url]);
  });
});
