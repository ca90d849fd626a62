import type { DeadLetter, DeadLetterQueue } from '@eventline/core';
import type { SqsApi } from './apis.ts';

/**
 * The SQS dead-letter queue, loaded with its first letter: the adapter and its SQS command are
 * imported then, and the client is asked for then (`createPipelineClients` makes it on first use), so
 * a cold start that never dead-letters loads none of it. A failed load is retried by the next letter.
 */
export class DeferredSqsDeadLetters implements DeadLetterQueue {
  private queue: Promise<DeadLetterQueue> | undefined;

  constructor(
    private readonly sqs: () => Promise<SqsApi>,
    private readonly queueUrl: string,
  ) {}

  async send(letter: DeadLetter): Promise<void> {
    this.queue ??= this.load().catch((error: unknown) => {
      this.queue = undefined;
      throw error;
    });
    await (await this.queue).send(letter);
  }

  private async load(): Promise<DeadLetterQueue> {
    const [{ SqsApiDeadLetters }, client] = await Promise.all([import('./sqs-letters.ts'), this.sqs()]);
    return new SqsApiDeadLetters(client, this.queueUrl);
  }
}
