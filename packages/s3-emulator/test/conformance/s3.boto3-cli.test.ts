import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCESS_KEY_ID,
  bucketName,
  REGION,
  SECRET_ACCESS_KEY,
  startTarget,
  type Target,
  targetName,
} from './target.ts';

/**
 * The S3 conformance cases of boto3_cases.py (boto3/botocore), and the aws CLI v1 (`aws`), against
 * the emulator or moto_server (CONFORMANCE_TARGET=moto). Cases where moto departs from AWS's
 * documented behaviour are listed in MOTO_DIFFERS and must fail there.
 */

const run = promisify(execFile);
const script = join(import.meta.dirname, 'boto3_cases.py');
const names = execFileSync('python3', [script, '--list'], { encoding: 'utf8' })
  .trim()
  .split('\n')
  .map((line) => (JSON.parse(line) as { name: string }).name);

const MOTO_DIFFERS: Record<string, string> = {
  "§8 SigV4 presigned URL (signature_version='s3v4') can be fetched; a tampered one is 403":
    'moto does not verify presigned signatures',
  '§8 a wrong x-amz-checksum-crc32 is 400 BadDigest':
    'moto stores the object without checking the sent CRC32',
  'bucket configuration with boto3: encryption, public access block, ownership, lifecycle, policy, CORS, tagging and their not-found errors':
    'moto accepts a bucket policy that starts with { but is not JSON',
  'POST Object: generate_presigned_post (SigV4 policy) uploads a form with ${filename}; a file over content-length-range is EntityTooLarge':
    'moto answers 201 without a PostResponse document',
};

interface Result {
  name: string;
  ok: boolean;
  error?: string;
}

describe(`S3 conformance (boto3, aws CLI v1) against ${targetName()}`, () => {
  let target: Target;
  let results: Map<string, Result>;
  let cliHome: string;
  const cliEnv = () => ({
    PATH: process.env.PATH ?? '',
    HOME: cliHome,
    AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
    AWS_DEFAULT_REGION: REGION,
    AWS_CONFIG_FILE: join(cliHome, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(cliHome, 'credentials'),
  });
  const aws = async (...args: string[]) =>
    (await run('aws', [...args, '--endpoint-url', target.endpoint], { env: cliEnv(), maxBuffer: 16 << 20 }))
      .stdout;

  beforeAll(async () => {
    target = await startTarget();
    cliHome = await mkdtemp(join(tmpdir(), 's3-cli-'));
    const { stdout } = await run('python3', [script, target.endpoint, ACCESS_KEY_ID, SECRET_ACCESS_KEY], {
      maxBuffer: 16 << 20,
      env: { PATH: process.env.PATH ?? '', HOME: cliHome, AWS_CONFIG_FILE: join(cliHome, 'config') },
    });
    results = new Map(
      stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Result)
        .map((r) => [r.name, r]),
    );
  });
  afterAll(async () => {
    await target?.close();
    if (cliHome) await rm(cliHome, { recursive: true, force: true });
  });

  for (const name of names) {
    const differs = targetName() === 'moto' ? MOTO_DIFFERS[name] : undefined;
    it(differs ? `boto3: ${name} — moto differs: ${differs}` : `boto3: ${name}`, () => {
      const result = results.get(name);
      expect(result, `no result for ${name}`).toBeDefined();
      if (differs) expect(result!.ok).toBe(false);
      else expect(result!.ok, result!.error).toBe(true);
    });
  }

  it('aws CLI v1: `aws s3 presign` (SigV2 by default) makes a URL that GET can fetch (§8)', async () => {
    const Bucket = bucketName('cli-presign');
    await target.s3.send(new CreateBucketCommand({ Bucket }));
    await target.s3.send(new PutObjectCommand({ Bucket, Key: 'dir/a b+c.txt', Body: 'from the CLI' }));
    const url = (await aws('s3', 'presign', `s3://${Bucket}/dir/a b+c.txt`)).trim();
    const res = await fetch(url);
    expect([res.status, await res.text()]).toEqual([200, 'from the CLI']);
  });

  it('aws CLI v1: `aws s3 ls --page-size 7` lists 100 keys with + and %; `ls` shows folder-only prefixes (§1.2)', async () => {
    const Bucket = bucketName('cli-ls');
    await target.s3.send(new CreateBucketCommand({ Bucket }));
    const keys = Array.from({ length: 97 }, (_, i) => `k/${String(i).padStart(3, '0')}.txt`);
    keys.push('a+plus/1.txt', 'b%pct/1.txt', '_eventline/state/x.json');
    await Promise.all(keys.map((Key) => target.s3.send(new PutObjectCommand({ Bucket, Key, Body: 'x' }))));
    const recursive = await aws('s3', 'ls', `s3://${Bucket}/`, '--recursive', '--page-size', '7');
    expect(recursive.trim().split('\n')).toHaveLength(100);
    const top = await aws('s3', 'ls', `s3://${Bucket}/`);
    expect(top).toContain('PRE _eventline/');
    expect(top).toContain('PRE a+plus/');
  });

  it('aws CLI v1: `aws s3 cp` uploads (multipart above 8 MiB) and downloads a file unchanged', async () => {
    const Bucket = bucketName('cli-cp');
    await target.s3.send(new CreateBucketCommand({ Bucket }));
    const local = join(cliHome, 'upload.bin');
    const data = Buffer.alloc(9 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 4096) data.writeUInt32BE(i, i);
    await writeFile(local, data);
    await aws('s3', 'cp', local, `s3://${Bucket}/up load+1.bin`);
    await aws('s3', 'cp', `s3://${Bucket}/up load+1.bin`, join(cliHome, 'download.bin'));
    expect((await readFile(join(cliHome, 'download.bin'))).equals(data)).toBe(true);
  });
});
