import {
  type Continuations,
  type DigestScheduler,
  digestCloseMessage,
  type WindowRef,
} from '@eventline/core';
import type { LambdaApi, SqsApi } from './apis.ts';
import { translate } from './errors.ts';

/** Queue mode: the continuation is a message on the ingest queue, like the S3 event it continues. */
export class SqsContinuations implements Continuations {
  constructor(
    /** The client, or a promise of it made on first use (the Lambda entry's lazy SQS client). */
    private readonly sqs: SqsApi | (() => Promise<SqsApi>),
    private readonly queueUrl: string,
  ) {}

  readonly delays = true;

  async schedule(event: Record<string, unknown>, delaySeconds?: number): Promise<void> {
    try {
      const sqs = typeof this.sqs === 'function' ? await this.sqs() : this.sqs;
      const delay = Math.max(0, Math.min(900, Math.ceil(delaySeconds ?? 0)));
      await sqs.sendMessage({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(event),
        ...(delay > 0 ? { DelaySeconds: delay } : {}),
      });
    } catch (error) {
      throw translate(error, `SendMessage ${this.queueUrl}`);
    }
  }
}

/**
 * Digest windows close by a message on the ingest queue, delayed until the window's end (SQS delays
 * up to 900 s); the function receives it as it receives S3 events, and closes the window.
 */
export class SqsDigestScheduler implements DigestScheduler {
  constructor(
    private readonly sqs: SqsApi | (() => Promise<SqsApi>),
    private readonly queueUrl: string,
  ) {}

  async schedule(window: WindowRef, delaySeconds: number): Promise<void> {
    try {
      const sqs = typeof this.sqs === 'function' ? await this.sqs() : this.sqs;
      await sqs.sendMessage({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(digestCloseMessage(window)),
        DelaySeconds: Math.max(0, Math.min(900, Math.round(delaySeconds))),
      });
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
