import type { DeadLetter, DeadLetterQueue } from '@eventline/core';
import type { SqsApi } from './apis.ts';
import { translate } from './errors.ts';

/** SQS's message limit is 256 KiB; an oversized original event is cut, the reason always kept. */
const MAX_BODY = 250 * 1024;

/**
 * Sends files that failed permanently (and unreadable events) to the dead-letter queue, through
 * the `SqsApi` operations (an SDK v3 client from `createClients`, or the Lambda entry's `http/` one).
 * `SqsDeadLetters` (sqs-dead-letters.ts) is the same over a bare SDK v3 client.
 */
export class SqsApiDeadLetters implements DeadLetterQueue {
  constructor(
    private readonly sqs: SqsApi,
    private readonly queueUrl: string,
  ) {}

  async send(letter: DeadLetter): Promise<void> {
    let body = JSON.stringify({ eventline: 'dead-letter', ...letter });
    if (Buffer.byteLength(body) > MAX_BODY) {
      body = JSON.stringify({ eventline: 'dead-letter', ...letter, event: { truncated: true } });
    }
    try {
      await this.sqs.sendMessage({
        QueueUrl: this.queueUrl,
        MessageBody: body,
        MessageAttributes: {
          ErrorCode: { DataType: 'String', StringValue: letter.code },
          ErrorMessage: { DataType: 'String', StringValue: letter.reason.slice(0, 1024) },
        },
      });
    } catch (error) {
      throw translate(error, 'SendMessage (dead-letter queue)');
    }
  }
}
