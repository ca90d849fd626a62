import type { Context } from 'aws-lambda';

/** How the benchmark's handlers reach the local stack: one endpoint, fixed credentials, one region. */
export interface StackEndpoint {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/** A handler as the local stack's invoker calls it (one S3 event and a Lambda context in, anything out). */
export type BenchHandler = (event: unknown, context?: Context) => Promise<unknown>;

export interface S3EventRecordShape {
  s3: { bucket: { name: string }; object: { key: string } };
}

/** The `Records` of a direct S3 notification (the shape the local stack invokes handlers with). */
export function recordsOf(event: unknown): S3EventRecordShape[] {
  const records = (event as { Records?: unknown })?.Records;
  if (!Array.isArray(records)) throw new TypeError('expected an S3 event with a Records array');
  return records as S3EventRecordShape[];
}
