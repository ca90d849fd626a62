import type { EventlineConfig } from '@eventline/config';
import { addNagChecks, EventlineStack } from '@eventline/infra';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cdkJsonContext, configOf, FIXTURE_ENTRY } from './support.ts';

const MODES = ['queue', 'direct'] as const;

const withMode = (config: EventlineConfig, mode: (typeof MODES)[number]): EventlineConfig => ({
  ...config,
  trigger: { ...config.trigger, mode },
});

/**
 * Every conditional part switched on: subscriptions (delivery dead-letter queue), alarms to an existing
 * topic too, ledger TTL, tags, disposable buckets.
 */
const everything = configOf({
  bucket: { removalPolicy: 'destroy' },
  topic: {
    subscriptions: [
      { protocol: 'email', endpoint: 'ops@example.com' },
      { protocol: 'sqs', queue: 'moderation', filterPolicy: { route: ['uploads'] } },
      { protocol: 'sqs', endpoint: 'arn:aws:sqs:eu-west-1:123456789012:workflows', rawMessageDelivery: true },
      { protocol: 'lambda', endpoint: 'arn:aws:lambda:eu-west-1:123456789012:function:moderate' },
      { protocol: 'sms', endpoint: '+14155550100', filterPolicy: { status: ['FAILED'] } },
    ],
  },
  alarms: {
    subscriptions: [{ protocol: 'email', endpoint: 'oncall@example.com' }],
    topicArns: ['arn:aws:sns:eu-west-1:123456789012:oncall'],
  },
  ledger: { ttlDays: 30 },
  stack: { tags: { team: 'data' } },
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('cdk-nag AwsSolutions and Serverless packs', () => {
  // Every stack the other test files build is synthesized with both packs (see support.ts), and
  // cdk-cli.test.ts synthesizes the project config in both modes through the CLI: a finding fails them.

  it('fail the synth on a finding nobody acknowledged', () => {
    const app = new App({ context: cdkJsonContext() });
    addNagChecks(app);
    new Queue(new Stack(app, 'Plain'), 'PlainQueue');
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4[\s\S]*Plain\/PlainQueue\/Resource/);
  });

  it.each(MODES)('have every acknowledgment matched by a finding it silences, in %s mode', (mode) => {
    // Record the acknowledgments instead of applying them, to see the raw findings.
    const acknowledged: { path: string; id: string; reason: string }[] = [];
    vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(function (this: Validations, ...rules) {
      const { scope } = this as unknown as { scope: IConstruct };
      for (const rule of rules)
        acknowledged.push({ path: scope.node.path, id: rule.id, reason: rule.reason });
    });
    const app = new App({ context: cdkJsonContext() });
    new EventlineStack(app, 'EventlineNag', {
      config: withMode(everything, mode),
      handlerEntry: FIXTURE_ENTRY,
    });
    const findings: { id: string; path: string }[] = [];
    for (const pack of [new AwsSolutionsChecks(), new ServerlessChecks()]) {
      for (const violation of pack.validateScope(app).violations) {
        for (const resource of violation.violatingResources) {
          findings.push({ id: violation.ruleName, path: resource.constructPath ?? '' });
        }
      }
    }

    const covers = (ack: { path: string; id: string }, finding: { path: string; id: string }) =>
      ack.id === finding.id && (finding.path === ack.path || finding.path.startsWith(`${ack.path}/`));
    const stale = acknowledged.filter((ack) => !findings.some((finding) => covers(ack, finding)));
    const uncovered = findings.filter((finding) => !acknowledged.some((ack) => covers(ack, finding)));
    expect(stale).toEqual([]);
    expect(uncovered).toEqual([]);

    for (const ack of acknowledged) {
      // One finding each (IAM wildcards name the exact resource), with a reason a reviewer can check.
      if (ack.id.startsWith('AwsSolutions-IAM')) expect(ack.id).toMatch(/\[(Resource|Policy)::.+\]$/);
      expect(ack.reason.length).toBeGreaterThan(60);
    }
  });
});
