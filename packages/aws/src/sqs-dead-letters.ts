import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SqsApi } from './apis.ts';
import { withSqsApi } from './sdk-apis.ts';
import { SqsApiDeadLetters } from './sqs-letters.ts';

/**
 * Sends files that failed permanently (and unreadable events) to the dead-letter queue, through an
 * SDK v3 SQS client (the local stack's and the CLI's), or any `SqsApi`. The message is
 * `SqsApiDeadLetters`' (sqs-letters.ts), which the Lambda entry uses without SDK v3.
 */
export class SqsDeadLetters extends SqsApiDeadLetters {
  constructor(sqs: SQSClient | SqsApi, queueUrl: string) {
    super('sendMessage' in sqs ? sqs : withSqsApi(sqs), queueUrl);
  }
}
