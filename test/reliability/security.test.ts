import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir, readdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ListTopicsCommand } from '@aws-sdk/client-sns';
import { type AwsClients, createClients, destroyClients } from '@eventline/aws/sdk';
import { parseConfig } from '@eventline/config';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BUCKET,
  deliveredNotifications,
  removeDir,
  report,
  s3Client,
  scanLedger,
  startTestStack,
  type TestStack,
  tempDir,
} from './support/harness.ts';
import { freePort, type StackProcess, startStackProcess, writeConfigFile } from './support/processes.ts';

/**
 * Security of the local stack:
 * - `eventline start` binds to loopback only by default: every socket the process listens on
 *   (edge, S3, DynamoDB) is on 127.0.0.1, read from /proc, and the edge port does not answer on
 *   the machine's other addresses;
 * - with `local.enforceAuth`, requests signed with wrong credentials (SDK, aws CLI, hand-signed
 *   requests with a stale date or a tampered body, unsigned requests, spoiled presigned URLs) are
 *   refused by S3, DynamoDB and SNS alike, and nothing they asked for happens; the pipeline itself
 *   still works, and so does a presigned URL of the right key pair (as on AWS);
 * - object keys and bucket names with `..` cannot read, write or delete outside the data directory.
 */

const run = promisify(execFile);

function findAws(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, 'aws'), constants.X_OK);
      return join(dir, 'aws');
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Listening TCP sockets of a process, from /proc (Linux): "address:port". */
async function listeningSockets(pid: number): Promise<string[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match?.[1]) inodes.add(match[1]);
  }
  const sockets: string[] = [];
  for (const [file, v6] of [
    ['tcp', false],
    ['tcp6', true],
  ] as const) {
    const text = await readFile(`/proc/${pid}/net/${file}`, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A' || !inodes.has(cols[9] ?? '')) continue;
      const [hex = '', portHex = '0'] = (cols[1] ?? '').split(':');
      sockets.push(`${v6 ? ipv6(hex) : ipv4(hex)}:${Number.parseInt(portHex, 16)}`);
    }
  }
  return sockets;
}

const ipv4 = (hex: string) => [6, 4, 2, 0].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join('.');
const ipv6 = (hex: string) =>
  hex === '00000000000000000000000001000000'
    ? '::1'
    : hex === '0000000000000000FFFF00000100007F'
      ? '::ffff:127.0.0.1'
      : hex === '00000000000000000000000000000000'
        ? '::'
        : hex;

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function raw(
  port: number,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: body !== undefined ? { 'content-length': Buffer.byteLength(body) } : {},
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Every file and directory under `root` except `skip`, with its size and modification time. */
async function snapshot(root: string, skip: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (path === skip) continue;
      const info = await stat(path);
      out.push(`${relative(root, path)} ${entry.isDirectory() ? 'dir' : info.size} ${info.mtimeMs}`);
      if (entry.isDirectory()) await walk(path);
    }
  };
  await walk(root);
  return out.sort();
}

const errorOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error as Error & { $metadata?: { httpStatusCode?: number } };
  }
};

describe('security of the local stack', () => {
  const cleanups: Array<() => Promise<void>> = [];

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('binds to loopback only by default', async () => {
    // Prepare
    const dir = await tempDir('loopback');
    let child: StackProcess | undefined;
    cleanups.push(async () => {
      await child?.stop();
      await removeDir(dir);
    });
    const port = await freePort();

    // Act: the real CLI with the default configuration (no --host).
    child = await startStackProcess({
      configFile: await writeConfigFile(dir, {}),
      dataDir: join(dir, 'data'),
      port,
    });
    const sockets = await listeningSockets(child.pid);
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal && a.family === 'IPv4')
      .map((a) => a!.address);
    const answersOutside = await Promise.all(external.map((address) => canConnect(address, port)));

    // Assess
    await report('security-loopback', {
      defaultHost: parseConfig({}).local.host,
      listening: sockets,
      otherAddressesTried: external,
      answeredOnAnOtherAddress: answersOutside.filter(Boolean).length,
    });
    expect(parseConfig({}).local.host).toBe('127.0.0.1');
    expect(sockets).toContain(`127.0.0.1:${port}`);
    // The edge and the S3 emulator's own listener; DynamoDB runs in process behind the edge (no socket of its own).
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    expect(sockets.filter((s) => !/^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1):\d+$/.test(s))).toEqual([]);
    expect(answersOutside.filter(Boolean)).toEqual([]);
    expect(await canConnect('127.0.0.1', port)).toBe(true);
    expect(child.output()).toContain('loopback only');
  }, 120_000);

  describe('with local.enforceAuth', () => {
    const right = { accessKeyId: 'AKIDEVENTLINE', secretAccessKey: 'the-right-secret' };
    let test: TestStack;
    let good: AwsClients;
    let badSecret: AwsClients;
    let badKey: AwsClients;

    const make = (credentials: { accessKeyId: string; secretAccessKey: string }) =>
      createClients({ region: 'us-east-1', endpoint: test.stack.url, credentials, maxAttempts: 1 });

    it('refuses wrong credentials on S3, DynamoDB and SNS; the right ones and the pipeline work', async () => {
      // Prepare
      test = await startTestStack({ config: { local: { enforceAuth: true, ...right } } });
      good = make(right);
      badSecret = make({ ...right, secretAccessKey: 'a-wrong-secret' });
      badKey = make({ accessKeyId: 'AKIDSOMEONEELSE', secretAccessKey: right.secretAccessKey });
      cleanups.push(async () => {
        for (const c of [good, badSecret, badKey]) if (c) destroyClients(c);
        await test.close();
      });
      const put = (c: AwsClients, key: string) =>
        c.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: JSON.stringify({ id: key }) }));

      // Act
      const refused = {
        s3PutWrongSecret: await errorOf(put(badSecret, 'incoming/auth/wrong-secret.json')),
        s3PutWrongKey: await errorOf(put(badKey, 'incoming/auth/wrong-key.json')),
        s3List: await errorOf(badSecret.s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))),
        s3Delete: await errorOf(
          badSecret.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'incoming/auth/good.json' })),
        ),
        dynamodb: await errorOf(badSecret.dynamodb.send(new ListTablesCommand({}))),
        dynamodbWrongKey: await errorOf(badKey.dynamodb.send(new ListTablesCommand({}))),
        sns: await errorOf(badSecret.sns.send(new ListTopicsCommand({}))),
        snsWrongKey: await errorOf(badKey.sns.send(new ListTopicsCommand({}))),
      };
      await put(good, 'incoming/auth/good.json');
      const tables = await good.dynamodb.send(new ListTablesCommand({}));
      const topics = await good.sns.send(new ListTopicsCommand({}));
      await test.stack.idle();

      // Assess
      const summary = Object.fromEntries(
        Object.entries(refused).map(([k, e]) => [k, `${e?.$metadata?.httpStatusCode} ${e?.name}`]),
      );
      await report('security-auth', { refused: summary });
      for (const [what, error] of Object.entries(refused)) {
        expect(error, what).toBeDefined();
        expect([400, 403], what).toContain(error?.$metadata?.httpStatusCode);
      }
      expect(refused.s3PutWrongSecret?.name).toBe('SignatureDoesNotMatch');
      expect(refused.s3PutWrongSecret?.message).toContain('signature we calculated does not match');
      // S3 answers an unknown access key as AWS documents it (the emulator checks S3 signatures itself).
      expect(refused.s3PutWrongKey?.name).toBe('InvalidAccessKeyId');
      expect(refused.dynamodb?.name).toBe('UnrecognizedClientException');
      expect(refused.sns?.name).toBe('InvalidClientTokenId');
      expect(refused.snsWrongKey?.message).toContain('InvalidAccessKeyId');
      // Nothing a refused request asked for happened.
      for (const key of ['incoming/auth/wrong-secret.json', 'incoming/auth/wrong-key.json']) {
        const head = await errorOf(good.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })));
        expect(head?.$metadata?.httpStatusCode, key).toBe(404);
      }
      expect(tables.TableNames).toContain('events');
      expect(topics.Topics?.length).toBe(1);
      // The pipeline (which signs with the configured key pair) processed the good file, and only it.
      const ledger = await scanLedger(good.documents);
      expect([...ledger.files.keys()]).toEqual(['incoming/auth/good.json']);
      expect(ledger.files.get('incoming/auth/good.json')?.status).toBe('PROCESSED');
      expect(deliveredNotifications(test.subscriber).map((n) => n.key)).toEqual(['incoming/auth/good.json']);
    }, 120_000);

    it('refuses unsigned, presigned, stale and tampered requests', async () => {
      // Prepare: requests signed by hand with the SDK's signer, then spoiled one way or another.
      const url = new URL(test.stack.url);
      const dynamo = async (
        body: string,
        options: { date?: Date; sendBody?: string; secret?: string; unhashed?: boolean } = {},
      ) => {
        const signer = new SignatureV4({
          credentials: {
            accessKeyId: right.accessKeyId,
            secretAccessKey: options.secret ?? right.secretAccessKey,
          },
          region: 'us-east-1',
          service: 'dynamodb',
          sha256: Hash.bind(null, 'sha256'),
          // Without x-amz-content-sha256 the body's hash is only inside the signature.
          applyChecksum: !options.unhashed,
        });
        const signed = await signer.sign(
          {
            method: 'POST',
            protocol: 'http:',
            hostname: url.hostname,
            port: Number(url.port),
            path: '/',
            query: {},
            headers: {
              host: url.host,
              'content-type': 'application/x-amz-json-1.0',
              'x-amz-target': 'DynamoDB_20120810.ListTables',
            },
            body,
          },
          options.date ? { signingDate: options.date } : {},
        );
        const response = await fetch(test.stack.url, {
          method: 'POST',
          headers: signed.headers as Record<string, string>,
          body: options.sendBody ?? body,
        });
        return { status: response.status, body: await response.text() };
      };

      // Act
      const wellSigned = await dynamo('{}');
      const stale = await dynamo('{}', { date: new Date(Date.now() - 20 * 60_000) });
      const tampered = await dynamo('{}', { sendBody: '{"Limit":1}' });
      const tamperedUnhashed = await dynamo('{}', { sendBody: '{"Limit":1}', unhashed: true });
      const unsigned = await fetch(`${test.stack.url}/${BUCKET}/incoming/auth/unsigned.json`, {
        method: 'PUT',
        body: '{"id":"unsigned"}',
      });
      const unsignedText = await unsigned.text();
      // Presigned URLs work as on AWS: a GET of the right key pair is served; a spoiled one is refused.
      const presign = async (secret: string) => {
        const signer = new SignatureV4({
          credentials: { accessKeyId: right.accessKeyId, secretAccessKey: secret },
          region: 'us-east-1',
          service: 's3',
          sha256: Hash.bind(null, 'sha256'),
          uriEscapePath: false,
        });
        const signed = await signer.presign(
          {
            method: 'GET',
            protocol: 'http:',
            hostname: url.hostname,
            port: Number(url.port),
            path: `/${BUCKET}/incoming/auth/good.json`,
            query: {},
            // A presigned URL's payload is UNSIGNED-PAYLOAD (as @aws-sdk/s3-request-presigner signs it).
            headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
          },
          {
            expiresIn: 300,
            unsignableHeaders: new Set(['x-amz-content-sha256']),
            unhoistableHeaders: new Set(['x-amz-content-sha256']),
          },
        );
        const query = new URLSearchParams(signed.query as Record<string, string>).toString();
        return `${test.stack.url}${signed.path}?${query}`;
      };
      const presignedUrl = await presign(right.secretAccessKey);
      const presigned = await fetch(presignedUrl);
      const presignedText = await presigned.text();
      const presignedWrongSecret = await fetch(await presign('a-wrong-secret'));
      const presignedWrongSecretText = await presignedWrongSecret.text();
      const presignedTampered = await fetch(presignedUrl.replace('good.json', 'other.json'));
      const presignedTamperedText = await presignedTampered.text();

      // Assess
      expect(wellSigned.status).toBe(200);
      expect(stale.status).toBe(400);
      expect(stale.body).toContain('RequestTimeTooSkewed');
      expect(tampered.status).toBe(400);
      expect(tampered.body).toContain('XAmzContentSHA256Mismatch');
      expect(tamperedUnhashed.status).toBe(400);
      expect(tamperedUnhashed.body).toContain('signature we calculated does not match');
      expect(unsigned.status).toBe(403);
      expect(unsignedText).toContain('not signed');
      expect(presigned.status).toBe(200);
      expect(presignedText).toBe(JSON.stringify({ id: 'incoming/auth/good.json' }));
      expect(presignedWrongSecret.status).toBe(403);
      expect(presignedWrongSecretText).toContain('SignatureDoesNotMatch');
      expect(presignedTampered.status).toBe(403);
      expect(presignedTamperedText).toContain('SignatureDoesNotMatch');
      const head = await errorOf(
        good.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'incoming/auth/unsigned.json' })),
      );
      expect(head?.$metadata?.httpStatusCode).toBe(404);
    }, 60_000);

    it('the aws CLI (botocore signs its own way): refused with a wrong secret, served with the right one', async () => {
      const aws = findAws();
      if (!aws) throw new Error('the aws CLI is needed (CI installs it: apt-get install awscli)');
      const dir = await tempDir('awscli');
      cleanups.push(() => removeDir(dir));
      const file = join(dir, 'order one+two.json');
      await writeFile(file, '{"id":"aws-cli-1"}');
      const cli = (secret: string, ...args: string[]) =>
        run(aws, ['--endpoint-url', test.stack.url, ...args], {
          env: {
            ...process.env,
            AWS_ACCESS_KEY_ID: right.accessKeyId,
            AWS_SECRET_ACCESS_KEY: secret,
            AWS_DEFAULT_REGION: 'us-east-1',
            AWS_CONFIG_FILE: join(dir, 'none'),
            AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
          },
          timeout: 60_000,
        }).then(
          (r) => ({ ok: true, out: r.stdout }),
          (e: { stderr?: string }) => ({ ok: false, out: String(e.stderr) }),
        );

      const wrong = [
        await cli('wrong', 's3', 'cp', file, `s3://${BUCKET}/incoming/auth/cli-wrong.json`),
        await cli('wrong', 'dynamodb', 'list-tables'),
        await cli('wrong', 'sns', 'list-topics'),
      ];
      const rightOnes = [
        await cli(right.secretAccessKey, 's3', 'cp', file, `s3://${BUCKET}/incoming/auth/cli right+1.json`),
        await cli(right.secretAccessKey, 'dynamodb', 'list-tables'),
        await cli(right.secretAccessKey, 'sns', 'list-topics'),
      ];
      await test.stack.idle();

      expect(wrong.map((r) => r.ok)).toEqual([false, false, false]);
      expect(wrong[0]?.out).toContain('SignatureDoesNotMatch');
      expect(wrong[1]?.out).toContain('UnrecognizedClientException');
      expect(wrong[2]?.out).toContain('InvalidClientTokenId');
      expect(rightOnes.map((r) => r.ok)).toEqual([true, true, true]);
      const ledger = await scanLedger(good.documents);
      expect(ledger.files.get('incoming/auth/cli right+1.json')?.status).toBe('PROCESSED');
      expect(ledger.files.has('incoming/auth/cli-wrong.json')).toBe(false);
    }, 120_000);
  });

  it('object keys and bucket names cannot escape the data directory', async () => {
    // Prepare: the data directory sits two levels down, with things around it worth protecting.
    const outer = await tempDir('escape');
    const dataDir = join(outer, 'nested', 'data');
    await mkdir(join(outer, 'nested', 'empty-dir'), { recursive: true });
    await writeFile(join(outer, 'canary.txt'), 'do not touch');
    await writeFile(join(outer, 'nested', 'escape.json._S3rver_object'), 'an s3rver-looking file outside');
    const test = await startTestStack({ dataDir });
    cleanups.push(async () => {
      await test.close();
      await removeDir(outer);
    });
    const s3: S3Client = s3Client(test.stack.url);
    cleanups.push(async () => s3.destroy());
    const before = await snapshot(outer, dataDir);
    const port = test.stack.edge.port;
    const keys = [
      '../../../escape-1.json',
      'incoming/../../../../escape-2.json',
      '..',
      '../',
      './dot.json',
      'incoming/./a/../b.json',
      '../nested/escape.json',
    ];

    // Act
    for (const key of keys) {
      await s3.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: JSON.stringify({ content: key }) }),
      );
    }
    const rawResults = {
      putDotDot: await raw(port, 'PUT', `/${BUCKET}/../../escape-raw.json`, 'raw'),
      putEncoded: await raw(port, 'PUT', `/${BUCKET}/%2E%2E/%2E%2E/%2E%2E/escape-encoded.json`, 'encoded'),
      putEncodedSlash: await raw(port, 'PUT', `/${BUCKET}/..%2F..%2F..%2Fescape-slash.json`, 'slash'),
      putBucketDotDot: await raw(port, 'PUT', '/..%2F..%2F/escape-bucket.json', 'bucket'),
      getBucketDotDot: await raw(port, 'GET', '/..'),
      getBucketDotDotTwice: await raw(port, 'GET', '/..%2F..'),
      getCanary: await raw(port, 'GET', `/${BUCKET}/../../../../canary.txt`),
      getOutsideObject: await raw(port, 'GET', `/${BUCKET}/../../../escape.json`),
      deleteBucketDotDot: await raw(port, 'DELETE', '/..%2F..%2Fempty-dir'),
      deleteOutsideObject: await raw(port, 'DELETE', `/${BUCKET}/../../../escape.json`),
    };
    const readBack = await Promise.all(
      keys.map(async (key) => {
        const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
        return (await object.Body?.transformToString()) === JSON.stringify({ content: key });
      }),
    );
    const listed =
      (await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents?.map((c) => c.Key) ?? [];
    await test.stack.idle();
    const ledger = await scanLedger(test.stack.clients.documents);
    const afterWrites = await snapshot(outer, dataDir);
    for (const key of keys) await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    const afterDeletes = await snapshot(outer, dataDir);

    // Assess
    await report('security-keys', {
      keysTried: keys.length + 4,
      escapedFiles: afterWrites.filter((e) => !before.includes(e)),
      changedOutsideAfterDeletes: afterDeletes.filter((e) => !before.includes(e)),
      raw: Object.fromEntries(Object.entries(rawResults).map(([k, v]) => [k, v.status])),
    });
    expect(afterWrites).toEqual(before);
    expect(afterDeletes).toEqual(before);
    expect(readBack).toEqual(keys.map(() => true));
    for (const key of keys) expect(listed).toContain(key);
    expect(listed).toContain('../../escape-raw.json');
    expect(listed).toContain('../../../escape-encoded.json');
    expect(rawResults.putBucketDotDot.status).toBe(404);
    expect(rawResults.getBucketDotDot.status).toBe(404);
    expect(rawResults.getBucketDotDot.body).toContain('NoSuchBucket');
    expect(rawResults.getBucketDotDotTwice.status).toBe(404);
    expect(rawResults.getCanary.status).toBe(404);
    expect(rawResults.getCanary.body).not.toContain('do not touch');
    expect(rawResults.getOutsideObject.status).toBe(404);
    expect(rawResults.deleteBucketDotDot.status).toBe(404);
    expect(await readFile(join(outer, 'canary.txt'), 'utf8')).toBe('do not touch');
    expect((await stat(join(outer, 'nested', 'empty-dir'))).isDirectory()).toBe(true);
    // A routed key with '..' is an ordinary key to the pipeline.
    expect(ledger.files.get('incoming/../../../../escape-2.json')?.status).toBe('PROCESSED');
  }, 120_000);
});
