import { randomBytes } from 'node:crypto';
import { encodeS3Key } from '@eventline/core';

/**
 * S3 event records shaped exactly as S3 sends them (docs/reference/aws-wire-formats.md §1): eventVersion 2.1,
 * URL-encoded key, unquoted eTag. Live events carry the S3 emulator's own sequencer and versionId;
 * `nextSequencer` only names events made up for listed objects (backfill, recovery) and tests.
 */

let lastMs = 0;
let counter = 0;

/** A strictly increasing hex sequencer, 18 digits like S3's (milliseconds x 4096 + counter). */
export function nextSequencer(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else {
    counter += 1;
    if (counter >= 4096) {
      lastMs += 1;
      counter = 0;
    }
  }
  return (BigInt(lastMs) * 4096n + BigInt(counter)).toString(16).toUpperCase().padStart(18, '0');
}

export interface S3EventInput {
  bucket: string;
  key: string;
  eventName: string;
  size?: number;
  eTag?: string;
  versionId?: string;
  sequencer: string;
  region: string;
  configurationId: string;
  eventTime?: string;
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex').toUpperCase();

export function s3EventRecord(input: S3EventInput): Record<string, unknown> {
  const object: Record<string, unknown> = { key: encodeS3Key(input.key) };
  if (input.size !== undefined) object.size = input.size;
  if (input.eTag) object.eTag = input.eTag.replace(/"/g, '');
  if (input.versionId) object.versionId = input.versionId;
  object.sequencer = input.sequencer;
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: input.region,
    eventTime: input.eventTime ?? new Date().toISOString(),
    eventName: input.eventName.replace(/^s3:/, ''),
    userIdentity: { principalId: 'AWS:AIDAEVENTLINELOCAL' },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: { 'x-amz-request-id': hex(8), 'x-amz-id-2': randomBytes(32).toString('base64') },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: input.configurationId,
      bucket: {
        name: input.bucket,
        ownerIdentity: { principalId: 'A3EVENTLINELOCAL' },
        arn: `arn:aws:s3:::${input.bucket}`,
      },
      object,
    },
  };
}
