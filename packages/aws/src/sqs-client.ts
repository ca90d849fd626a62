/**
 * The SQS client alone, for `import()`: importing `@aws-sdk/client-sqs` itself dynamically would
 * bundle every SQS command with it, where a named re-export lets esbuild keep the client only.
 */
export { SQSClient } from '@aws-sdk/client-sqs';
