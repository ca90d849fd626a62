import type { EventlineConfig } from '@eventline/config';
import { ConfigError, parseConfig } from '@eventline/config';
import { deployProblems, EventlineStack } from '@eventline/infra';
import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  cdkJsonContext,
  configOf,
  FIXTURE_ENTRY,
  logicalId,
  type Synthesized,
  synthesize,
} from './support.ts';

/** Alarm recipients are a deployment choice every config must make; these stacks are not deployed. */
const alarms = { notify: 'nowhere' as const };

const routes = [
  { id: 'orders', prefix: 'incoming/', suffix: '.json' },
  { id: 'orders-csv', prefix: 'incoming/', suffix: '.csv', format: 'csv' as const },
  { id: 'everything-iot', prefix: 'iot/', suffix: '' },
];

describe('notification filters in queue mode', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthesize(configOf({ routes, alarms, trigger: { mode: 'queue' } }));
  });

  it('sends each route to the ingest queue with its own filter (an empty suffix is left out)', () => {
    if (!('queue' in s.stack.trigger)) throw new Error('expected a queue trigger');
    const queueArn = { 'Fn::GetAtt': [logicalId(s.stack.trigger.queue), 'Arn'] };
    s.template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: Match.objectEquals({
        QueueConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: {
              Key: {
                FilterRules: [
                  { Name: 'suffix', Value: '.json' },
                  { Name: 'prefix', Value: 'incoming/' },
                ],
              },
            },
            QueueArn: queueArn,
          },
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: {
              Key: {
                FilterRules: [
                  { Name: 'suffix', Value: '.csv' },
                  { Name: 'prefix', Value: 'incoming/' },
                ],
              },
            },
            QueueArn: queueArn,
          },
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'iot/' }] } },
            QueueArn: queueArn,
          },
        ],
      }),
    });
  });

  it('grants reads once per distinct prefix', () => {
    const bucketArn = { 'Fn::GetAtt': ['IngestBucket', 'Arn'] };
    s.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectEquals({
            Sid: 'ReadRoutedObjects',
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:GetObjectVersion'],
            Resource: [
              { 'Fn::Join': ['', [bucketArn, '/incoming/*']] },
              { 'Fn::Join': ['', [bucketArn, '/iot/*']] },
            ],
          }),
        ]),
      },
    });
  });
});

describe('no data-plane wildcard and no recursion', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthesize(configOf({ routes, alarms, trigger: { mode: 'direct' } }));
  });

  type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
  const statementsOf = (type: string, props: Record<string, unknown> = {}): Statement[] =>
    Object.values(s.template.findResources(type, { Properties: props })).flatMap(
      (resource) => (resource.Properties.PolicyDocument.Statement as Statement[]) ?? [],
    );
  const functionStatements = () =>
    statementsOf('AWS::IAM::Policy', { Roles: [{ Ref: logicalId(s.stack.pipeline.role) }] });

  it('never allows a wildcard action in any IAM policy', () => {
    const actions = statementsOf('AWS::IAM::Policy').flatMap((st) => [st.Action].flat());
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
  });

  it('puts a wildcard resource only on the X-Ray telemetry actions', () => {
    const wildcards = statementsOf('AWS::IAM::Policy').filter((st) => [st.Resource].flat().includes('*'));
    expect(wildcards.map((st) => st.Action)).toEqual([['xray:PutTelemetryRecords', 'xray:PutTraceSegments']]);
  });

  it('allows wildcard actions in resource policies only to deny requests without TLS', () => {
    for (const type of ['AWS::S3::BucketPolicy', 'AWS::SQS::QueuePolicy', 'AWS::SNS::TopicPolicy']) {
      for (const st of statementsOf(type)) {
        const wildcard = [st.Action].flat().some((action) => action.includes('*'));
        if (wildcard) expect(st.Effect).toBe('Deny');
      }
    }
  });

  it('lets the function write only under the internal prefix, which no route listens to', () => {
    const writes = functionStatements().filter((st) =>
      [st.Action].flat().some((action) => /^s3:(Put|Delete|Copy|Restore)/.test(action)),
    );
    expect(writes).toEqual([
      {
        Sid: 'WriteInternalObjects',
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['IngestBucket', 'Arn'] }, '/_eventline/*']] },
      },
    ]);
    const filters = JSON.stringify(s.template.findResources('Custom::S3BucketNotifications'));
    expect(filters).not.toContain('_eventline/');
  });
});

describe('configurations that cannot be deployed', () => {
  const valid = () => configOf({ routes, alarms });
  const build = (config: EventlineConfig) =>
    new EventlineStack(new App({ context: cdkJsonContext() }), 'Rejected', {
      config,
      handlerEntry: FIXTURE_ENTRY,
    });

  it('rejects overlapping route filters in the config, naming both routes', () => {
    expect(() =>
      parseConfig({
        routes: [
          { id: 'all-json', prefix: 'incoming/', suffix: '.json' },
          { id: 'yearly-json', prefix: 'incoming/2024/', suffix: '.json' },
        ],
      }),
    ).toThrow(/routes "all-json" and "yearly-json" overlap .*S3 rejects overlapping notification filters/);
  });

  it('rejects overlapping route filters at synth even when the config skipped validation', () => {
    const overlapping: EventlineConfig = {
      ...valid(),
      routes: [...valid().routes, { ...valid().routes[0]!, id: 'all-incoming', suffix: '' }],
    };
    let error: unknown;
    try {
      build(overlapping);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(
      'routes "orders" and "all-incoming" overlap (prefix "incoming/"/"incoming/", suffix ".json"/"")',
    );
    expect((error as ConfigError).problems.map((p) => p.setting)).toEqual(['routes.3', 'routes.3']);
  });

  it('rejects a route that would see the function’s own writes', () => {
    const config: EventlineConfig = { ...valid(), internalPrefix: 'incoming/_eventline/' };
    expect(() => build(config)).toThrow(
      /prefix "incoming\/" overlaps internalPrefix "incoming\/_eventline\/"/,
    );
  });

  it('names each setting CloudFormation or Lambda would refuse', () => {
    const config = valid();
    const problems = deployProblems({
      ...config,
      routes: [{ ...config.routes[0]!, prefix: 'incoming/*/' }],
      function: { ...config.function, logRetentionDays: 10, reservedConcurrency: 2 },
      trigger: {
        ...config.trigger,
        mode: 'queue',
        batchSize: 100,
        maxBatchingWindowSeconds: 0,
        maxConcurrency: 3,
      },
    });
    expect(problems.map((p) => p.setting)).toEqual([
      'routes.0.prefix',
      'function.logRetentionDays',
      'trigger.maxBatchingWindowSeconds',
      'trigger.maxConcurrency',
    ]);
    expect(problems[1]?.message).toContain('accepts one of 1, 3, 5, 7, 14, 30');
  });

  it('accepts the defaults once the config says where alarms go', () => {
    expect(deployProblems(configOf({ alarms }))).toEqual([]);
    expect(deployProblems(configOf({ alarms, trigger: { mode: 'direct' } }))).toEqual([]);
    const oncall = [{ protocol: 'email' as const, endpoint: 'oncall@example.com' }];
    expect(deployProblems(configOf({ alarms: { subscriptions: oncall } }))).toEqual([]);
    expect(
      deployProblems(configOf({ alarms: { topicArns: ['arn:aws:sns:eu-west-1:123456789012:oncall'] } })),
    ).toEqual([]);
  });

  it('refuses to synthesize alarms that reach no one, naming the setting', () => {
    const silent = configOf({ routes });
    expect(deployProblems(silent).map((p) => p.setting)).toEqual(['alarms.subscriptions']);
    expect(() => build(silent)).toThrow(ConfigError);
    expect(() => build(silent)).toThrow(
      /alarms\.subscriptions: no one would receive the alarms: .*alarms\.topicArns.*notify: 'nowhere'/,
    );
  });
});
