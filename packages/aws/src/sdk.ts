/**
 * The face `@eventline/aws/sdk`: AWS SDK v3 clients for the pipeline's operations (the local stack, the
 * CLI, tests) and the SQS dead-letter queue that reads its letters back with them. Not for the Lambda
 * bundle, which uses `@eventline/aws/http`.
 */
export * from './clients.ts';
export * from './sdk-apis.ts';
export * from './sqs-dead-letters.ts';
