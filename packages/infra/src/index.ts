/**
 * The face of @eventline/infra: the CDK stack and the constructs it is made of, the deploy-time checks
 * of a config, and cdk-nag's rule packs. The CDK app itself (what `cdk synth` runs) is src/app.ts.
 */
export { IngestBucket, type IngestBucketProps } from './constructs/ingest-bucket.ts';
export { KEY_ADMIN_ACTIONS, scopedKeyPolicy } from './constructs/key-policy.ts';
export { LedgerTable, type LedgerTableProps } from './constructs/ledger-table.ts';
export { NotificationTopics, type NotificationTopicsProps } from './constructs/notification-topics.ts';
export { PipelineFunction, type PipelineFunctionProps } from './constructs/pipeline-function.ts';
export { PipelineMonitoring, type PipelineMonitoringProps } from './constructs/pipeline-monitoring.ts';
export {
  DirectTrigger,
  type DirectTriggerProps,
  keyFilterOf,
  QueueTrigger,
  type QueueTriggerProps,
} from './constructs/triggers.ts';
export { assertDeployable, deployProblems } from './deploy-settings.ts';
export { EventlineStack, type EventlineStackProps } from './eventline-stack.ts';
export { addNagChecks } from './nag.ts';
