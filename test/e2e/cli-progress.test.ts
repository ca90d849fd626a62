import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { parseConfig } from '@eventline/config';
import type { FileState } from '@eventline/core';
import { LocalStack } from '@eventline/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The CLI on long work and on nothing to talk to, as a user runs it (bin/eventline.mjs in its own
 * process) against a running local stack: `files` and `put --wait` show a file in progress from
 * its checkpoint; `dlq replay` with nothing to replay says so; no stack at the endpoint is one line
 * with what to run.
 *
 * The stack routes only `elsewhere/`, so an upload under the CLI's `incoming/` route is left alone
 * by it, and the test writes the file's outcome item itself: a long file's segments, on cue.
 */

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string;
let stack: LocalStack;

const TARGET_LINE = /^eventline: (?:local stack|stack) \S+, region \S+, endpoint [^\n]*\n/;
const afterTarget = (stderr: string) => stderr.replace(TARGET_LINE, '');

function eventline(args: string[], endpoint = stack.url): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/eventline.mjs', '--endpoint', endpoint, ...args],
      {
        timeout: 90_000,
        env: { ...process.env, NO_COLOR: '1', AWS_ENDPOINT_URL: '', EVENTLINE_ENDPOINT: '' },
      },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}

/** A PROCESSING outcome item mid-way through a long file: `segments` done, `records` written. */
function inProgress(key: string, rev: number, records: number, segments: number): FileState {
  const at = new Date().toISOString();
  const counts = { read: records, written: records, rejected: 0, duplicates: 0, bytes: records * 10 };
  return {
    bucket: stack.config.bucket.name,
    key,
    route: 'default',
    seq: '',
    eventTime: at,
    status: 'PROCESSING',
    rev,
    leaseUntil: Date.now() + 60_000,
    attempts: 1,
    // A running segment's own counts start at 0 when it claims; the checkpoint holds the file's.
    counts: { read: 0, written: 0, rejected: 0, duplicates: 0, bytes: 0 },
    rejects: [],
    checkpoint: {
      offset: records * 10,
      line: records,
      records,
      values: records,
      counts,
      rejectParts: 0,
      segments,
    },
    notification: { status: 'NOT_NEEDED' },
    deadLetter: { status: 'NOT_NEEDED' },
    startedAt: at,
    updatedAt: at,
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eventline-cli-progress-'));
  stack = await LocalStack.start({
    config: parseConfig({
      routes: [{ id: 'other', prefix: 'elsewhere/', suffix: '.json', format: 'json', key: 'id' }],
      local: { port: 0 },
    }),
    dataDir: join(dir, 'data'),
    print: () => {},
  });
});

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a file in progress', () => {
  it('files shows the records and segments behind it (its checkpoint), not the running segment’s 0', async () => {
    // Prepare: a file 3 segments in, 1,200 records written, a 4th segment running
    await stack.ledger.putFile(inProgress('incoming/long-a.json', 1, 1200, 3), undefined);

    // Act
    const listed = await eventline(['files']);
    const json = await eventline(['files', '--json']);

    // Assess
    expect(afterTarget(listed.stderr)).toBe('');
    expect(listed.stdout).toMatch(/^STATUS +KEY +RECORDS +REJECTED +SEGMENTS +UPDATED/);
    expect(listed.stdout).toMatch(/^PROCESSING +incoming\/long-a\.json +1200 +0 +3 /m);
    const files = JSON.parse(json.stdout) as { files: Array<{ key: string; progress?: unknown }> };
    expect(files.files.find((f) => f.key === 'incoming/long-a.json')?.progress).toEqual({
      records: 1200,
      segments: 3,
    });
  });

  it('put --wait waits as long as the file progresses, longer than its patience, and shows it on stderr', async () => {
    // Prepare
    const path = join(dir, 'long-b.json');
    await writeFile(path, '{"id":"b"}');
    const key = 'incoming/long-b.json';

    // Act: put --wait with 2 s of patience; a segment lands a second after the CLI showed the
    // last one, 4 of them, then the outcome: the file takes longer than the patience, moving all along.
    const child = spawn(
      process.execPath,
      ['bin/eventline.mjs', '--endpoint', stack.url, 'put', path, '--wait', '--patience', '2'],
      {
        env: { ...process.env, NO_COLOR: '1', AWS_ENDPOINT_URL: '', EVENTLINE_ENDPOINT: '' },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
    const shown = async (text: string) => {
      for (let i = 0; i < 600 && !stdout.concat(stderr).includes(text); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    await shown('uploaded');
    let rev: number | undefined;
    for (let segment = 1; segment <= 4; segment++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const state = inProgress(key, (rev ?? 0) + 1, segment * 100, segment);
      expect(await stack.ledger.putFile(state, rev)).toBe(true);
      rev = state.rev;
      await shown(`${segment * 100} records so far`);
    }
    const done = inProgress(key, (rev ?? 0) + 1, 400, 4);
    const { checkpoint: _c, ...rest } = done;
    await stack.ledger.putFile(
      { ...rest, status: 'PROCESSED', leaseUntil: 0, counts: { ...done.counts, written: 450 } },
      rev,
    );
    const run = { code: await exited, stdout, stderr };

    // Assess
    expect(run.stdout).toContain(`uploaded s3://${stack.config.bucket.name}/${key}`);
    expect(run.stdout).toContain('processed: 450 record(s)');
    expect(run.code).toBe(0);
    const lines = afterTarget(run.stderr).trimEnd().split('\n');
    expect(lines).toContain(`${key}: processing, 100 records so far, 1 segment done`);
    expect(lines).toContain(`${key}: processing, 400 records so far, 4 segments done`);
  });

  it('put --wait gives up after its patience without progress, saying where the file stands', async () => {
    // Prepare: a file stuck 2 segments in
    const path = join(dir, 'long-c.json');
    await writeFile(path, '{"id":"c"}');
    await stack.ledger.putFile(inProgress('incoming/long-c.json', 1, 300, 2), undefined);

    // Act
    const run = await eventline(['put', path, '--wait', '--patience', '1']);

    // Assess
    expect(run.code).toBe(1);
    expect(afterTarget(run.stderr)).toBe(
      'incoming/long-c.json: processing, 300 records so far, 2 segments done\n' +
        'eventline: incoming/long-c.json: no progress for 1 s (PROCESSING, 300 records so far, 2 segments done); it may still finish: see eventline files --search "incoming/long-c.json"\n',
    );
  });
});

describe('nothing to replay', () => {
  it('dlq replay with empty dead-letter queues says so, not a move task handle', async () => {
    const all = await eventline(['dlq', 'replay']);
    const events = await eventline(['dlq', 'replay', '--queue', 'events', '--json']);

    expect(all.code).toBe(0);
    expect(afterTarget(all.stderr)).toBe('');
    expect(all.stdout).toBe('nothing to replay: the dead-letter queues are empty\n');
    expect(JSON.parse(events.stdout)).toEqual({ results: [] });
  });
});

describe('a stack started with another config than the CLI reads (npm start -- --config examples/x/…)', () => {
  it("status and files --status FAILED show a failure under the stack's own route, which the CLI's config does not name", async () => {
    // Prepare: a file the stack (route 'other') fails; the CLI's eventline.config.ts routes 'default'
    await stack.clients.s3.send(
      new PutObjectCommand({
        Bucket: stack.config.bucket.name,
        Key: 'elsewhere/broken.json',
        Body: '{"id":',
      }),
    );
    await stack.idle();
    expect((await stack.ledger.getFile(stack.config.bucket.name, 'elsewhere/broken.json'))?.status).toBe(
      'FAILED',
    );

    // Act
    const status = await eventline(['--json', 'status']);
    const files = await eventline(['--json', 'files', '--status', 'FAILED']);

    // Assess
    expect(status.code, status.stderr).toBe(0);
    const view = JSON.parse(status.stdout) as {
      attention: { counts: Array<{ route: string; FAILED: string }>; newest: Array<{ key: string }> };
    };
    expect(view.attention.counts).toContainEqual(expect.objectContaining({ route: 'other', FAILED: '1' }));
    expect(view.attention.newest.map((f) => f.key)).toContain('elsewhere/broken.json');
    expect(files.code, files.stderr).toBe(0);
    expect((JSON.parse(files.stdout) as { files: Array<{ key: string }> }).files.map((f) => f.key)).toContain(
      'elsewhere/broken.json',
    );
  });
});

describe('files --status PROCESSING with none found in the index', () => {
  it('says a first attempt in flight is not indexed and --scan lists it, not "no files yet"', async () => {
    // Prepare: a first attempt in flight (attempt 1, no checkpoint): not in the index
    const first = inProgress('incoming/first-attempt.json', 1, 0, 0);
    delete first.checkpoint;
    await stack.ledger.putFile(first, undefined);

    // Act
    const indexed = await eventline(['files', '--status', 'PROCESSING', '--search', 'first-attempt']);
    const scanned = await eventline([
      'files',
      '--status',
      'PROCESSING',
      '--search',
      'first-attempt',
      '--scan',
    ]);

    // Assess
    expect(indexed.code).toBe(0);
    expect(indexed.stdout).toMatch(/first attempt in flight is not indexed.*--scan/);
    expect(scanned.stdout).toMatch(/^PROCESSING +incoming\/first-attempt\.json /m);
  });
});
