import { resolve } from 'node:path';
import { type AwsClients, createClients } from '@eventline/aws/sdk';
import type { EventlineConfig, RuntimeNames } from '@eventline/config';
import { ConfigError } from '@eventline/config';
import type { Logger } from '@eventline/core';
import { errorMessage, TTL_ATTRIBUTE } from '@eventline/core';
import { ensureLedgerTable, type LocalDynamo, startLocalDynamo } from '@eventline/dynamodb-emulator';
import { createS3Emulator, type S3Emulator, type S3ObjectEvent } from '@eventline/s3-emulator';
import { createSnsService, type SnsService } from '@eventline/sns-emulator';
import { createSqsEmulator, type SqsEmulator } from '@eventline/sqs-emulator';
import { createAuthorizer } from './auth.ts';
import { localBucketDocuments } from './bucket-settings.ts';
import { S3_DATA_SUBDIR } from './data-dir.ts';
import { type Edge, type EdgeRoutes, startEdge } from './edge.ts';
import { isLoopbackAddress, isLoopbackName } from './loopback.ts';
import { ensureQueues, type StackQueues } from './queues.ts';
import { snsDeliveryTargets } from './sns-targets.ts';
import { subscribeAll } from './topic-subscriptions.ts';

/** The local AWS services (emulators) and the edge that serves them on one port. */
export interface LocalServices {
  dynamo: LocalDynamo;
  s3: S3Emulator;
  sns: SnsService;
  sqs: SqsEmulator;
  edge: Edge;
}

/**
 * Starts the emulators (DynamoDB, S3, SNS, SQS) on the data directory and the edge in front of them.
 * Each started service is handed to `started` at once, so that a failure further on can still close
 * what was started.
 */
export async function startServices(options: {
  config: EventlineConfig;
  dataDir: string;
  accountId: string;
  host: string;
  port: number;
  logger: Logger;
  /** Warnings of the emulators, into the stack's activity. */
  activityLogger: Logger;
  sns?: { delivery?: { timeoutMs?: number; retries?: number; retryDelayMs?: number } };
  onS3Event: (event: S3ObjectEvent) => void;
  /** The stack's own routes on the edge: Lambda's Invoke, the admin API and console. */
  routes: Pick<EdgeRoutes, 'lambda' | 'admin'>;
  started: (services: Partial<LocalServices>) => void;
}): Promise<LocalServices> {
  const { config, dataDir, accountId, logger, activityLogger, started } = options;
  const local = config.local;
  const dynamo = await startLocalDynamo({ path: resolve(dataDir, 'dynamodb') });
  started({ dynamo });
  const s3 = await createS3Emulator({
    dataDir: resolve(dataDir, S3_DATA_SUBDIR),
    region: local.region,
    // The emulator verifies SigV4 (header, presigned, signed chunks) and SigV2 itself.
    credentials: local.enforceAuth
      ? (accessKeyId) => (accessKeyId === local.accessKeyId ? local.secretAccessKey : undefined)
      : undefined,
    onObjectEvent: options.onS3Event,
    // Bucket policies are evaluated for signed requests (enforceAuth). The edge speaks plain HTTP: a request
    // from this machine's loopback counts as secure transport (it never leaves the machine), so the
    // TLS-only policy refuses plain HTTP only from other hosts, as AWS refuses it.
    accountId,
    // The bucket's lifecycle rules (noncurrent versions, incomplete uploads) are applied every hour, as S3 does daily.
    lifecycle: { intervalMs: 60 * 60 * 1000 },
    secureTransport: (req) => isLoopbackAddress(req.socket.remoteAddress),
    onEventError: (error, event) =>
      logger.error('could not take an S3 event', { key: event.key, error: errorMessage(error) }),
  });
  started({ s3 });
  // Versioned, encrypted, private, TLS-only and with the lifecycle rules of the deployed bucket (one
  // source: packages/config/src/bucket.ts); the ledger keys an object's versions by versionId.
  await s3.ensureBucket(config.bucket.name, {
    versioning: 'Enabled',
    configuration: localBucketDocuments(config),
  });
  let edge: Edge | undefined;
  let sqs: SqsEmulator | undefined;
  const publicUrl = () => {
    if (!edge) throw new Error('the edge is not listening yet');
    return edge.url;
  };
  const sns = createSnsService({
    region: local.region,
    accountId,
    dataDir: resolve(dataDir, 'sns'),
    publicUrl,
    ...(local.smtp ? { smtp: local.smtp } : {}),
    targets: snsDeliveryTargets({
      sqs: () => {
        if (!sqs) throw new Error('the SQS emulator is not started yet');
        return sqs;
      },
      lambdaEndpoint: () => local.lambdaEndpoint ?? publicUrl(),
      region: local.region,
      credentials: { accessKeyId: local.accessKeyId, secretAccessKey: local.secretAccessKey },
    }),
    logger: activityLogger,
    ...(options.sns?.delivery ? { delivery: options.sns.delivery } : {}),
  });
  started({ sns });
  sqs = createSqsEmulator({
    dataDir: resolve(dataDir, 'sqs'),
    region: local.region,
    accountId,
    endpoint: publicUrl,
    warn: (message, details) => activityLogger.warn(message, details),
  });
  started({ sqs });
  const { host, port } = options;
  const loopback = isLoopbackName(host.replace(/^\[|\]$/g, ''));
  if (!loopback && !local.enforceAuth) {
    throw new ConfigError(
      `local.host: "${host}" is not a loopback address; serving S3, DynamoDB and SNS beyond this machine needs local.enforceAuth: true (and your own key pair)`,
      { problems: [{ setting: 'local.host', message: 'a loopback address, or enforceAuth' }] },
    );
  }
  edge = await startEdge({
    host,
    port,
    anyHost: !loopback,
    logger,
    routes: {
      s3,
      dynamoPort: dynamo.port,
      sns,
      sqs,
      ...options.routes,
      ...(local.enforceAuth
        ? {
            authorize: createAuthorizer({
              accessKeyId: local.accessKeyId,
              secretAccessKey: local.secretAccessKey,
            }),
          }
        : {}),
    },
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE') {
      throw new ConfigError(
        `local.port: port ${port} on ${host} is already in use (another eventline or LocalStack?). Stop it, or set local.port in eventline.config.ts / --port`,
        { problems: [{ setting: 'local.port', message: 'a free TCP port' }], cause: error },
      );
    }
    throw error;
  });
  started({ edge });
  return { dynamo, s3, sns, sqs, edge };
}

/**
 * The resources the CDK app deploys, made on the local services: the ledger table, the queues, the
 * topic and its subscriptions. Returns the queues and the names the handler is given.
 */
export async function provisionResources(options: {
  config: EventlineConfig;
  clients: AwsClients;
  sns: SnsService;
  accountId: string;
  env: NodeJS.ProcessEnv;
}): Promise<{ queues: StackQueues; names: RuntimeNames }> {
  const { config, clients, sns, env } = options;
  await ensureLedgerTable(
    clients.dynamodb,
    config.table.name,
    config.ledger.ttlDays === undefined ? {} : { ttlAttribute: TTL_ATTRIBUTE },
  );
  const queues = await ensureQueues(clients.sqs, config, options.accountId);
  const topicArn = await sns.createTopic(config.topic.name);
  await subscribeAll(config, clients, sns, topicArn, options.accountId);
  const names: RuntimeNames = {
    tableName: config.table.name,
    topicArn,
    bucketName: config.bucket.name,
    settings: {
      table: env.TABLE_NAME !== undefined ? 'TABLE_NAME' : 'table.name',
      topic: env.TOPIC_ARN !== undefined ? 'TOPIC_ARN' : 'topic.name',
      bucket: env.BUCKET_NAME !== undefined ? 'BUCKET_NAME' : 'bucket.name',
    },
  };
  return { queues, names };
}

/**
 * The in-process handler's clients: each service through the edge, or through the endpoint a test
 * puts in between (a fault-injecting proxy). `owned` are the client sets to destroy at stop.
 */
export function handlerClientsFor(options: {
  region: string;
  edgeUrl: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  endpoints: { s3?: string; dynamodb?: string; sns?: string };
}): { clients: AwsClients; owned: AwsClients[] } {
  const { region, edgeUrl, credentials, endpoints } = options;
  const clientFor = (endpoint: string | undefined) =>
    createClients({ region, endpoint: endpoint ?? edgeUrl, credentials });
  const s3 = clientFor(endpoints.s3);
  const dynamodb = clientFor(endpoints.dynamodb);
  const sns = clientFor(endpoints.sns);
  return {
    clients: {
      s3: s3.s3,
      dynamodb: dynamodb.dynamodb,
      documents: dynamodb.documents,
      sns: sns.sns,
      sqs: s3.sqs,
    },
    owned: [s3, dynamodb, sns],
  };
}
