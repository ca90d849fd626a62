import {
  BatchWriteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { LambdaClientConfig } from '@aws-sdk/client-lambda';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDbApi, LambdaApi, S3Api, SnsApi, SqsApi } from './apis.ts';

/**
 * The operations of `apis.ts` on SDK v3 clients, added to the client itself: a client made by
 * `createClients` is still the SDK client (tests and the local stack send any command with it) and
 * is also what the adapters take. Not imported by the Lambda entry (its clients are `http/`'s).
 */
export function withS3Api(client: S3Client): S3Client & S3Api {
  const api: S3Api = {
    getObject: async (input) => {
      const { Body, ...rest } = await client.send(new GetObjectCommand(input));
      return { ...rest, ...(Body ? { Body: Body as AsyncIterable<Uint8Array> } : {}) };
    },
    headObject: (input) => client.send(new HeadObjectCommand(input)),
    putObject: (input) => client.send(new PutObjectCommand(input)),
  };
  return Object.assign(client, api);
}

export function withDynamoDbApi(client: DynamoDBClient): DynamoDBClient & DynamoDbApi {
  const api: DynamoDbApi = {
    getItem: (input) => client.send(new GetItemCommand(input)),
    putItem: (input) => client.send(new PutItemCommand(input)),
    updateItem: (input) => client.send(new UpdateItemCommand(input)),
    batchWriteItem: (input, options) =>
      client.send(
        new BatchWriteItemCommand(input),
        options?.abortSignal ? { abortSignal: options.abortSignal } : {},
      ),
    transactWriteItems: (input) => client.send(new TransactWriteItemsCommand(input)),
  };
  return Object.assign(client, api);
}

export function withSnsApi(client: SNSClient): SNSClient & SnsApi {
  const api: SnsApi = { publish: (input) => client.send(new PublishCommand(input)) };
  return Object.assign(client, api);
}

export function withSqsApi(client: SQSClient): SQSClient & SqsApi {
  const api: SqsApi = { sendMessage: (input) => client.send(new SendMessageCommand(input)) };
  return Object.assign(client, api);
}

/** SDK v3's Lambda client, loaded and made with the first invocation (direct mode's continuations). */
export function sdkLambdaApi(config: LambdaClientConfig): () => Promise<LambdaApi> {
  let api: Promise<LambdaApi> | undefined;
  const load = async (): Promise<LambdaApi> => {
    const { LambdaClient, InvokeCommand } = await import('@aws-sdk/client-lambda');
    const client = new LambdaClient(config);
    return { invoke: (input) => client.send(new InvokeCommand(input)) };
  };
  return () => {
    api ??= load().catch((error: unknown) => {
      api = undefined;
      throw error;
    });
    return api;
  };
}
