import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { parseConfig } from '@eventline/config';
import { LocalStack } from '@eventline/local';
import { startMoto } from '@eventline/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The `eventline` CLI as a user runs it (a separate process through bin/eventline.mjs) against a
 * running local stack.
 */

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string;
let stack: LocalStack;

/** The line every command starts its stderr with: which stack, region and endpoint it reads. */
const TARGET_LINE = /^eventline: (?:local stack|stack) \S+, region \S+, endpoint [^\n]*\n/;
/** What a command printed on stderr after that line. */
const afterTarget = (stderr: string) => stderr.replace(TARGET_LINE, '');

function eventline(args: string[], endpoint = stack.url): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/eventline.mjs', '--endpoint', endpoint, ...args],
      { timeout: 90_000, env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eventline-cli-'));
  stack = await LocalStack.start({
    config: parseConfig({ local: { port: 0 } }),
    dataDir: join(dir, 'data'),
    retryDelaysMs: [50, 100],
  });
});

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Numbers at DynamoDB's limits: 38 significant digits, 1E-130, 1e30, and more than a double holds. */
const NUMBERS = {
  int38: '12345678901234567890123456789012345678',
  negInt38: '-99999999999999999999999999999999999999',
  dec38: '1234567890123456789.0123456789012345678',
  e30: '1e30',
  min: '1E-130',
  tiny: '0.000000000000000000000000000000012345678901234567890123456789',
  small: '0.12345678901234567890123',
  readme: '12345678901234567890',
  mixed: '12345678901234567890.123',
};

describe('numbers are carried as exact decimal strings through the CLI', () => {
  it('put --wait, records, files and notifications print what the ledger stores, digit for digit', async () => {
    // Prepare: the README's example alone, and every number in one file
    const files = [
      { name: 'num-readme.json', body: `{"id":"num-readme","value":${NUMBERS.readme}}` },
      {
        name: 'num-all.json',
        body: `{"id":"num-all",${Object.entries(NUMBERS)
          .map(([name, text]) => `"${name}":${text}`)
          .join(',')},"list":[${NUMBERS.int38},${NUMBERS.mixed}],"nested":{"n":${NUMBERS.small}}}`,
      },
    ];

    // Act: put --wait each
    for (const file of files) {
      const path = join(dir, file.name);
      await writeFile(path, file.body);
      const put = await eventline(['put', path, '--wait']);
      // Assess
      expect(afterTarget(put.stderr), file.name).toBe('');
      expect(put.stdout, file.name).toContain(`uploaded s3://eventline-local/incoming/${file.name}`);
      expect(put.stdout, file.name).toContain('processed: 1 record(s)');
      expect(put.code).toBe(0);
    }

    // What DynamoDB stores (its own normal form of each number)
    const stored = async (pk: string) =>
      (
        await stack.clients.dynamodb.send(
          new GetItemCommand({ TableName: 'events', Key: { pk: { S: pk } }, ConsistentRead: true }),
        )
      ).Item?.payload?.M ?? {};
    const all = await stored('num-all');
    expect(Object.keys(all)).toEqual(expect.arrayContaining(Object.keys(NUMBERS)));

    // Act: records
    const records = await eventline(['records', '--limit', '100']);
    expect(afterTarget(records.stderr)).toBe('');
    expect(records.code).toBe(0);
    expect(records.stdout).toContain(`"id":"num-readme","value":${NUMBERS.readme}}`);
    for (const name of Object.keys(NUMBERS)) {
      expect(all[name]?.N, name).toBeDefined();
      expect(records.stdout, name).toContain(`"${name}":${all[name]?.N}`);
    }
    expect(records.stdout).toContain(`"list":[${all.list?.L?.[0]?.N},${all.list?.L?.[1]?.N}]`);
    expect(records.stdout).toContain(`"nested":{"n":${all.nested?.M?.n?.N}}`);
    expect(records.stdout).toContain(`"small":0.12345678901234567890123`);
    expect(records.stdout).toContain(`"mixed":12345678901234567890.123`);

    // Act: files, notifications
    const listed = await eventline(['files', '--limit', '100']);
    expect(afterTarget(listed.stderr)).toBe('');
    for (const file of files)
      expect(listed.stdout).toMatch(new RegExp(`^PROCESSED +incoming/${file.name} +1 +0 `, 'm'));
    const notifications = await eventline(['notifications', '--limit', '100', '--json']);
    expect(afterTarget(notifications.stderr)).toBe('');
    const published = JSON.parse(notifications.stdout) as {
      notifications: Array<{ key: string; notification: { status: string; messageId: string } }>;
    };
    for (const file of files) {
      const sent = published.notifications.find((n) => n.key === `incoming/${file.name}`);
      expect(sent?.notification.status, file.name).toBe('SENT');
      expect(sent?.notification.messageId, file.name).toMatch(/\S/);
    }

    // The admin API answers the file's detail with the exact numbers in a JSON body
    const detail = await fetch(`${stack.url}/_eventline/file?key=incoming/num-all.json`);
    expect(detail.status).toBe(200);
    expect(await detail.text()).toContain(`"int38":${all.int38?.N}`);
  });
});

describe('an endpoint that is not eventline', () => {
  it('is named in one line when moto_server answers (XML), and when a web server answers (HTML)', async () => {
    // Prepare: moto_server, another AWS emulator, and a plain web server
    const moto = await startMoto();
    const web = createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<!DOCTYPE html><html><body>Not here</body></html>');
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    try {
      // Act
      const records = await eventline(['records'], moto.url);
      const dlq = await eventline(['dlq', 'list'], `http://127.0.0.1:${(web.address() as AddressInfo).port}`);

      // Assess: records reads DynamoDB (moto's has no ledger table: named, with its setting); the
      // dead letters of a stack without SQS queues come from the admin API, which a web server is not
      for (const run of [records, dlq]) {
        expect(run.code).toBe(1);
        expect(run.stdout).toBe('');
        expect(afterTarget(run.stderr).trimEnd().split('\n')).toHaveLength(1);
        expect(run.stderr).not.toMatch(/Unexpected token|is not valid JSON/);
      }
      expect(afterTarget(records.stderr)).toMatch(
        /^eventline: Scan of the ledger table "events" \(table\.name\) at local stack at http:\/\/127\.0\.0\.1:\d+ failed: the table does not exist/,
      );
      expect(afterTarget(dlq.stderr)).toMatch(
        /^eventline: http:\/\/127\.0\.0\.1:\d+ is not an eventline local stack: /,
      );
      expect(dlq.stderr).toContain('answered 404 text/html ("<!DOCTYPE html>');
    } finally {
      await moto.close();
      await new Promise((resolve) => web.close(resolve));
    }
  });
});

describe('dlq drop, and a replay whose object is gone', () => {
  /** Puts a malformed file and returns its dead letter's id, as `dlq list` prints it. */
  async function failed(key: string): Promise<string> {
    await stack.clients.s3.send(
      new PutObjectCommand({ Bucket: 'eventline-local', Key: key, Body: '{"id":' }),
    );
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const listed = await eventline(['dlq', 'list', '--json']);
      const { letters } = JSON.parse(listed.stdout) as { letters: Array<{ id: string; key?: string }> };
      const letter = letters.find((l) => l.key === key);
      if (letter) return letter.id;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no dead letter for ${key} after 30 s`);
  }

  const failures = async (key: string) =>
    (await stack.sns.notifications({ limit: 10_000 })).filter(
      (n) => n.subject === 'S3 Event Failed' && n.message.includes(key),
    ).length;

  it('replaying the letter of a deleted object ends it with the reason: no new letter, no new notification', async () => {
    // Prepare: a failed file, then its object deleted
    const key = 'incoming/deleted-later.json';
    const id = await failed(key);
    await stack.idle();
    expect(await failures(key)).toBe(1);
    // The bucket is versioned, as on AWS: the letter names the version, so that version is deleted.
    const { VersionId } = await stack.clients.s3.send(
      new HeadObjectCommand({ Bucket: 'eventline-local', Key: key }),
    );
    expect(VersionId).toBeDefined();
    await stack.clients.s3.send(new DeleteObjectCommand({ Bucket: 'eventline-local', Key: key, VersionId }));

    // Act
    const replay = await eventline(['dlq', 'replay', id, '--json']);

    // Assess
    expect(afterTarget(replay.stderr)).toBe('');
    expect(replay.code).toBe(0);
    expect(JSON.parse(replay.stdout)).toEqual({
      results: [
        {
          id,
          queue: 'files',
          key,
          status: 'gone',
          reason: `s3://eventline-local/${key} (version ${VersionId}) no longer exists, so there is nothing to replay`,
        },
      ],
    });
    await stack.idle();
    expect((await stack.deadLetters.list()).filter((l) => JSON.stringify(l).includes(key))).toEqual([]);
    expect(await failures(key)).toBe(1);
    // The local stack serves its dead-letter queues on SQS: the CLI reads them as it does on AWS.
    const again = await eventline(['dlq', 'replay', id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      new RegExp(`no dead letter "${id}" in local stack at .* \\(see: npx eventline dlq list\\)`),
    );
  });

  it('drop ends one letter without replaying it; an unknown id is refused in one line', async () => {
    // Prepare
    const key = 'incoming/drop-me.json';
    const id = await failed(key);
    await stack.idle();

    // Act
    const dropped = await eventline(['dlq', 'drop', id]);
    const unknown = await eventline(['dlq', 'drop', id]);

    // Assess
    expect(afterTarget(dropped.stderr)).toBe('');
    expect(dropped.stdout).toMatch(new RegExp(`^dropped\t${id}\t${key}\t.*malformed JSON`));
    // The decision is recorded on the file's outcome (who, when, why), as on AWS.
    expect(dropped.stdout).toMatch(/\nrecorded in the ledger: dropped by \S+ at \d{4}-.*: .*malformed JSON/);
    expect((await eventline(['dlq', 'list'])).stdout).not.toContain(key);
    expect(await failures(key)).toBe(1);
    expect(unknown.code).toBe(1);
    expect(afterTarget(unknown.stderr)).toMatch(
      new RegExp(
        `^eventline: no dead letter "${id}" in local stack at .* \\(see: npx eventline dlq list\\)\n$`,
      ),
    );
  });
});
