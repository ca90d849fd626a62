import type { LambdaClient, LambdaClientConfig } from '@aws-sdk/client-lambda';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Continuations } from '@eventline/core/ports.ts';
import { translate } from './errors.ts';

/** Queue mode: the continuation is a message on the ingest queue, like the S3 event it continues. */
export class SqsContinuations implements Continuations {
  constructor(
    /** The client, or a promise of it made on first use (the Lambda entry's lazy SQS client). */
    private readonly sqs: SQSClient | (() => Promise<SQSClient>),
    private readonly queueUrl: string,
  ) {}

  async schedule(event: Record<string, unknown>): Promise<void> {
    try {
      const sqs = typeof this.sqs === 'function' ? await this.sqs() : this.sqs;
      await sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(event) }));
    } catch (error) {
      throw translate(error, `SendMessage ${this.queueUrl}`);
    }
  }
}

/**
 * Direct mode: the continuation is an asynchronous invocation of this same function. The Lambda
 * client is loaded with the first continuation, not at cold start: most invocations never need it.
 */
export class LambdaContinuations implements Continuations {
  private client:
    | Promise<{ lambda: LambdaClient; Invoke: typeof import('@aws-sdk/client-lambda').InvokeCommand }>
    | undefined;

  constructor(
    private readonly functionName: string,
    private readonly clientConfig: LambdaClientConfig = {},
  ) {}

  async schedule(event: Record<string, unknown>): Promise<void> {
    this.client ??= import('@aws-sdk/client-lambda').then((sdk) => ({
      lambda: new sdk.LambdaClient(this.clientConfig),
      Invoke: sdk.InvokeCommand,
    }));
    const { lambda, Invoke } = await this.client;
    try {
      await lambda.send(
        new Invoke({
          FunctionName: this.functionName,
          InvocationType: 'Event',
          Payload: new TextEncoder().encode(JSON.stringify(event)),
        }),
      );
    } catch (error) {
      throw translate(error, `Invoke ${this.functionName}`);
    }
  }
}
