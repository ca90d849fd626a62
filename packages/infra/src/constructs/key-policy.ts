import { Aws } from 'aws-cdk-lib';
import { ArnPrincipal, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';

/**
 * What the account (its administrators, through IAM) may do with a key: manage it, never use it for
 * data. aws-cdk-lib's default key policy gives the account root `kms:*`, which includes `kms:CreateGrant`
 * for anyone IAM allows it to: a grant is a way around the key policy. Here grants may only be created
 * for AWS services acting on the account's behalf (`kms:GrantIsForAWSResource`). The services that
 * encrypt with the key get their own statements next to the resources they serve.
 */
export const KEY_ADMIN_ACTIONS = [
  'kms:DescribeKey',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:EnableKey',
  'kms:DisableKey',
  'kms:EnableKeyRotation',
  'kms:DisableKeyRotation',
  'kms:RotateKeyOnDemand',
  'kms:UpdateKeyDescription',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:CreateAlias',
  'kms:UpdateAlias',
  'kms:DeleteAlias',
  'kms:RevokeGrant',
  'kms:RetireGrant',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
] as const;

/** The account, as `AWS::AccountId` (aws-cdk-lib's AccountRootPrincipal writes a literal when the stack has an environment). */
export const accountRoot = () => new ArnPrincipal(`arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:root`);

export function scopedKeyPolicy(): PolicyDocument {
  return new PolicyDocument({
    statements: [
      new PolicyStatement({
        sid: 'AccountAdministersTheKey',
        principals: [accountRoot()],
        actions: [...KEY_ADMIN_ACTIONS],
        resources: ['*'],
      }),
      new PolicyStatement({
        sid: 'AccountGrantsOnlyToAwsServices',
        principals: [accountRoot()],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
    ],
  });
}
