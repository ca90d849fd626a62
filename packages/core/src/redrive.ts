import { encodeS3Key } from './events.ts';

/**
 * Events the operator sends (the CLI's `backfill`, `reconcile --fix`, `dlq replay`): ordinary S3
 * "object created" notifications for one object version, read by every path that reads S3 events
 * (the ingest queue, an asynchronous invocation). The S3 `configurationId` (the notification's name,
 * free text in S3) says who sent it: `eventline-replay` asks the function to process a file again
 * that failed permanently (the ledger holds FAILED for that version), as the local stack's replay does.
 */
export const REDRIVE_CONFIGURATION = {
  backfill: 'eventline-backfill',
  replay: 'eventline-replay',
} as const;

export type RedrivePurpose = keyof typeof REDRIVE_CONFIGURATION;

/** The object version to send, as a bucket listing or a dead letter names it. */
export interface RedriveObject {
  bucket: string;
  key: string;
  versionId?: string;
  eTag?: string;
  size?: number;
  sequencer?: string;
  /** When the object was written (listing: LastModified); default now. */
  eventTime?: string;
  region?: string;
}

/** The S3 notification (`{Records:[...]}`) for `object`, marked with `purpose`. */
export function redriveEvent(object: RedriveObject, purpose: RedrivePurpose): Record<string, unknown> {
  const s3Object: Record<string, unknown> = { key: encodeS3Key(object.key) };
  if (object.size !== undefined) s3Object.size = object.size;
  if (object.eTag) s3Object.eTag = object.eTag.replace(/"/g, '');
  if (object.versionId) s3Object.versionId = object.versionId;
  if (object.sequencer) s3Object.sequencer = object.sequencer;
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: object.region ?? 'us-east-1',
        eventTime: object.eventTime ?? new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: REDRIVE_CONFIGURATION[purpose],
          bucket: { name: object.bucket, arn: `arn:aws:s3:::${object.bucket}` },
          object: s3Object,
        },
      },
    ],
  };
}
