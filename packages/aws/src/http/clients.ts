import { createHash } from 'node:crypto';
import type { DynamoDbApi, LambdaApi, PipelineApis, S3Api, SnsApi, SqsApi } from '../apis.ts';
import { encodeUri } from './endpoint.ts';
import { jsonError, xmlElement, xmlError } from './errors.ts';
import { type AwsRequest, AwsRequester, type RequestSettings } from './request.ts';
import { readText } from './transport.ts';

/**
 * The Lambda entry's AWS clients: the operations of `../apis.ts` as signed HTTP requests
 * (`request.ts`), with no SDK v3 loaded. Every operation is declared where it is sent, by
 * `awsAction` with its IAM action (service:Operation): test/infra/least-privilege.test.ts reads
 * those declarations to compare the actions the function sends with the ones its role allows.
 * Wire formats: S3 REST-XML, DynamoDB and SQS JSON 1.0, SNS Query, Lambda REST-JSON.
 */

/** Declares the IAM action an operation is sent as (read by the least-privilege test). */
const awsAction = <A extends `${string}:${string}`>(action: A) => action.slice(action.indexOf(':') + 1);

/** DynamoDB's binary attributes travel as base64 in JSON, and are Uint8Array in SDK v3's shapes. */
function toJson(input: unknown): string {
  return JSON.stringify(input, function (this: Record<string, unknown>, key, value) {
    const raw = this[key];
    return raw instanceof Uint8Array ? Buffer.from(raw).toString('base64') : value;
  });
}

const binaryReviver = (key: string, value: unknown): unknown => {
  if (key === 'B' && typeof value === 'string') return Buffer.from(value, 'base64');
  if (key === 'BS' && Array.isArray(value)) return value.map((v) => Buffer.from(String(v), 'base64'));
  return value;
};

const dynamoErrors = jsonError(binaryReviver);
const jsonErrors = jsonError();

async function json(
  requester: AwsRequester,
  service: 'dynamodb' | 'sqs',
  target: string,
  input: unknown,
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  const response = await requester.send(
    {
      method: 'POST',
      service,
      path: '/',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target },
      body: toJson(input),
    },
    service === 'dynamodb' ? dynamoErrors : jsonErrors,
    signal,
  );
  const text = await readText(response.body);
  return text
    ? (JSON.parse(text, service === 'dynamodb' ? binaryReviver : undefined) as Record<string, unknown>)
    : {};
}

export class HttpDynamoDb implements DynamoDbApi {
  constructor(private readonly requester: AwsRequester) {}

  private call(operation: string, input: unknown, signal?: AbortSignal) {
    return json(this.requester, 'dynamodb', `DynamoDB_20120810.${operation}`, input, signal);
  }

  async getItem(input: Parameters<DynamoDbApi['getItem']>[0]) {
    return (await this.call(awsAction('dynamodb:GetItem'), input)) as Awaited<
      ReturnType<DynamoDbApi['getItem']>
    >;
  }

  async putItem(input: Parameters<DynamoDbApi['putItem']>[0]) {
    return this.call(awsAction('dynamodb:PutItem'), input);
  }

  async updateItem(input: Parameters<DynamoDbApi['updateItem']>[0]) {
    return (await this.call(awsAction('dynamodb:UpdateItem'), input)) as Awaited<
      ReturnType<DynamoDbApi['updateItem']>
    >;
  }

  /** A transaction is authorized by its actions' permissions: the ledger's are a Put and an Update. */
  async transactWriteItems(input: Parameters<NonNullable<DynamoDbApi['transactWriteItems']>>[0]) {
    awsAction('dynamodb:PutItem');
    awsAction('dynamodb:UpdateItem');
    return this.call('TransactWriteItems', input);
  }

  async batchWriteItem(
    input: Parameters<DynamoDbApi['batchWriteItem']>[0],
    options?: Parameters<DynamoDbApi['batchWriteItem']>[1],
  ) {
    return (await this.call(awsAction('dynamodb:BatchWriteItem'), input, options?.abortSignal)) as Awaited<
      ReturnType<DynamoDbApi['batchWriteItem']>
    >;
  }
}

const s3Errors = xmlError();

export class HttpS3 implements S3Api {
  constructor(private readonly requester: AwsRequester) {}

  private request(
    method: AwsRequest['method'],
    bucket: string,
    key: string,
    headers: Record<string, string>,
    extra: Partial<AwsRequest> = {},
  ) {
    return this.requester.send(
      {
        method,
        service: 's3',
        bucket,
        path: `/${key.split('/').map(encodeUri).join('/')}`,
        headers,
        ...extra,
      },
      s3Errors,
    );
  }

  async getObject(input: Parameters<S3Api['getObject']>[0]) {
    awsAction('s3:GetObject');
    const response = await this.request(
      'GET',
      input.Bucket,
      input.Key,
      {
        'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
        ...(input.IfMatch ? { 'if-match': input.IfMatch } : {}),
        ...(input.Range ? { range: input.Range } : {}),
      },
      input.VersionId ? { query: { versionId: input.VersionId } } : {},
    );
    const h = response.headers;
    const length = h['content-length'];
    const one = (name: string) => {
      const value = h[name];
      return Array.isArray(value) ? value[0] : value;
    };
    return {
      Body: response.body,
      ...(length !== undefined ? { ContentLength: Number(length) } : {}),
      ...(one('content-encoding') ? { ContentEncoding: one('content-encoding') } : {}),
      ...(one('content-type') ? { ContentType: one('content-type') } : {}),
      ...(one('content-range') ? { ContentRange: one('content-range') } : {}),
      ...(one('etag') ? { ETag: one('etag') } : {}),
      ...(one('x-amz-version-id') ? { VersionId: one('x-amz-version-id') } : {}),
      ...(one('x-amz-tagging-count') ? { TagCount: Number(one('x-amz-tagging-count')) } : {}),
      ...userMetadata(h),
    };
  }

  async headObject(input: Parameters<S3Api['headObject']>[0]) {
    awsAction('s3:GetObject');
    const response = await this.request('HEAD', input.Bucket, input.Key, {
      'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
    });
    response.body.resume();
    const etag = response.headers.etag;
    const version = response.headers['x-amz-version-id'];
    return {
      ...(typeof etag === 'string' ? { ETag: etag } : {}),
      ...(typeof version === 'string' ? { VersionId: version } : {}),
    };
  }

  async putObject(input: Parameters<S3Api['putObject']>[0]) {
    const body = typeof input.Body === 'string' ? Buffer.from(input.Body) : input.Body;
    awsAction('s3:PutObject');
    const response = await this.request(
      'PUT',
      input.Bucket,
      input.Key,
      {
        'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
        ...(input.ContentType ? { 'content-type': input.ContentType } : {}),
      },
      { body },
    );
    response.body.resume();
    const etag = response.headers.etag;
    const version = response.headers['x-amz-version-id'];
    return {
      ...(typeof etag === 'string' ? { ETag: etag } : {}),
      ...(typeof version === 'string' ? { VersionId: version } : {}),
    };
  }
}

/** SNS's Query error codes and the names SDK v3 gives them (its `@awsQueryError` codes). */
const SNS_ERROR_NAMES: Record<string, string> = {
  AuthorizationError: 'AuthorizationErrorException',
  EndpointDisabled: 'EndpointDisabledException',
  InternalError: 'InternalErrorException',
  InvalidParameter: 'InvalidParameterException',
  ParameterValueInvalid: 'InvalidParameterValueException',
  InvalidSecurity: 'InvalidSecurityException',
  KMSAccessDenied: 'KMSAccessDeniedException',
  KMSDisabled: 'KMSDisabledException',
  KMSInvalidState: 'KMSInvalidStateException',
  KMSNotFound: 'KMSNotFoundException',
  KMSOptInRequired: 'KMSOptInRequired',
  KMSThrottling: 'KMSThrottlingException',
  NotFound: 'NotFoundException',
  PlatformApplicationDisabled: 'PlatformApplicationDisabledException',
  Throttled: 'ThrottledException',
  ValidationException: 'ValidationException',
  BatchEntryIdsNotDistinct: 'BatchEntryIdsNotDistinctException',
};
const snsErrors = xmlError(SNS_ERROR_NAMES);

export class HttpSns implements SnsApi {
  constructor(private readonly requester: AwsRequester) {}

  async publish(input: Parameters<SnsApi['publish']>[0]) {
    const form = new URLSearchParams({ Action: awsAction('sns:Publish'), Version: '2010-03-31' });
    for (const [name, value] of Object.entries(input)) {
      if (name !== 'MessageAttributes' && value !== undefined) form.set(name, String(value));
    }
    let n = 0;
    for (const [name, value] of Object.entries(input.MessageAttributes ?? {})) {
      n += 1;
      form.set(`MessageAttributes.entry.${n}.Name`, name);
      form.set(`MessageAttributes.entry.${n}.Value.DataType`, value.DataType ?? 'String');
      if (value.StringValue !== undefined)
        form.set(`MessageAttributes.entry.${n}.Value.StringValue`, value.StringValue);
      if (value.BinaryValue !== undefined) {
        form.set(
          `MessageAttributes.entry.${n}.Value.BinaryValue`,
          Buffer.from(value.BinaryValue).toString('base64'),
        );
      }
    }
    const response = await this.requester.send(
      {
        method: 'POST',
        service: 'sns',
        path: '/',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body: form.toString(),
      },
      snsErrors,
    );
    const messageId = xmlElement(await readText(response.body), 'MessageId');
    return messageId === undefined ? {} : { MessageId: messageId };
  }
}

export class HttpSqs implements SqsApi {
  constructor(private readonly requester: AwsRequester) {}

  async sendMessage(input: Parameters<SqsApi['sendMessage']>[0]) {
    const output = await json(this.requester, 'sqs', `AmazonSQS.${awsAction('sqs:SendMessage')}`, input);
    return typeof output.MessageId === 'string' ? { MessageId: output.MessageId } : {};
  }
}

export class HttpLambda implements LambdaApi {
  constructor(private readonly requester: AwsRequester) {}

  async invoke(input: Parameters<LambdaApi['invoke']>[0]) {
    // lambda:Invoke is authorized as lambda:InvokeFunction.
    awsAction('lambda:InvokeFunction');
    const response = await this.requester.send(
      {
        method: 'POST',
        service: 'lambda',
        path: `/2015-03-31/functions/${encodeUri(input.FunctionName)}/invocations`,
        headers: {
          'content-type': 'application/octet-stream',
          'x-amz-invocation-type': input.InvocationType,
        },
        body: input.Payload,
      },
      jsonErrors,
    );
    response.body.resume();
    return { StatusCode: response.status };
  }
}

/**
 * The Lambda entry's clients (`PipelineApis`): S3, DynamoDB, SNS and SQS share one requester (one
 * keep-alive agent per protocol, one retry quota); direct mode's Lambda client has its own timeouts
 * (connect in 3 s, 10 s of silence), as the SDK v3 client of its continuations had. Nothing connects
 * until the first request.
 */
export function createHttpClients(settings: RequestSettings = {}): PipelineApis & {
  sqs: SqsApi;
  lambda: () => Promise<LambdaApi>;
} {
  const requester = new AwsRequester(settings);
  let lambda: LambdaApi | undefined;
  return {
    s3: new HttpS3(requester),
    dynamodb: new HttpDynamoDb(requester),
    sns: new HttpSns(requester),
    sqs: new HttpSqs(requester),
    lambda: async () => {
      lambda ??= new HttpLambda(
        new AwsRequester({ ...settings, timeouts: { connectionMs: 3_000, requestMs: 10_000 } }),
      );
      return lambda;
    },
  };
}

/** S3's user metadata from `x-amz-meta-*` response headers, as SDK v3 gives it (`Metadata`). */
function userMetadata(headers: Record<string, string | string[] | undefined>): {
  Metadata?: Record<string, string>;
} {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('x-amz-meta-') || value === undefined) continue;
    metadata[name.slice('x-amz-meta-'.length)] = Array.isArray(value) ? value.join(',') : value;
  }
  return Object.keys(metadata).length > 0 ? { Metadata: metadata } : {};
}
