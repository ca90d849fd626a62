import type {
  BatchWriteItemCommandInput,
  BatchWriteItemCommandOutput,
  GetItemCommandInput,
  GetItemCommandOutput,
  PutItemCommandInput,
  TransactWriteItemsCommandInput,
  UpdateItemCommandInput,
  UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import type { PublishCommandInput } from '@aws-sdk/client-sns';
import type { SendMessageCommandInput } from '@aws-sdk/client-sqs';

/**
 * The AWS operations the pipeline's adapters send, as plain methods with SDK v3's input and output
 * shapes. Two implementations: SDK v3 clients (`sdk-apis.ts`, what `createClients` returns, for the
 * local stack, the CLI and tests) and the signed-request clients of `http/` (the Lambda entry's, no
 * SDK v3 at cold start). An adapter built on these never names an SDK command, so the Lambda bundle
 * does not carry SDK v3. Errors are SDK v3's: `name` the AWS error code, `$metadata.httpStatusCode`,
 * and the error's own fields (a refused conditional write's `Item`).
 */
export interface S3Api {
  getObject(input: {
    Bucket: string;
    Key: string;
    VersionId?: string;
    IfMatch?: string;
    Range?: string;
  }): Promise<{
    Body?: AsyncIterable<Uint8Array>;
    ContentLength?: number;
    /** `bytes <first>-<last>/<size>` for a ranged GET. */
    ContentRange?: string;
    ContentEncoding?: string;
    ContentType?: string;
    ETag?: string;
    VersionId?: string;
    /** User metadata (`x-amz-meta-*`), names lowercased as S3 returns them. */
    Metadata?: Record<string, string>;
    /** How many tags the object has (`x-amz-tagging-count`). */
    TagCount?: number;
  }>;
  /** HeadObject of the current version (GetObject's permission). */
  headObject(input: {
    Bucket: string;
    Key: string;
  }): Promise<{ ETag?: string; VersionId?: string; LastModified?: Date }>;
  putObject(input: {
    Bucket: string;
    Key: string;
    Body: string | Uint8Array;
    ContentType?: string;
  }): Promise<{ ETag?: string; VersionId?: string }>;
}

export interface DynamoDbApi {
  getItem(input: GetItemCommandInput): Promise<Pick<GetItemCommandOutput, 'Item'>>;
  putItem(input: PutItemCommandInput): Promise<unknown>;
  updateItem(input: UpdateItemCommandInput): Promise<Pick<UpdateItemCommandOutput, 'Attributes'>>;
  /**
   * `abortSignal` ends the call, its retries included, when the signal aborts (the claim's fence,
   * issue 22 hole 11): no try starts after it, and the try in flight is abandoned (AbortError).
   */
  batchWriteItem(
    input: BatchWriteItemCommandInput,
    options?: { abortSignal?: AbortSignal },
  ): Promise<Pick<BatchWriteItemCommandOutput, 'UnprocessedItems'>>;
  /** Digest routes only (an outcome and its window in one write); a refusal's `CancellationReasons` kept. */
  transactWriteItems?(input: TransactWriteItemsCommandInput): Promise<unknown>;
}

export interface SnsApi {
  publish(input: PublishCommandInput): Promise<{ MessageId?: string }>;
}

export interface SqsApi {
  sendMessage(input: SendMessageCommandInput): Promise<{ MessageId?: string }>;
}

export interface LambdaApi {
  /** An asynchronous invocation (`InvocationType: Event`), the only kind the pipeline makes. */
  invoke(input: { FunctionName: string; InvocationType: 'Event'; Payload: Uint8Array }): Promise<{
    StatusCode?: number;
  }>;
}

/** What the pipeline's wiring needs: the clients every file uses, and those of rare paths on first use. */
export interface PipelineApis {
  s3: S3Api;
  dynamodb: DynamoDbApi;
  sns: SnsApi;
  /** The SQS client, or a promise of it made on first use (dead letters and queue-mode continuations). */
  sqs: SqsApi | (() => Promise<SqsApi>);
  /** The Lambda client of direct mode's continuations, made on first use; absent: made with SDK v3's defaults. */
  lambda?: () => Promise<LambdaApi>;
}
