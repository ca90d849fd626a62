import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { bucketName, type Target } from './target.ts';

/** The shape of an S3 conformance case and the helpers the cases are written with. */

export interface Case {
  name: string;
  motoDiffers?: string;
  run(target: Target): Promise<void>;
}

export type SdkError = Error & { $metadata?: { httpStatusCode?: number }; Code?: string };

export async function rejects(promise: Promise<unknown>, status: number, code?: string): Promise<SdkError> {
  try {
    await promise;
  } catch (error) {
    const e = error as SdkError;
    expect(e.$metadata?.httpStatusCode, `${e.name}: ${e.message}`).toBe(status);
    if (code)
      expect(e.name === code || e.Code === code, `error ${e.name} ${e.Code ?? ''}, expected ${code}`).toBe(
        true,
      );
    return e;
  }
  throw new Error(`expected HTTP ${status}${code ? ` ${code}` : ''}, the request succeeded`);
}

export async function newBucket(
  s3: S3Client,
  label: string,
  versioning?: 'Enabled' | 'Suspended',
): Promise<string> {
  const Bucket = bucketName(label);
  await s3.send(new CreateBucketCommand({ Bucket }));
  if (versioning) {
    await s3.send(
      new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: versioning } }),
    );
  }
  return Bucket;
}

export async function put(
  s3: S3Client,
  Bucket: string,
  Key: string,
  Body: string | Buffer = `body of ${Key}`,
) {
  return s3.send(new PutObjectCommand({ Bucket, Key, Body }));
}

export async function text(s3: S3Client, Bucket: string, Key: string, extra: Record<string, unknown> = {}) {
  const out = await s3.send(new GetObjectCommand({ Bucket, Key, ...extra }));
  return { out, body: await out.Body!.transformToString() };
}

/** Every current key, following NextContinuationToken with pages of `pageSize`. */
export async function listAllV2(
  s3: S3Client,
  Bucket: string,
  pageSize: number,
  extra: Record<string, string> = {},
) {
  const keys: string[] = [];
  const prefixes: string[] = [];
  let ContinuationToken: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const out = await s3.send(
      new ListObjectsV2Command({ Bucket, MaxKeys: pageSize, ContinuationToken, ...extra }),
    );
    keys.push(...(out.Contents ?? []).map((c) => c.Key!));
    prefixes.push(...(out.CommonPrefixes ?? []).map((c) => c.Prefix!));
    expect(out.KeyCount).toBe((out.Contents?.length ?? 0) + (out.CommonPrefixes?.length ?? 0));
    if (!out.IsTruncated) return { keys, prefixes };
    ContinuationToken = out.NextContinuationToken;
  }
  throw new Error('listing did not end within 1000 pages');
}

export const byteOrder = (keys: string[]) =>
  [...keys].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));

export const SPECIAL_KEYS = [
  'a//b',
  '/leading',
  '//double-leading',
  'trailing/',
  'a+plus/1.txt',
  'b%pct/1.txt',
  '100%.csv',
  'file%2Fname',
  'test key//',
  'test@key/',
  'date=2026-02-01/x.json',
  'unicode/é/ü/日本語.json',
  'emoji/😀/x',
  'private-use/\uE000',
  'paren(3).png',
  "quote'and!star*~",
  'dot/./segment',
  'dotdot/../segment',
  `long/${'k'.repeat(240)}/${'x'.repeat(240)}`,
  'q?question#hash',
];
