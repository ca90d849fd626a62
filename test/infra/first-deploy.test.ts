import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { configOf, synthesize } from './support.ts';

/**
 * What a first deploy into a new account meets: no concurrency reserved by default (a new account's
 * quota of 10 leaves nothing to reserve; the event source mapping's maximum concurrency bounds the
 * function in queue mode), and one warning, at synth and deploy, when the alarms reach nobody.
 */

const routes = [{ id: 'default', prefix: 'incoming/', suffix: '.json', format: 'json' as const }];
const recipients = { subscriptions: [{ protocol: 'email' as const, endpoint: 'oncall@example.com' }] };

const warningsOf = (s: ReturnType<typeof synthesize>) =>
  Annotations.fromStack(s.stack)
    .findWarning('*', Match.anyValue())
    .map((w) => String(w.entry.data));

describe('first deploy', () => {
  it('queue mode reserves no concurrency by default; the event source mapping bounds the function', () => {
    const s = synthesize(configOf({ routes, alarms: recipients }));
    const [fn] = Object.values(
      s.template.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } }),
    );
    expect(fn?.Properties).not.toHaveProperty('ReservedConcurrentExecutions');
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    expect(warningsOf(s)).toEqual([]);
  });

  it('reserves concurrency when the config asks for it', () => {
    const s = synthesize(configOf({ routes, alarms: recipients, function: { reservedConcurrency: 20 } }));
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      ReservedConcurrentExecutions: 20,
    });
  });

  it("warns once when alarms.notify is 'nowhere'", () => {
    const warnings = warningsOf(synthesize(configOf({ routes, alarms: { notify: 'nowhere' } })));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("alarms.notify is 'nowhere': the alarms reach nobody");
  });

  it('direct mode without a reservation says what the function may take and what a reservation needs', () => {
    const s = synthesize(configOf({ routes, alarms: recipients, trigger: { mode: 'direct' } }));
    const warnings = warningsOf(s);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('direct mode without function.reservedConcurrency');
    expect(warnings[0]).toContain('a Lambda concurrency quota of at least that + 100');
  });
});
