import { QueueTrigger } from '@eventline/infra';
import { beforeAll, describe, expect, it } from 'vitest';
import { configOf, functionSources, logicalId, REAL_ENTRY, type Synthesized, synthesize } from './support.ts';

/**
 * The function's role allows exactly the AWS actions its code sends, no more and no fewer. The code
 * side is read from the source: every file the Lambda entry imports (following relative imports, as
 * esbuild bundles them), every `new XxxCommand(` in it and the @aws-sdk package it comes from, and
 * every `awsAction('service:Operation')` (how the signed-request clients of packages/aws/src/http,
 * the entry's own, declare each operation where they send it). The
 * role side is read from the synthesized template, less what AWS services do with the role on the
 * function's behalf (logs, X-Ray, polling the ingest queue, delivering failed invocations).
 */

const SERVICE_OF_PACKAGE: Record<string, string> = {
  '@aws-sdk/client-s3': 's3',
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/lib-dynamodb': 'dynamodb',
  '@aws-sdk/client-sns': 'sns',
  '@aws-sdk/client-sqs': 'sqs',
  '@aws-sdk/client-lambda': 'lambda',
};

/** Actions the code sends in one trigger mode only: continuations invoke the function in direct mode. */
const ONLY_IN_MODE: Record<string, 'queue' | 'direct'> = { 'lambda:InvokeFunction': 'direct' };

/** The document client's commands are named after the item operations they send. */
const DOCUMENT_CLIENT_OPERATION: Record<string, string> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
  Query: 'Query',
  Scan: 'Scan',
};

/** Operations whose IAM action has another name: Lambda's Invoke is authorized as lambda:InvokeFunction. */
const ACTION_OF_OPERATION: Record<string, string> = { 'lambda:Invoke': 'lambda:InvokeFunction' };

/**
 * Actions one operation needs beyond its own name. GetObject with a VersionId (the adapter reads the
 * version the event names) is authorized as s3:GetObjectVersion.
 */
const IMPLIED: Record<string, string[]> = {
  's3:GetObject': ['s3:GetObjectVersion'],
};

/** `new XxxCommand(` in the function's code, as IAM actions, with the file each comes from. */
function actionsSentByCode(): Map<string, string> {
  const actions = new Map<string, string>();
  for (const [file, text] of functionSources(REAL_ENTRY)) {
    const packageOf = new Map<string, string>();
    for (const m of text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'(@aws-sdk\/[^']+)'/g)) {
      for (const name of m[1]!.split(',')) {
        const local = name
          .replace(/^\s*type\s+/, '')
          .split(/\s+as\s+/)
          .pop()!
          .trim();
        if (local) packageOf.set(local, m[2]!);
      }
    }
    // Commands of a package loaded on first use: `import('@aws-sdk/x').then((sdk) => ... sdk.XxxCommand`.
    const lazy: Array<{ command: string; pkg: string }> = [];
    for (const m of text.matchAll(/import\('(@aws-sdk\/[^']+)'\)\.then\(\(?(\w+)\)?\s*=>([\s\S]*?)\)\);/g)) {
      for (const c of m[3]!.matchAll(new RegExp(`\\b${m[2]!}\\.([A-Za-z0-9]+)Command\\b`, 'g'))) {
        lazy.push({ command: `${c[1]!}Command`, pkg: m[1]! });
      }
    }
    for (const { command, pkg } of lazy) packageOf.set(command, pkg);
    const sent = [
      ...[...text.matchAll(/new\s+([A-Za-z0-9]+)Command\s*\(/g)].map((m) => m[1]!),
      ...lazy.map((l) => l.command.replace(/Command$/, '')),
    ];
    // The signed-request clients (packages/aws/src/http): each operation declared where it is sent.
    for (const m of text.matchAll(/\bawsAction\(\s*'([a-z0-9-]+):([A-Za-z0-9]+)'\s*\)/g)) {
      const named = `${m[1]!}:${m[2]!}`;
      const primary = ACTION_OF_OPERATION[named] ?? named;
      for (const action of [primary, ...(IMPLIED[primary] ?? [])]) actions.set(action, file);
    }
    for (const name of sent) {
      const m = [name, name] as const;
      const command = `${m[1]!}Command`;
      const pkg = packageOf.get(command);
      if (!pkg) throw new Error(`${file}: ${command} is not imported from an @aws-sdk package`);
      const service = SERVICE_OF_PACKAGE[pkg];
      if (!service)
        throw new Error(`${file}: no IAM service known for ${pkg} (add it to SERVICE_OF_PACKAGE)`);
      const operation = pkg === '@aws-sdk/lib-dynamodb' ? DOCUMENT_CLIENT_OPERATION[m[1]!] : (m[1] as string);
      if (!operation) throw new Error(`${file}: no DynamoDB operation known for ${command}`);
      const named = `${service}:${operation}`;
      const primary = ACTION_OF_OPERATION[named] ?? named;
      for (const action of [primary, ...(IMPLIED[primary] ?? [])]) {
        actions.set(action, file);
      }
    }
  }
  return actions;
}

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown };

function roleStatements(s: Synthesized): Statement[] {
  const policies = s.template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: logicalId(s.stack.pipeline.role) }] },
  });
  return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const arn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const pairs = (statements: Statement[]) =>
  statements.flatMap((st) =>
    [st.Action].flat().flatMap((action) => [st.Resource].flat().map((resource) => ({ action, resource }))),
  );

describe.each(['queue', 'direct'] as const)('the function role in %s mode', (mode) => {
  let s: Synthesized;
  let platform: { action: string; resource: unknown }[];
  beforeAll(() => {
    s = synthesize(configOf({ alarms: { notify: 'nowhere' }, trigger: { mode } }));
    const logGroup = arn(logicalId(s.stack.pipeline.logGroup));
    platform = [
      // Lambda writes the function's logs and traces with its role.
      { action: 'logs:CreateLogStream', resource: logGroup },
      { action: 'logs:PutLogEvents', resource: logGroup },
      { action: 'xray:PutTelemetryRecords', resource: '*' },
      { action: 'xray:PutTraceSegments', resource: '*' },
      ...(s.stack.trigger instanceof QueueTrigger
        ? ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'].map((action) => ({
            // The event source mapping polls the ingest queue with the function's role.
            action,
            resource: arn(logicalId((s.stack.trigger as QueueTrigger).queue)),
          }))
        : [
            // Lambda delivers failed asynchronous invocations to the event dead-letter queue with it.
            { action: 'sqs:SendMessage', resource: arn(logicalId(s.stack.eventDeadLetterQueue)) },
          ]),
    ];
  });

  it('finds the SDK commands in the function code (the scan itself works)', () => {
    const sent = actionsSentByCode();
    expect([...sent.keys()].sort()).toEqual([
      'dynamodb:BatchWriteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'lambda:InvokeFunction',
      's3:GetObject',
      's3:GetObjectVersion',
      's3:PutObject',
      'sns:Publish',
      'sqs:SendMessage',
    ]);
  });

  it('grants Lambda what it does with the role on the function’s behalf, on those resources', () => {
    const granted = pairs(roleStatements(s));
    for (const expected of platform) expect(granted).toContainEqual(expected);
  });

  it('allows exactly the actions the code sends, no more and no fewer', () => {
    const isPlatform = (p: { action: string; resource: unknown }) =>
      platform.some(
        (q) => q.action === p.action && JSON.stringify(q.resource) === JSON.stringify(p.resource),
      );
    const allowed = new Set(
      pairs(roleStatements(s).filter((st) => st.Effect === 'Allow'))
        .filter((p) => !isPlatform(p))
        .map((p) => p.action),
    );
    const sent = actionsSentByCode();
    for (const [action, only] of Object.entries(ONLY_IN_MODE)) if (only !== mode) sent.delete(action);
    // Never sent: S3 consults it to answer a GetObject of a missing key with 404 rather than 403.
    sent.set('s3:ListBucket', 'implicit in s3:GetObject of a missing key');
    const unused = [...allowed].filter((action) => !sent.has(action)).sort();
    const missing = [...sent.keys()].filter((action) => !allowed.has(action)).sort();
    expect({ unused, missing }).toEqual({ unused: [], missing: [] });
  });
});

describe('s3:ListBucket, so that S3 answers 404 for a missing routed object', () => {
  it('is granted on the bucket only for the routed prefixes', () => {
    const s = synthesize(
      configOf({
        alarms: { notify: 'nowhere' },
        routes: [
          { id: 'a', prefix: 'incoming/', suffix: '.json' },
          { id: 'b', prefix: 'iot/', suffix: '.ndjson', format: 'ndjson' },
        ],
      }),
    );
    const listing = roleStatements(s).filter((st) => [st.Action].flat().includes('s3:ListBucket'));
    expect(listing).toEqual([
      {
        Sid: 'ListRoutedPrefixesSoMissingObjectsAre404',
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: arn(logicalId(s.stack.ingest.bucket)),
        Condition: { StringLike: { 's3:prefix': ['incoming/*', 'iot/*'] } },
      },
    ]);
  });
});

describe('the topic subscribers: SNS alone, from this topic alone', () => {
  let s: Synthesized;
  let topic: string;
  beforeAll(() => {
    s = synthesize(
      configOf({
        alarms: { notify: 'nowhere' },
        topic: {
          subscriptions: [
            { protocol: 'sqs', queue: 'moderation', filterPolicy: { route: ['uploads'] } },
            {
              protocol: 'lambda',
              endpoint: 'arn:aws:lambda:us-east-1:123456789012:function:moderate',
              filterPolicy: { status: [{ 'anything-but': ['FAILED'] }] },
            },
            { protocol: 'sms', endpoint: '+14155550100', filterPolicy: { status: ['FAILED'] } },
          ],
        },
      }),
    );
    topic = logicalId(s.stack.topics.topic);
  });

  it("lets only sns.amazonaws.com send to the stack's subscriber queue, only from this topic", () => {
    const queue = Object.entries(s.template.findResources('AWS::SQS::Queue')).find(
      ([, q]) => q.Properties.QueueName === 'moderation',
    );
    expect(queue).toBeDefined();
    const policies = Object.values(s.template.findResources('AWS::SQS::QueuePolicy')).filter((p) =>
      JSON.stringify(p.Properties.Queues).includes(`"${queue?.[0]}"`),
    );
    expect(policies).toHaveLength(1);
    const allows = (
      (policies[0]?.Properties.PolicyDocument.Statement ?? []) as Array<Record<string, unknown>>
    ).filter((st) => st.Effect === 'Allow');
    expect(allows).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [queue?.[0], 'Arn'] },
        Condition: { ArnEquals: { 'aws:SourceArn': { Ref: topic } } },
      },
    ]);
  });

  it('lets only this topic invoke the subscribed function', () => {
    const permissions = Object.values(s.template.findResources('AWS::Lambda::Permission')).filter(
      (p) => p.Properties.Principal === 'sns.amazonaws.com',
    );
    expect(permissions).toHaveLength(1);
    expect(permissions[0]?.Properties).toMatchObject({
      Action: 'lambda:InvokeFunction',
      FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:moderate',
      SourceArn: { Ref: topic },
    });
  });

  it('carries each subscription with its protocol and filter policy', () => {
    const subscriptions = Object.values(s.template.findResources('AWS::SNS::Subscription')).map(
      (r) => r.Properties as Record<string, unknown>,
    );
    const byProtocol = (protocol: string) => subscriptions.find((p) => p.Protocol === protocol);
    expect(byProtocol('sqs')?.FilterPolicy).toEqual({ route: ['uploads'] });
    expect(byProtocol('lambda')?.FilterPolicy).toEqual({ status: [{ 'anything-but': ['FAILED'] }] });
    expect(byProtocol('sms')).toMatchObject({
      Endpoint: '+14155550100',
      FilterPolicy: { status: ['FAILED'] },
    });
    for (const p of subscriptions) expect(p.TopicArn).toEqual({ Ref: topic });
  });
});
