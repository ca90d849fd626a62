import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { type SnsServer, startSnsServer } from '@eventline/sns-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpSubscriber, startHttpSubscriber } from '../support/http-subscriber.ts';

/** The aws CLI (Debian's awscli on CI) against the local SNS service through AWS_ENDPOINT_URL. */

const run = promisify(execFile);

function findAws(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'aws');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

const aws = findAws();

describe.runIf(aws !== undefined)('SNS through the aws CLI', () => {
  let server: SnsServer;
  let subscriber: HttpSubscriber;
  let env: NodeJS.ProcessEnv;

  const cli = async (...args: string[]): Promise<Record<string, unknown>> => {
    const { stdout } = await run(aws as string, ['sns', ...args, '--output', 'json'], {
      env,
      timeout: 30_000,
    });
    return stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>);
  };

  beforeAll(async () => {
    server = await startSnsServer({
      region: 'us-east-1',
      delivery: { timeoutMs: 2_000, retries: 1, retryDelayMs: 20 },
    });
    subscriber = await startHttpSubscriber();
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_ENDPOINT_URL: server.url,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_PAGER: '',
    };
  });

  afterAll(async () => {
    await server.close();
    await subscriber.close();
  });

  it('creates and lists topics, subscribes and publishes', async () => {
    const created = await cli('create-topic', '--name', 'cli-topic');
    const topicArn = created.TopicArn as string;
    expect(topicArn).toBe('arn:aws:sns:us-east-1:000000000000:cli-topic');

    const listed = await cli('list-topics');
    expect(listed.Topics).toEqual([{ TopicArn: topicArn }]);

    const subscribed = await cli(
      'subscribe',
      '--topic-arn',
      topicArn,
      '--protocol',
      'http',
      '--notification-endpoint',
      subscriber.url,
    );
    expect(subscribed.SubscriptionArn).toBe('pending confirmation');
    await subscriber.waitForConfirmations();

    const published = await cli(
      'publish',
      '--topic-arn',
      topicArn,
      '--subject',
      'From the CLI',
      '--message',
      'hello from aws sns publish',
      '--message-attributes',
      '{"route":{"DataType":"String","StringValue":"default"}}',
    );
    expect(published.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    const [notification] = await subscriber.waitForType('Notification');
    expect(notification?.json).toMatchObject({
      MessageId: published.MessageId,
      Subject: 'From the CLI',
      Message: 'hello from aws sns publish',
      MessageAttributes: { route: { Type: 'String', Value: 'default' } },
    });
  });

  it('reports NotFound for a missing topic with a failing exit status', async () => {
    const failure = await run(
      aws as string,
      ['sns', 'publish', '--topic-arn', 'arn:aws:sns:us-east-1:000000000000:missing', '--message', 'x'],
      { env, timeout: 30_000 },
    ).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failure?.code).not.toBe(0);
    expect(failure?.stderr).toContain('(NotFound)');
    expect(failure?.stderr).toContain('Topic does not exist');
  });
});
