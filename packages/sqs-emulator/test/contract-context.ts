import type { SQSClient } from '@aws-sdk/client-sqs';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { it as vitestIt } from 'vitest';

/** An SQS endpoint the contract runs against (see `contract.ts`). */
export interface ContractTarget {
  client: SQSClient;
  /** Origin queue URLs start with. */
  url: string;
  accountId: string;
  stop(): Promise<void>;
}

export interface ContractOptions {
  /** Case titles to leave out for this target, each with the reason. */
  differences?: Record<string, string>;
}

/** What every part of the contract shares: the running target and the helpers over it. */
export interface ContractContext {
  /** The target started in the contract's `beforeAll`. */
  target(): ContractTarget;
  /** `it`, leaving out the target's documented differences. */
  it(title: string, fn: () => Promise<void>, timeout?: number): void;
  /** A queue name unique within this run. */
  queueName(prefix: string): string;
  ACCOUNT_ID(): string;
  createQueue(name: string, Attributes?: Record<string, string>): Promise<string>;
  attributes(QueueUrl: string): Promise<Record<string, string>>;
  errorOf(promise: Promise<unknown>): Promise<{ name: string; message: string; status?: number }>;
}

export function contractContext(target: () => ContractTarget, options: ContractOptions): ContractContext {
  let counter = 0;
  const client = () => target().client;
  return {
    target,
    it(title, fn, timeout) {
      if (options.differences?.[title]) return;
      vitestIt(title, fn, timeout);
    },
    queueName: (prefix) => `${prefix}-${++counter}`,
    ACCOUNT_ID: () => target().accountId,
    async createQueue(name, Attributes) {
      const { QueueUrl } = await client().send(new CreateQueueCommand({ QueueName: name, Attributes }));
      return QueueUrl as string;
    },
    async attributes(QueueUrl) {
      const out = await client().send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
      return out.Attributes ?? {};
    },
    async errorOf(promise) {
      try {
        await promise;
      } catch (error) {
        const e = error as Error & { $metadata?: { httpStatusCode?: number } };
        return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
      }
      throw new Error('expected the call to fail');
    },
  };
}
