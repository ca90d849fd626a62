/**
 * The face of @eventline/local: the local stack (`LocalStack.start`), its logger and data layout, the
 * dead-letter stores, and the S3 event records it builds. The console page is `@eventline/local/console`,
 * loaded only when wanted.
 */

export type { PhoneMessage } from '@eventline/sns-emulator';
export { Activity, consoleLogger, type FeedEntry, type LogLine } from './activity.ts';
export { type ConsoleHandler, toJson } from './admin.ts';
export { S3_DATA_SUBDIR } from './data-dir.ts';
export {
  type DeadLetterStore,
  FileDeadLetterQueue,
  SqsDeadLetterStore,
  type StoredDeadLetter,
} from './dead-letters.ts';
export { type DroppedObject, recordDropOn } from './drop-decision.ts';
export { describeOutcome, eventsOfLetter } from './printing.ts';
export type { StackQueue, StackQueues } from './queues.ts';
export type { DropRecord, ReplayResult } from './replay.ts';
export { nextSequencer, type S3EventInput, s3EventRecord } from './s3-events.ts';
export type { StopReport } from './shutdown.ts';
export { LocalStack } from './stack.ts';
export type { LocalStackOptions } from './stack-options.ts';
export { subscribeAll, subscriptionAttributes } from './topic-subscriptions.ts';
