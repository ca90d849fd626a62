/**
 * Requests per second of the S3 emulator beside moto_server, with SDK v3 over loopback:
 * PutObject (1 KiB), GetObject, ListObjectsV2 (100 keys a page), sequential and 8 in flight.
 * Run: npx tsx packages/s3-emulator/bench/compare.mts [requests per figure, default 300]
 * A measurement, not a test: the figures depend on the machine and its load.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createS3Emulator } from '../src/index.ts';

const N = Number(process.argv[2] ?? 300);
const body = Buffer.alloc(1024, 'x');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function measure(s3: S3Client, label: string): Promise<Record<string, number>> {
  const Bucket = `bench-${label}-${Date.now()}`;
  await s3.send(new CreateBucketCommand({ Bucket }));
  const figures: Record<string, number> = {};
  const rate = async (name: string, inFlight: number, op: (i: number) => Promise<unknown>) => {
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < N) await op(next++);
      }),
    );
    figures[`${name} x${inFlight}`] = Math.round((N / (performance.now() - started)) * 1000);
  };
  for (const inFlight of [1, 8]) {
    await rate('PutObject', inFlight, (i) =>
      s3.send(
        new PutObjectCommand({ Bucket, Key: `k/${inFlight}/${String(i).padStart(6, '0')}`, Body: body }),
      ),
    );
    await rate('GetObject', inFlight, async (i) => {
      const out = await s3.send(new GetObjectCommand({ Bucket, Key: `k/1/${String(i).padStart(6, '0')}` }));
      await out.Body!.transformToByteArray();
    });
    await rate('ListObjectsV2', inFlight, (i) =>
      s3.send(
        new ListObjectsV2Command({
          Bucket,
          Prefix: 'k/1/',
          MaxKeys: 100,
          StartAfter: `k/1/${String(i % 200).padStart(6, '0')}`,
        }),
      ),
    );
  }
  return figures;
}

const client = (endpoint: string) =>
  new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIABENCH', secretAccessKey: 'bench' },
  });

const results: Record<string, Record<string, number>> = {};
for (const fsync of [true, false]) {
  const dataDir = await mkdtemp(join(tmpdir(), 's3-bench-'));
  const emulator = await createS3Emulator({ dataDir, fsync, credentials: () => 'bench' });
  const { url } = await emulator.listen();
  const s3 = client(url);
  results[`emulator fsync=${fsync}`] = await measure(s3, `e${fsync ? 1 : 0}`);
  s3.destroy();
  await emulator.close();
  await rm(dataDir, { recursive: true, force: true });
}

const port = await freePort();
const moto: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
try {
  const endpoint = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    try {
      await (await fetch(`${endpoint}/moto-api/`)).arrayBuffer();
      break;
    } catch (error) {
      if (attempt > 150) throw new Error(`moto_server did not start on ${endpoint}`, { cause: error });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const s3 = client(endpoint);
  results.moto = await measure(s3, 'moto');
  s3.destroy();
} finally {
  moto.kill();
}

const names = Object.keys(results.moto!);
console.log(`requests/s, ${N} requests per figure`);
console.log(['operation', ...Object.keys(results), 'emulator(fsync)/moto'].join(' | '));
for (const name of names) {
  const row = Object.values(results).map((r) => String(r[name]));
  const ratio = (results['emulator fsync=true']![name]! / results.moto![name]!).toFixed(2);
  console.log([name, ...row, `${ratio}x`].join(' | '));
}
