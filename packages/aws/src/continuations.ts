import type { Continuations } from '@eventline/core';
import type { LambdaApi, SqsApi } from './apis.ts';
import { translate } from './errors.ts';

/** Queue mode: the continuation is a message on the ingest queue, like the S3 event it continues. */
export class SqsContinuations implements Continuations {
  constructor(
    /** The client, or a promise of it made on first use (the Lambda entry's lazy SQS client). */
    private readonly sqs: SqsApi | (() => Promise<SqsApi>),
    private readonly queueUrl: string,
  ) {}

  async schedule(event: Record<string, unknown>): Promise<void> {
    try {
      const sqs = typeof this.sqs === 'function' ? await this.sqs() : this.sqs;
      await sqs.sendMessage({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(event) });
    } catch (error) {
      throw translate(error, `SendMessage ${this.queueUrl}`);
    }
  }
}

/**
 * Direct mode: the continuation is an asynchronous invocation of this same function. The Lambda
 * client is made with the first continuation, not at cold start: most invocations never need it.
 */
export class LambdaContinuations implements Continuations {
  constructor(
    private readonly functionName: string,
    /** The Lambda client, made on first use (`createClients`' or the Lambda entry's `http/` one). */
    private readonly lambda: () => Promise<LambdaApi>,
  ) {}

  async schedule(event: Record<string, unknown>): Promise<void> {
    const lambda = await this.lambda();
    try {
      await lambda.invoke({
        FunctionName: this.functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(event)),
      });
    } catch (error) {
      throw translate(error, `Invoke ${this.functionName}`);
    }
  }
}
