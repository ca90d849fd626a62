import { createClients } from '@eventline/aws/sdk';
import { parseConfig } from '@eventline/config';
import type { Outcome } from '@eventline/core';
import { createHandler, createPipeline } from '@eventline/lambda';
// Its own face: the package's main face would bundle the whole local stack (dynalite's native binding).
import { s3EventRecord } from '@eventline/local/s3-events';
import { rawBatchWrite } from '../baseline/raw-batch-write.ts';
import { measure } from '../lib/child.ts';

/**
 * Figure 3's child process: processes one large NDJSON object, alone in its process, so that its
 * peak RSS is the pipeline's (the emulators run in the parent). It is bundled by esbuild and run by
 * plain `node`, as Lambda runs the bundled handler. Reads its job as JSON in argv[2]; prints one JSON
 * line with the result.
 */
export type WorkerMode = 'eventline' | 'raw' | 'raw-shaped';

export interface WorkerJob {
  mode: WorkerMode;
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  bucket: string;
  key: string;
  size: number;
  eTag: string;
  tableName: string;
  topicArn: string;
  parallelism: number;
  /** The route's key template, e.g. `${deviceId}#${ts}`. */
  keyTemplate: string;
  prefix: string;
}

export interface WorkerResult {
  mode: WorkerJob['mode'];
  records: number;
  durationMs: number;
  /** RSS once everything is loaded and wired, before the file is read. */
  startRssMb: number;
  /** The process's high-water mark of RSS (getrusage maxrss). */
  peakRssMb: number;
  /** CPU time this process spent (user + system) while processing: how busy the pipeline itself was. */
  cpuMs: number;
  outcome?: Outcome;
}

const SEQUENCER = '0055AED6DCD90281E5';

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as WorkerJob;
  const clients = createClients({ endpoint: job.endpoint, region: job.region, credentials: job.credentials });
  const fields = [...job.keyTemplate.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]!);
  let run: () => Promise<{ records: number; outcome?: Outcome }>;

  if (job.mode === 'raw' || job.mode === 'raw-shaped') {
    const processedAt = new Date().toISOString();
    const source = {
      bucket: job.bucket,
      key: job.key,
      eTag: job.eTag,
      size: job.size,
      sequencer: SEQUENCER,
      eventTime: processedAt,
    };
    const seq = SEQUENCER.padEnd(48, '0');
    run = () =>
      rawBatchWrite({
        s3: clients.s3,
        documents: clients.documents,
        bucket: job.bucket,
        key: job.key,
        tableName: job.tableName,
        parallelism: job.parallelism,
        keyOf: (record) => fields.map((f) => String(record[f])).join('#'),
        ...(job.mode === 'raw-shaped'
          ? {
              extra: (_record: Record<string, unknown>, line: number) => ({
                kind: 'record',
                source,
                origin: `${job.bucket}/${job.key}`,
                seq,
                route: 'iot',
                line,
                processedAt,
              }),
            }
          : {}),
      });
  } else {
    const config = parseConfig(
      {
        routes: [
          { id: 'iot', prefix: job.prefix, suffix: '.ndjson', format: 'ndjson', key: job.keyTemplate },
        ],
        writes: { parallelism: job.parallelism },
      },
      'bench worker config',
    );
    const letters: unknown[] = [];
    const handler = createHandler({
      pipeline: createPipeline({
        config,
        names: { tableName: job.tableName, topicArn: job.topicArn, bucketName: job.bucket },
        clients,
        deadLetters: { send: async (letter) => void letters.push(letter) },
      }),
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    const event = {
      Records: [
        s3EventRecord({
          bucket: job.bucket,
          key: job.key,
          eventName: 'ObjectCreated:Put',
          size: job.size,
          eTag: job.eTag,
          sequencer: SEQUENCER,
          region: job.region,
          configurationId: 'iot',
        }),
      ],
    };
    run = async () => {
      const result = (await handler(event)) as { outcomes: Outcome[] };
      const outcome = result.outcomes[0];
      if (outcome?.status !== 'processed') {
        throw new Error(`eventline did not process the file: ${JSON.stringify({ outcome, letters })}`);
      }
      return { records: outcome.counts?.written ?? 0, outcome };
    };
  }

  const measured = await measure(run);
  const { records, outcome } = measured.value;
  const result: WorkerResult = {
    mode: job.mode,
    records,
    durationMs: measured.durationMs,
    startRssMb: measured.startRssMb,
    peakRssMb: measured.peakRssMb,
    cpuMs: measured.cpuMs,
  };
  if (outcome) result.outcome = outcome;
  process.stdout.write(`${JSON.stringify(result)}\n`);
  for (const client of [clients.s3, clients.dynamodb, clients.sns, clients.sqs]) client.destroy();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
