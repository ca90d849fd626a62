import { createHash, createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { conformanceTarget, startMoto } from '@eventline/test-kit';
import { SignatureV4 } from '@smithy/signature-v4';
import { createS3Emulator } from '../../src/index.ts';
import type { S3ObjectEvent } from '../../src/types.ts';

/**
 * Where the conformance cases run: this package's emulator (default), or moto_server as a second
 * opinion when CONFORMANCE_TARGET=moto. Both listen on 127.0.0.1 only.
 */

export const ACCESS_KEY_ID = 'AKIACONFORMANCE';
export const SECRET_ACCESS_KEY = 'conformance-secret';
export const REGION = 'us-east-1';

export type TargetName = 'emulator' | 'moto';

export interface Target {
  name: TargetName;
  endpoint: string;
  s3: S3Client;
  events: S3ObjectEvent[];
  close(): Promise<void>;
}

export const targetName = (): TargetName => conformanceTarget(['emulator', 'moto']);

export function client(endpoint: string, secret = SECRET_ACCESS_KEY): S3Client {
  return new S3Client({
    endpoint,
    region: REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: secret },
    maxAttempts: 1,
  });
}

async function motoTarget(): Promise<Target> {
  const moto = await startMoto();
  const s3 = client(moto.url);
  return {
    name: 'moto',
    endpoint: moto.url,
    s3,
    events: [],
    async close() {
      s3.destroy();
      await moto.close();
    },
  };
}

export async function startTarget(): Promise<Target> {
  if (targetName() === 'moto') return motoTarget();
  const dataDir = await mkdtemp(join(tmpdir(), 's3-conformance-'));
  const events: S3ObjectEvent[] = [];
  const emulator = await createS3Emulator({
    dataDir,
    region: REGION,
    credentials: (id) => (id === ACCESS_KEY_ID ? SECRET_ACCESS_KEY : undefined),
    onObjectEvent: (event) => events.push(event),
    fsync: false,
  });
  const { url } = await emulator.listen(0, '127.0.0.1');
  const s3 = client(url);
  return {
    name: 'emulator',
    endpoint: url,
    s3,
    events,
    async close() {
      s3.destroy();
      await emulator.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

let counter = 0;
/** A fresh bucket name per case, valid on AWS (3–63 lowercase characters). */
export const bucketName = (label: string) =>
  `conf-${label
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 30)}-${process.pid}-${++counter}`;

class Sha256 {
  private readonly hash;
  constructor(secret?: unknown) {
    this.hash =
      secret === undefined ? createHash('sha256') : createHmac('sha256', Buffer.from(secret as Uint8Array));
  }
  update(data: string | Uint8Array): void {
    this.hash.update(typeof data === 'string' ? Buffer.from(data) : Buffer.from(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    throw new Error('not supported');
  }
}

/** A SigV4 presigned URL made by the SDK's own signer (@smithy/signature-v4). */
export async function presign(
  endpoint: string,
  method: string,
  path: string,
  expiresIn = 300,
  signingDate = new Date(),
  query: Record<string, string> = {},
): Promise<string> {
  const url = new URL(endpoint);
  const signer = new SignatureV4({
    service: 's3',
    region: REGION,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
    sha256: Sha256 as never,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const signed = await signer.presign(
    {
      method,
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path,
      query,
      // As @aws-sdk/s3-request-presigner does: the payload is UNSIGNED-PAYLOAD, the header itself unsigned.
      headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    },
    { expiresIn, signingDate, unsignableHeaders: new Set(['x-amz-content-sha256']) },
  );
  const search = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  return `${endpoint}${path}?${search}`;
}

/** A request with a presigned URL (the emulator refuses unsigned requests). */
export async function signedFetch(
  endpoint: string,
  method: string,
  path: string,
  query: Record<string, string> = {},
  init: RequestInit = {},
): Promise<Response> {
  return fetch(await presign(endpoint, method, path, 300, new Date(), query), { method, ...init });
}

/** Reads an S3 XML error body's Code. */
export const errorCode = (xml: string) => /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];
