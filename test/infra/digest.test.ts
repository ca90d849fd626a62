import { QueueTrigger } from '@eventline/infra';
import { describe, expect, it } from 'vitest';
import { configOf, logicalId, synthesize } from './support.ts';

/**
 * A route with a digest needs no resource of its own on AWS: its windows live in the ledger table
 * and close through a delayed message on the ingest queue, which the function already sends to
 * (continuations). The synthesized template is the one without the digest (so the cdk-nag packs,
 * run by `synthesize`, and cfn-lint's templates cover it), and the role keeps sqs:SendMessage on the
 * ingest queue alone; the least-privilege test checks the transaction's actions (PutItem, UpdateItem).
 */

const route = { id: 'sensors', prefix: 'sensors/', suffix: '.ndjson', format: 'ndjson' } as const;

describe('a digest route in the stack', () => {
  it('adds nothing to the template and closes its windows on the ingest queue', () => {
    const plain = synthesize(configOf({ alarms: { notify: 'nowhere' }, routes: [route] }));
    const digest = synthesize(
      configOf({
        alarms: { notify: 'nowhere' },
        routes: [{ ...route, notify: { digest: { everySeconds: 60 } } }],
      }),
    );
    expect(JSON.stringify(digest.template.toJSON())).toBe(JSON.stringify(plain.template.toJSON()));

    const { trigger } = digest.stack;
    if (!(trigger instanceof QueueTrigger)) throw new Error('expected queue mode');
    const queue = logicalId(trigger.queue);
    const fn = Object.values(digest.template.findResources('AWS::Lambda::Function')).find(
      (r) => r.Properties.Environment?.Variables?.INGEST_QUEUE_URL,
    );
    expect(fn?.Properties.Environment.Variables.INGEST_QUEUE_URL).toEqual({ Ref: queue });
    const statements = Object.values(digest.template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>,
    );
    const sends = statements.filter((st) => [st.Action].flat().includes('sqs:SendMessage'));
    expect(sends.map((st) => st.Resource)).toContainEqual({ 'Fn::GetAtt': [queue, 'Arn'] });
  });
});
