import { encodeS3Key, type ObjectEvent } from './events.ts';

/**
 * A file that cannot finish within one invocation continues in another: the event below is sent
 * to the function again (queue mode: a message on the ingest queue; direct mode: an asynchronous
 * invocation). It is an ordinary S3 event for the same object version, so every path that reads
 * events reads it; the ledger's checkpoint says where to resume.
 */
export function continuationEvent(event: ObjectEvent): Record<string, unknown> {
  const object: Record<string, unknown> = { key: encodeS3Key(event.key) };
  if (event.size !== undefined) object.size = event.size;
  if (event.eTag) object.eTag = event.eTag;
  if (event.versionId) object.versionId = event.versionId;
  if (event.sequencer) object.sequencer = event.sequencer;
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: event.region ?? 'us-east-1',
        eventTime: event.eventTime,
        eventName: event.eventName.startsWith('ObjectCreated:') ? event.eventName : 'ObjectCreated:Put',
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'eventline-continuation',
          bucket: { name: event.bucket, arn: `arn:aws:s3:::${event.bucket}` },
          object,
        },
      },
    ],
  };
}
