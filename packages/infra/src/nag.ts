import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * Runs cdk-nag's AwsSolutions and Serverless packs as validation plugins: every synth (CLI or test)
 * fails on a finding that has not been acknowledged, one by one and with a reason, on its construct.
 */
export function addNagChecks(appOrStage: IConstruct): void {
  Validations.of(appOrStage).addPlugins(
    new AwsSolutionsChecks(appOrStage, { verbose: true }),
    new ServerlessChecks(appOrStage, { verbose: true }),
  );
}
