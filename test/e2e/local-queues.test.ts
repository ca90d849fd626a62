import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { parseConfig, queueLayout } from '@eventline/config';
import { LocalStack } from '@eventline/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Client } from '../reliability/support/harness.ts';
import { runCli } from '../reliability/support/processes.ts';

/**
 * SQS on the local edge: the stack's queues exist with the names and attributes the CDK app gives
 * them (one source: @eventline/config/queues.ts), and any SQS client sees them on the one port.
 */

const run = promisify(execFile);
const CLIS = ['aws', ...(existsSync('/usr/bin/aws') ? ['/usr/bin/aws'] : [])];

let dir: string;
let stack: LocalStack;

const cliEnv = () => ({
  ...process.env,
  AWS_ENDPOINT_URL: stack.url,
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_REGION: 'us-east-1',
});

async function aws(cli: string, args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(cli, [...args, '--endpoint-url', stack.url, '--output', 'json'], {
    env: cliEnv(),
  });
  return stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : {};
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eventline-queues-'));
  stack = await LocalStack.start({ config: parseConfig({ local: { port: 0 } }), dataDir: join(dir, 'data') });
});

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('SQS on the local edge', () => {
  it.each(CLIS)('%s sqs list-queues shows the ingest queue and both dead-letter queues', async (cli) => {
    const listed = await aws(cli, ['sqs', 'list-queues']);
    const urls = (listed.QueueUrls as string[]).map((u) => u.replace(stack.url, ''));
    expect(urls.sort()).toEqual(
      [
        '/000000000000/eventline-dlq',
        '/000000000000/eventline-events-dlq',
        '/000000000000/eventline-ingest',
      ].sort(),
    );
  });

  it('gives each queue the attributes of the CDK app', async () => {
    const layout = queueLayout(
      stack.config,
      stack.config.name,
      (name) => `arn:aws:sqs:us-east-1:000000000000:${name}`,
    );
    expect(layout.ingest?.attributes.VisibilityTimeout).toBe('360');
    for (const spec of [layout.ingest!, layout.eventDeadLetters, layout.deadLetters]) {
      const url = `${stack.url}/000000000000/${spec.name}`;
      const got = (
        await aws('aws', ['sqs', 'get-queue-attributes', '--queue-url', url, '--attribute-names', 'All'])
      ).Attributes as Record<string, string>;
      for (const [name, value] of Object.entries(spec.attributes)) {
        if (name.startsWith('Redrive'))
          expect(JSON.parse(got[name]!), `${spec.name} ${name}`).toEqual(JSON.parse(value));
        else expect(got[name], `${spec.name} ${name}`).toBe(value);
      }
    }
    const ingest = (
      await aws('aws', [
        'sqs',
        'get-queue-attributes',
        '--queue-url',
        stack.queues.ingest!.url,
        '--attribute-names',
        'RedrivePolicy',
      ])
    ).Attributes as Record<string, string>;
    expect(JSON.parse(ingest.RedrivePolicy!)).toEqual({
      deadLetterTargetArn: stack.queues.eventDeadLetters.arn,
      maxReceiveCount: 5,
    });
  });

  it('counts SQS actions by name for the admin API', async () => {
    await aws('aws', ['sqs', 'get-queue-url', '--queue-name', 'eventline-ingest']);
    const stats = (await (await fetch(`${stack.url}/_eventline/stats`)).json()) as {
      requests: Record<string, number>;
      queues: Array<{ name: string; depth: number }>;
    };
    expect(stats.requests['sqs:GetQueueUrl']).toBeGreaterThanOrEqual(1);
    expect(stats.queues.map((q) => q.name).sort()).toEqual([
      'eventline-dlq',
      'eventline-events-dlq',
      'eventline-ingest',
    ]);
  });
});

describe('dead letters on SQS', () => {
  it('`aws sqs receive-message` on the DLQ shows what `eventline dlq list` shows; drop deletes it', async () => {
    const s3 = s3Client(stack.url);
    await s3.send(
      new PutObjectCommand({ Bucket: 'eventline-local', Key: 'incoming/broken.json', Body: '{"id": ' }),
    );
    s3.destroy();
    await stack.idle();
    const list = await runCli(['--endpoint', stack.url, '--json', 'dlq', 'list']);
    expect(list.code).toBe(0);
    const { letters } = JSON.parse(list.stdout) as {
      letters: Array<{ id: string; key: string; code: string }>;
    };
    expect(letters).toHaveLength(1);
    const { id, key, code } = letters[0]!;
    expect(key).toBe('incoming/broken.json');

    const received = await aws('aws', [
      'sqs',
      'receive-message',
      '--queue-url',
      stack.queues.deadLetters.url,
      '--max-number-of-messages',
      '10',
      '--visibility-timeout',
      '0',
      '--message-attribute-names',
      'All',
    ]);
    const messages = received.Messages as Array<{
      MessageId: string;
      Body: string;
      MessageAttributes: Record<string, { StringValue: string }>;
    }>;
    expect(messages).toHaveLength(1);
    expect(messages[0]!.MessageId).toBe(id);
    const body = JSON.parse(messages[0]!.Body) as {
      eventline: string;
      code: string;
      object: { key: string };
    };
    expect(body).toMatchObject({ eventline: 'dead-letter', code, object: { key: 'incoming/broken.json' } });
    expect(messages[0]!.MessageAttributes.ErrorCode?.StringValue).toBe(code);

    const drop = await runCli(['--endpoint', stack.url, 'dlq', 'drop', id!]);
    expect(drop.stdout).toContain(`dropped\t${id}\tincoming/broken.json`);
    const attributes = (
      await aws('aws', [
        'sqs',
        'get-queue-attributes',
        '--queue-url',
        stack.queues.deadLetters.url,
        '--attribute-names',
        'All',
      ])
    ).Attributes as Record<string, string>;
    expect(attributes.ApproximateNumberOfMessages).toBe('0');
    expect(attributes.ApproximateNumberOfMessagesNotVisible).toBe('0');
    expect((await runCli(['--endpoint', stack.url, 'dlq', 'list'])).stdout).toMatch(
      /the dead-letter queues? (is|are) empty/,
    );
  });

  it('a dropped letter stays dropped: the ledger says who, when and why, and reconcile --fix leaves the file alone', async () => {
    const s3 = s3Client(stack.url);
    await s3.send(
      new PutObjectCommand({ Bucket: 'eventline-local', Key: 'incoming/given-up.json', Body: '{"id": ' }),
    );
    s3.destroy();
    await stack.idle();
    const { letters } = JSON.parse(
      (await runCli(['--endpoint', stack.url, '--json', 'dlq', 'list'])).stdout,
    ) as {
      letters: Array<{ id: string; key: string }>;
    };
    const id = letters.find((l) => l.key === 'incoming/given-up.json')?.id;
    expect(id).toBeDefined();
    const drop = await runCli([
      '--endpoint',
      stack.url,
      'dlq',
      'drop',
      id!,
      '--by',
      'ann',
      '--reason',
      'the sender will fix it',
    ]);
    expect(drop.code).toBe(0);
    expect(drop.stdout).toMatch(/recorded in the ledger: dropped by ann at \S+: the sender will fix it/);
    const { files } = JSON.parse(
      (await runCli(['--endpoint', stack.url, '--json', 'files', '--search', 'given-up'])).stdout,
    ) as { files: Array<{ status: string; dropped?: { by: string; reason: string; letter: string } }> };
    expect(files[0]).toMatchObject({
      status: 'FAILED',
      dropped: { by: 'ann', reason: 'the sender will fix it', letter: id },
    });

    // The FAILED files come from the sparse attention index, as status's counts do.
    const failed = JSON.parse(
      (await runCli(['--endpoint', stack.url, '--json', 'files', '--status', 'FAILED'])).stdout,
    ) as { files: Array<{ key: string; status: string }> };
    expect(failed.files.map((f) => f.key)).toEqual(['incoming/given-up.json', 'incoming/broken.json']);
    const status = JSON.parse((await runCli(['--endpoint', stack.url, '--json', 'status'])).stdout) as {
      attention: { counts: Array<{ route: string; FAILED: string }>; newest: Array<{ key: string }> };
    };
    expect(status.attention.counts.map((c) => Number(c.FAILED)).reduce((a, b) => a + b, 0)).toBe(2);
    expect(status.attention.newest[0]?.key).toBe('incoming/given-up.json');

    const fix = await runCli(['--endpoint', stack.url, '--json', 'reconcile', '--fix']);
    const { findings } = JSON.parse(fix.stdout) as { findings: Array<{ key: string; kind: string }> };
    expect(findings.filter((f) => f.key === 'incoming/given-up.json')).toEqual([]);
    expect(fix.stderr).toMatch(/[12] FAILED file\(s\) left alone: an operator dropped their letters/);
    await stack.idle();
    expect((await runCli(['--endpoint', stack.url, '--json', 'dlq', 'list'])).stdout).not.toContain(
      'given-up',
    );

    // A second letter of the same failure (a letter may be sent twice, I10) is not replayed either.
    const again = await aws('aws', [
      'sqs',
      'send-message',
      '--queue-url',
      stack.queues.deadLetters.url,
      '--message-body',
      JSON.stringify({
        eventline: 'dead-letter',
        code: 'bad-format',
        reason: 'sent twice',
        object: { bucket: 'eventline-local', key: 'incoming/given-up.json' },
        event: {},
      }),
    ]);
    const second = String(again.MessageId);
    const replay = await runCli(['--endpoint', stack.url, '--json', 'dlq', 'replay', second]);
    const replayed = (JSON.parse(replay.stdout) as { results: Array<{ status: string; reason: string }> })
      .results;
    expect(replayed).toEqual([expect.objectContaining({ status: 'skipped' })]);
    expect(replayed[0]!.reason).toMatch(/dropped by ann .*--include-dropped replays it/);
    expect((await runCli(['--endpoint', stack.url, 'dlq', 'drop', second, '--by', 'ann'])).code).toBe(0);

    const told = await runCli(['--endpoint', stack.url, '--json', 'reconcile', '--include-dropped']);
    const found = (
      JSON.parse(told.stdout) as { findings: Array<{ key: string; kind: string; detail: string }> }
    ).findings.filter((f) => f.key === 'incoming/given-up.json');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ kind: 'failed-not-in-dlq' });
    expect(found[0]!.detail).toContain('dropped by ann');
  }, 180_000);

  it('replay processes the letter again and then deletes it', async () => {
    const s3 = s3Client(stack.url);
    await s3.send(
      new PutObjectCommand({ Bucket: 'eventline-local', Key: 'incoming/later.json', Body: '[1]' }),
    );
    await stack.idle();
    const [letter] = await stack.deadLetters.list();
    expect(letter?.object?.key).toBe('incoming/later.json');
    await s3.send(
      new PutObjectCommand({ Bucket: 'eventline-local', Key: 'incoming/later.json', Body: '{"id":"l-1"}' }),
    );
    s3.destroy();
    await stack.idle();
    // The new version was processed by its own event; the old letter is stale: replayed, then gone.
    const replay = await runCli(['--endpoint', stack.url, '--json', 'dlq', 'replay', letter!.id]);
    const { results } = JSON.parse(replay.stdout) as { results: Array<{ key: string; status: string }> };
    expect(results).toHaveLength(1);
    expect(results[0]?.key).toBe('incoming/later.json');
    // Processed again by the stack (admin API), or sent back to the ingest queue (the CLI's SQS path).
    expect(['stale', 'duplicate', 'redriven']).toContain(results[0]?.status);
    await stack.idle();
    expect(await stack.deadLetters.list()).toEqual([]);
    const again = await runCli(['--endpoint', stack.url, 'dlq', 'replay', letter!.id]);
    expect(`${again.stdout}${again.stderr}`).toMatch(/nothing to replay|no dead letter/);
  });
});

describe('the console runtime panel', () => {
  it('reads the queue path, the instances and both dead-letter queues from /_eventline/runtime', async () => {
    const stats = (await (await fetch(`${stack.url}/_eventline/runtime`)).json()) as {
      mode: string;
      ingest: { name: string; depth: number; inFlight: number; oldestAgeSeconds: number };
      eventSource: { batches: number; batchesInFlight: number };
      functionRuntime: string;
      instances: { coldStarts: number; warmStarts: number; concurrency: number; busy: number };
      deadLetters: { name: string; depth: number };
      eventDeadLetters: { name: string; depth: number };
    };
    expect(stats.mode).toBe('queue');
    expect(stats.ingest).toMatchObject({ name: 'eventline-ingest', depth: 0, inFlight: 0 });
    // The earlier tests' files went through batches on worker instances.
    expect(stats.eventSource.batches).toBeGreaterThan(0);
    expect(stats.functionRuntime).toBe('workers');
    expect(stats.instances.coldStarts).toBeGreaterThan(0);
    // No reservation by default: in queue mode the event source mapping's maximum concurrency bounds the instances.
    expect(stats.instances.concurrency).toBe(stack.config.trigger.maxConcurrency);
    expect(stats.deadLetters).toMatchObject({ name: 'eventline-dlq', depth: 0 });
    expect(stats.eventDeadLetters).toMatchObject({ name: 'eventline-events-dlq', depth: 0 });
  });
});
