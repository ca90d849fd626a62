import { describe, expect, it } from 'vitest';
import { configOf, synthesize } from './support.ts';

/**
 * A template deployed in another region or account must work there: no region or account literal may
 * be written into it (a `kms:ViaService` of sns.us-east-1, an `aws:SourceArn` of another region's
 * alarms, an account id in a permission...). With an explicit environment, the CDK's asset bucket name
 * is the only place the region and account may appear (`cdk deploy` uploads the function's code there).
 */
const everything = configOf({
  topic: { subscriptions: [{ protocol: 'https', endpoint: 'https://hooks.example.com/eventline' }] },
  alarms: { subscriptions: [{ protocol: 'email', endpoint: 'oncall@example.com' }] },
  ledger: { ttlDays: 30 },
});
const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const ANY_REGION = /\b(?:us|eu|ap|sa|ca|me|af|il|mx|cn)-(?:gov-)?[a-z]+-\d\b/g;
const ANY_ACCOUNT = /\b\d{12}\b/g;

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

/** Each match with some context, so that a failure shows where the literal is. */
function occurrences(text: string, pattern: RegExp | string): string[] {
  const regexp =
    typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g') : pattern;
  return [...text.matchAll(regexp)].map((m) =>
    text.slice(Math.max(0, m.index - 160), m.index + m[0].length + 40),
  );
}

/** The template without the asset bucket names of the Lambda functions' code. */
function withoutAssetBuckets(template: Template): Template {
  const copy = structuredClone(template);
  for (const resource of Object.values(copy.Resources)) {
    const code = resource.Properties?.Code as { S3Bucket?: unknown } | undefined;
    if (resource.Type === 'AWS::Lambda::Function' && code?.S3Bucket) code.S3Bucket = '<asset bucket>';
  }
  return copy;
}

describe.each(['queue', 'direct'] as const)('region- and account-agnostic template in %s mode', (mode) => {
  const config = { ...everything, trigger: { ...everything.trigger, mode } };

  it('has no region or account literal when synthesized without an environment', () => {
    const text = JSON.stringify(synthesize(config).template.toJSON());
    expect(occurrences(text, ANY_REGION)).toEqual([]);
    expect(occurrences(text, ANY_ACCOUNT)).toEqual([]);
  });

  it(`names neither us-east-1 nor, outside the asset bucket, ${REGION} or the account when synthesized for them`, () => {
    const template = synthesize(config, {
      env: { account: ACCOUNT, region: REGION },
    }).template.toJSON() as Template;
    expect(occurrences(JSON.stringify(template), 'us-east-1')).toEqual([]);
    // The CDK uploads the function's code to the bootstrap bucket of that account and region, by name.
    const assetBuckets = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => (r.Properties?.Code as { S3Bucket?: unknown } | undefined)?.S3Bucket);
    expect(assetBuckets).toContain(`cdk-hnb659fds-assets-${ACCOUNT}-${REGION}`);
    const rest = JSON.stringify(withoutAssetBuckets(template));
    expect(occurrences(rest, ANY_REGION)).toEqual([]);
    expect(occurrences(rest, ANY_ACCOUNT)).toEqual([]);
  });
});
