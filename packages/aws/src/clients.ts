import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDbApi, LambdaApi, S3Api, SnsApi, SqsApi } from './apis.ts';
import { sdkLambdaApi, withDynamoDbApi, withS3Api, withSnsApi, withSqsApi } from './sdk-apis.ts';

/**
 * AWS SDK v3 clients, created once per process. Endpoints and credentials come from the SDK's
 * standard environment (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_S3`, ...), so the same code talks to
 * AWS in Lambda and to the local stack on a laptop. Against a custom endpoint (an emulator) S3 uses
 * path-style addressing and checksums only where an operation requires them (`WHEN_REQUIRED`), so
 * any S3-compatible endpoint gets plain bodies (some emulators store aws-chunked framing as object
 * bytes; the project's own S3 emulator decodes it, and its conformance suite sends the SDK defaults).
 * Real AWS keeps the SDK's defaults.
 *
 * Each client also has the operations of `apis.ts` the adapters call (`withS3Api`...). The Lambda
 * entry does not use these: its clients are `http/clients.ts`'s, without SDK v3.
 */
export interface AwsClients {
  s3: S3Client & S3Api;
  dynamodb: DynamoDBClient & DynamoDbApi;
  documents: DynamoDBDocumentClient;
  sns: SNSClient & SnsApi;
  sqs: SQSClient & SqsApi;
  /** SDK v3's Lambda client for direct mode's continuations, loaded and made on first use. */
  lambda?: () => Promise<LambdaApi>;
}

export interface ClientOptions {
  region?: string;
  /** Overrides every service's endpoint (tests); otherwise the SDK reads AWS_ENDPOINT_URL*. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts?: number;
  env?: NodeJS.ProcessEnv;
  /**
   * Socket timeouts, kept below the function timeout so that a stalled connection fails one request
   * (retried by the SDK) instead of the whole invocation: `connectionMs` to connect, `requestMs` of
   * silence on a socket (an idle stream, not a long one). Defaults: 3 s and 20 s; for a function,
   * `socketTimeoutsFor` its timeout (@eventline/config).
   */
  timeouts?: { connectionMs?: number; requestMs?: number };
}

/**
 * The clients every file needs (S3, DynamoDB, SNS), made now, and the SQS client of the dead-letter
 * queue as a promise made on first use: the Lambda entry's wiring, where a dead letter is rare and the
 * SQS client need not be loaded or built at cold start. Same settings as `createClients`.
 */
export interface PipelineClients extends Omit<AwsClients, 'sqs'> {
  sqs: () => Promise<SQSClient & SqsApi>;
}

export function createPipelineClients(options: ClientOptions = {}): PipelineClients {
  const { common, clients } = coreClients(options);
  let sqs: Promise<SQSClient & SqsApi> | undefined;
  const load = async () => {
    const { SQSClient: Client } = await import('./sqs-client.ts');
    return withSqsApi(new Client(common));
  };
  return {
    ...clients,
    sqs: () => {
      sqs ??= load().catch((error: unknown) => {
        sqs = undefined;
        throw error;
      });
      return sqs;
    },
  };
}

export function createClients(options: ClientOptions = {}): AwsClients {
  const { common, clients } = coreClients(options);
  return { ...clients, sqs: withSqsApi(new SQSClient(common)) };
}

function coreClients(options: ClientOptions): {
  common: Omit<ClientOptions, 'env'> & { region: string };
  clients: Omit<AwsClients, 'sqs'>;
} {
  const env = options.env ?? process.env;
  const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const common = {
    region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    // `socketTimeout` is the idle-socket timeout that fails the request (node-http-handler 4.x);
    // its `requestTimeout` only logs a warning unless `throwOnRequestTimeout` is set.
    requestHandler: {
      connectionTimeout: options.timeouts?.connectionMs ?? 3_000,
      socketTimeout: options.timeouts?.requestMs ?? 20_000,
    },
  };
  const s3Emulated = Boolean(options.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL);
  const s3 = new S3Client({
    ...common,
    ...(s3Emulated
      ? {
          forcePathStyle: true,
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
        }
      : {}),
  });
  const dynamodb = withDynamoDbApi(new DynamoDBClient(common));
  const documents = DynamoDBDocumentClient.from(dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    common,
    clients: {
      s3: withS3Api(s3),
      dynamodb,
      documents,
      sns: withSnsApi(new SNSClient(common)),
      // As before: SDK v3's defaults (the environment's region, endpoint and credentials).
      lambda: sdkLambdaApi({ requestHandler: { connectionTimeout: 3_000, socketTimeout: 10_000 } }),
    },
  };
}

export function destroyClients(clients: AwsClients): void {
  clients.s3.destroy();
  clients.dynamodb.destroy();
  clients.sns.destroy();
  clients.sqs.destroy();
}
