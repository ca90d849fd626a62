import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfig, runtimeNames, withEnvironment } from '@eventline/config';
import { describe, expect, it } from 'vitest';
import projectConfig from '../../eventline.config.ts';

describe('configuration', () => {
  it('defaults to the seed: incoming/ + .json, one JSON object, key "id", table events, topic events-notify', () => {
    const config = parseConfig({});
    expect(config.routes).toHaveLength(1);
    expect(config.routes[0]).toMatchObject({
      prefix: 'incoming/',
      suffix: '.json',
      format: 'json',
      key: 'id',
    });
    expect(config.table.name).toBe('events');
    expect(config.topic.name).toBe('events-notify');
    expect(parseConfig(projectConfig).routes[0]?.id).toBe('default');
  });

  it('names the setting and the expected value when a setting is wrong', () => {
    const attempt = () =>
      parseConfig({ routes: [{ prefix: 'in/', format: 'xml' }], function: { memoryMb: 64 } });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('routes.0.format');
      expect(message).toMatch(/json.*json-array.*ndjson.*csv/);
      expect(message).toContain('function.memoryMb');
      expect((error as ConfigError).problems.map((p) => p.setting)).toEqual([
        'routes.0.format',
        'function.memoryMb',
      ]);
    }
  });

  it('rejects a misspelt setting instead of ignoring it', () => {
    expect(() => parseConfig({ tabel: { name: 'x' } })).toThrow(/tabel/);
  });

  it('rejects overlapping routes and routes that would trigger on eventline’s own writes', () => {
    expect(() =>
      parseConfig({
        routes: [
          { id: 'a', prefix: 'in/', suffix: '.json' },
          { id: 'b', prefix: 'in/sub/', suffix: '.json' },
        ],
      }),
    ).toThrow(/routes "a" and "b" overlap/);
    expect(() => parseConfig({ routes: [{ prefix: '' }] })).toThrow(/internalPrefix/);
    expect(() =>
      parseConfig({
        routes: [
          { id: 'a', prefix: 'in/', suffix: '.json' },
          { id: 'b', prefix: 'in/', suffix: '.csv', format: 'csv' },
        ],
      }),
    ).not.toThrow();
  });

  it('defaults the AWS-only settings: no alarm recipient yet, no ledger TTL, termination protection, 5 receives', () => {
    const config = parseConfig({});
    expect(config.alarms).toEqual({ notify: 'subscribers', subscriptions: [], topicArns: [] });
    expect(config.ledger.ttlDays).toBeUndefined();
    expect(config.stack).toEqual({ terminationProtection: true, tags: {} });
    expect(config.trigger.maxReceiveCount).toBe(5);
  });

  it('takes alarm recipients as subscriptions and SNS topic ARNs, or notify: nowhere alone', () => {
    const config = parseConfig({
      alarms: {
        subscriptions: [{ protocol: 'https', endpoint: 'https://oncall.example.com/hook' }],
        topicArns: ['arn:aws:sns:eu-west-1:123456789012:oncall'],
      },
      ledger: { ttlDays: 90 },
      stack: { terminationProtection: false, tags: { team: 'data', 'cost-center': '42' } },
    });
    expect(config.alarms.topicArns).toEqual(['arn:aws:sns:eu-west-1:123456789012:oncall']);
    expect(config.ledger.ttlDays).toBe(90);
    expect(config.stack.tags).toEqual({ team: 'data', 'cost-center': '42' });
    expect(parseConfig({ alarms: { notify: 'nowhere' } }).alarms.notify).toBe('nowhere');
    expect(() => parseConfig({ alarms: { topicArns: ['oncall'] } })).toThrow(/alarms\.topicArns\.0/);
    expect(() =>
      parseConfig({
        alarms: { notify: 'nowhere', subscriptions: [{ protocol: 'email', endpoint: 'a@example.com' }] },
      }),
    ).toThrow(/alarms\.subscriptions: notify is 'nowhere'/);
    expect(() => parseConfig({ alarms: { notify: 'nobody' } })).toThrow(/alarms\.notify/);
    expect(() => parseConfig({ ledger: { ttlDays: 0 } })).toThrow(/ledger\.ttlDays/);
    expect(() => parseConfig({ stack: { tags: { 'aws:owner': 'x' } } })).toThrow(/stack\.tags/);
  });

  it('takes sqs, lambda and sms subscribers with filter policies, and names the setting of a mistake', () => {
    const config = parseConfig({
      topic: {
        subscriptions: [
          {
            protocol: 'sqs',
            queue: 'moderation',
            filterPolicy: { route: ['uploads'] },
            rawMessageDelivery: true,
          },
          { protocol: 'sqs', endpoint: 'arn:aws:sqs:eu-west-1:123456789012:flows' },
          { protocol: 'lambda', endpoint: 'arn:aws:lambda:eu-west-1:123456789012:function:moderate' },
          {
            protocol: 'sms',
            endpoint: '+14155550100',
            filterPolicyScope: 'MessageBody',
            filterPolicy: { status: ['FAILED'], records: { rejected: [{ numeric: ['>', 0] }] } },
          },
        ],
      },
    });
    expect(config.topic.subscriptions.map((s) => s.protocol)).toEqual(['sqs', 'sqs', 'lambda', 'sms']);
    const refused = (subscription: Record<string, unknown>) => () =>
      parseConfig({ topic: { subscriptions: [subscription] } });
    expect(refused({ protocol: 'sqs' })).toThrow(
      /topic\.subscriptions\.0\.endpoint: an sqs subscription names either/,
    );
    expect(refused({ protocol: 'sqs', endpoint: 'flows' })).toThrow(
      /subscriptions\.0\.endpoint: an SQS queue ARN/,
    );
    expect(refused({ protocol: 'sqs', queue: 'jobs.fifo' })).toThrow(/subscriptions\.0\.queue: .*FIFO/);
    expect(refused({ protocol: 'lambda', endpoint: 'moderate' })).toThrow(/endpoint: a Lambda function ARN/);
    expect(refused({ protocol: 'sms', endpoint: '555-0100' })).toThrow(/endpoint: a phone number in E\.164/);
    expect(refused({ protocol: 'email', endpoint: 'a@example.com', queue: 'q' })).toThrow(
      /queue: queue is for sqs/,
    );
    expect(refused({ protocol: 'email', endpoint: 'a@example.com', rawMessageDelivery: true })).toThrow(
      /rawMessageDelivery: SNS offers raw message delivery to sqs, http and https only/,
    );
    expect(
      refused({ protocol: 'sms', endpoint: '+14155550100', filterPolicy: { route: 'uploads' } }),
    ).toThrow(/filterPolicy: route must be an array of conditions/);
    expect(refused({ protocol: 'sms', endpoint: '+14155550100', filterPolicyScope: 'MessageBody' })).toThrow(
      /filterPolicyScope without a filterPolicy/,
    );
    // Alarm recipients stay e-mail and http(s).
    expect(() =>
      parseConfig({ alarms: { subscriptions: [{ protocol: 'sms', endpoint: '+14155550100' }] } }),
    ).toThrow(/alarms\.subscriptions\.0\.protocol/);
  });

  it("takes a route's notify policy, each by default, and names the route of a wrong one", () => {
    const route = { id: 'iot', prefix: 'iot/', suffix: '.ndjson', format: 'ndjson' } as const;
    expect(parseConfig({ routes: [route] }).routes[0]?.notify).toBe('each');
    expect(parseConfig({ routes: [{ ...route, notify: 'failures' }] }).routes[0]?.notify).toBe('failures');
    expect(() => parseConfig({ routes: [{ ...route, notify: 'daily' }] })).toThrow(
      /routes\.0\.notify: 'each', 'failures', 'none' or \{ digest/,
    );
  });

  it('takes a digest policy, windows up to 900 s (the longest SQS delay), in queue mode only', () => {
    const route = { id: 'iot', prefix: 'iot/', suffix: '.ndjson', format: 'ndjson' } as const;
    expect(
      parseConfig({ routes: [{ ...route, notify: { digest: { everySeconds: 60 } } }] }).routes[0]?.notify,
    ).toEqual({
      digest: { everySeconds: 60, maxFiles: 10_000, failuresImmediately: false },
    });
    expect(() => parseConfig({ routes: [{ ...route, notify: { digest: { everySeconds: 3600 } } }] })).toThrow(
      /routes\.0\.notify\.digest\.everySeconds: at most 900/,
    );
    expect(() =>
      parseConfig({ routes: [{ ...route, notify: { digest: { everySeconds: 60, every: 1 } } }] }),
    ).toThrow(/routes\.0\.notify/);
    expect(() =>
      parseConfig({
        trigger: { mode: 'direct' },
        routes: [{ ...route, notify: { digest: { everySeconds: 60 } } }],
      }),
    ).toThrow(
      /routes\.0\.notify: a digest is closed by a delayed message on the ingest queue: it needs trigger\.mode 'queue'/,
    );
  });

  it('makes the project config choose where alarms go', () => {
    expect(parseConfig(projectConfig).alarms.notify).toBe('nowhere');
  });

  it('lets TABLE_NAME and TOPIC_ARN override the names and checks them', () => {
    const config = parseConfig({});
    expect(runtimeNames(config, {})).toMatchObject({
      tableName: 'events',
      topicArn: 'arn:aws:sns:us-east-1:000000000000:events-notify',
    });
    const names = runtimeNames(config, {
      TABLE_NAME: 'prod-events',
      TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:t',
      DLQ_URL: 'http://q',
    });
    expect(names).toMatchObject({
      tableName: 'prod-events',
      topicArn: 'arn:aws:sns:eu-west-1:123456789012:t',
      deadLetterQueueUrl: 'http://q',
    });
    expect(() => runtimeNames(config, { TOPIC_ARN: 'events-notify' })).toThrow(
      /TOPIC_ARN: expected an SNS topic ARN/,
    );
    expect(() => runtimeNames(config, { TABLE_NAME: 'a b' })).toThrow(/TABLE_NAME/);
  });

  it('loads a TypeScript config file and fails clearly for a missing one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eventline-config-'));
    try {
      const file = join(dir, 'eventline.config.ts');
      await writeFile(
        file,
        "export default { routes: [{ prefix: 'logs/', suffix: '.ndjson', format: 'ndjson' }] };\n",
      );
      const config = await loadConfig(file);
      expect(config.routes[0]?.format).toBe('ndjson');
      await expect(loadConfig(join(dir, 'missing.ts'))).rejects.toThrow(/config file not found/);
      await writeFile(join(dir, 'bad.config.ts'), 'export default { routes: [] };\n');
      await expect(loadConfig(join(dir, 'bad.config.ts'))).rejects.toThrow(/routes: .*1/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a config file without a default export, naming the file and what it exports', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eventline-config-'));
    try {
      const named = join(dir, 'named.config.ts');
      await writeFile(
        named,
        "export const config = { routes: [{ prefix: 'logs/', suffix: '.ndjson', format: 'ndjson' }] };\nexport const other = 1;\n",
      );
      await expect(loadConfig(named)).rejects.toThrow(ConfigError);
      await expect(loadConfig(named)).rejects.toThrow(
        /named\.config\.ts: no default export \(it exports: config, other\)/,
      );
      // A misspelled defineConfig fails while the file runs: the error names the file.
      const misspelled = join(dir, 'misspelled.config.ts');
      await writeFile(misspelled, "export default defineConfg({ routes: [{ prefix: 'a/' }] });\n");
      await expect(loadConfig(misspelled)).rejects.toThrow(ConfigError);
      await expect(loadConfig(misspelled)).rejects.toThrow(
        /misspelled\.config\.ts: the config file failed to load: defineConfg is not defined/,
      );
      const empty = join(dir, 'empty.config.ts');
      await writeFile(empty, 'const config = {};\nvoid config;\nexport {};\n');
      await expect(loadConfig(empty)).rejects.toThrow(
        /empty\.config\.ts: no default export \(it exports nothing\)/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('names checked against AWS rules at config time', () => {
  const problemsOf = (input: unknown): string[] => {
    try {
      parseConfig(input);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems.map((p) => `${p.setting}: ${p.message}`);
      throw error;
    }
    return [];
  };

  it('DynamoDB table names: 3-255 of letters, digits, "_", "-", "."', () => {
    expect(problemsOf({ table: { name: 'my events!' } })).toEqual([
      expect.stringMatching(/^table\.name: .*DynamoDB table name.*"my events!"/),
    ]);
    expect(problemsOf({ table: { name: 'ab' } })).toEqual([expect.stringMatching(/^table\.name: /)]);
    expect(problemsOf({ table: { name: 'x'.repeat(256) } })).toEqual([
      expect.stringMatching(/^table\.name: /),
    ]);
    expect(problemsOf({ table: { deployName: 'a b' } })).toEqual([
      expect.stringMatching(/^table\.deployName: /),
    ]);
    expect(problemsOf({ table: { name: 'My_table.v2-x' } })).toEqual([]);
    expect(problemsOf({ table: { name: 'x'.repeat(255) } })).toEqual([]);
  });

  it('S3 bucket names: 3-63, lowercase, no "..", not an IP address, no reserved prefix or suffix', () => {
    for (const bad of [
      'ab',
      'a'.repeat(64),
      'Upper-case',
      'under_score',
      '-starts-with-dash',
      'ends-with-dash-',
      'two..dots',
      '192.168.5.4',
      'xn--punycode',
      'sthree-bucket',
      'amzn-s3-demo-bucket',
      'bucket-s3alias',
      'bucket--ol-s3',
      'bucket.mrap',
      'bucket--x-s3',
      'bucket--table-s3',
    ]) {
      expect(problemsOf({ bucket: { name: bad } }), bad).toEqual([
        expect.stringMatching(new RegExp(`^bucket\\.name: .*"${bad.replace(/\./g, '\\.')}"`)),
      ]);
    }
    expect(problemsOf({ bucket: { deployName: 'Bad_Name' } })).toEqual([
      expect.stringMatching(/^bucket\.deployName: /),
    ]);
    expect(problemsOf({ bucket: { name: 'my.bucket-1' } })).toEqual([]);
    expect(problemsOf({ bucket: { name: 'a'.repeat(63) } })).toEqual([]);
  });

  it('SNS topic names: 1-256 of letters, digits, "_", "-"; a FIFO (".fifo") topic is refused with why', () => {
    expect(problemsOf({ topic: { name: 'my topic' } })).toEqual([
      expect.stringMatching(/^topic\.name: .*SNS topic name.*"my topic"/),
    ]);
    expect(problemsOf({ topic: { name: '' } })).toEqual([expect.stringMatching(/^topic\.name: /)]);
    expect(problemsOf({ topic: { name: 'x'.repeat(257) } })).toEqual([
      expect.stringMatching(/^topic\.name: /),
    ]);
    expect(problemsOf({ topic: { name: 'events.fifo' } })).toEqual([
      expect.stringMatching(/^topic\.name: .*FIFO.*MessageGroupId/),
    ]);
    expect(problemsOf({ topic: { deployName: 'orders.fifo' } })).toEqual([
      expect.stringMatching(/^topic\.deployName: .*FIFO/),
    ]);
    expect(problemsOf({ topic: { name: 'a.b' } })).toEqual([expect.stringMatching(/^topic\.name: /)]);
    expect(problemsOf({ topic: { name: 'x'.repeat(256) } })).toEqual([]);
  });
});

describe('environment overrides for the local stack and the CLI (withEnvironment)', () => {
  const config = parseConfig({});

  it('TABLE_NAME renames the table, checked as a table name', () => {
    expect(withEnvironment(config, { TABLE_NAME: 'prod-events' }).table.name).toBe('prod-events');
    expect(() => withEnvironment(config, { TABLE_NAME: 'my events!' })).toThrow(
      /^TABLE_NAME: expected a DynamoDB table name .*"my events!"/,
    );
  });

  it('BUCKET_NAME renames the bucket, checked as a bucket name', () => {
    expect(withEnvironment(config, { BUCKET_NAME: 'my-uploads' }).bucket.name).toBe('my-uploads');
    expect(runtimeNames(config, { BUCKET_NAME: 'my-uploads' }).bucketName).toBe('my-uploads');
    expect(() => withEnvironment(config, { BUCKET_NAME: 'My_Uploads' })).toThrow(
      /^BUCKET_NAME: expected an S3 bucket name/,
    );
  });

  it("TOPIC_ARN renames the topic when it is in the local stack's region and account", () => {
    expect(
      withEnvironment(config, { TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:orders' }).topic.name,
    ).toBe('orders');
    expect(() => withEnvironment(config, { TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:orders' })).toThrow(
      /^TOPIC_ARN: expected a topic of the local stack \(region us-east-1, account 000000000000\)/,
    );
    expect(() =>
      withEnvironment(config, { TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:bad name' }),
    ).toThrow(/^TOPIC_ARN: expected an SNS topic name/);
    expect(() => withEnvironment(config, { TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:t.fifo' })).toThrow(
      /^TOPIC_ARN: expected a standard SNS topic/,
    );
  });

  it('changes nothing without overrides, and ignores AWS_REGION (the local region is local.region)', () => {
    expect(withEnvironment(config, { AWS_REGION: 'eu-west-1' })).toEqual(config);
  });
});
