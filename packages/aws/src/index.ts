/**
 * The face of @eventline/aws: the pipeline's adapters (S3 source, DynamoDB ledger and record writer,
 * SNS notifier, SQS dead letters and continuations) on the operations of `apis.ts`, and the AWS error
 * helpers. No client is created here: `@eventline/aws/sdk` builds SDK v3 clients (the local stack, the
 * CLI, tests), `@eventline/aws/http` the Lambda bundle's signed requests without SDK v3.
 */
export * from './apis.ts';
export * from './continuations.ts';
export * from './deferred-dead-letters.ts';
export * from './dynamo-digest.ts';
export * from './dynamo-ledger.ts';
export * from './dynamo-record-writer.ts';
export * from './errors.ts';
export * from './s3-source.ts';
export * from './sns-notifier.ts';
export * from './sqs-letters.ts';
