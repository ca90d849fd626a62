import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from '@eventline/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Ctrl-C on `eventline start` (what `npm start` runs), as a terminal sends it: SIGINT to the whole
 * process group, the function instances included. The stack stops taking work from the ingest
 * queue, lets a running invocation finish within the grace period (`--grace`), and says on stderr
 * what it cut and when that comes back (the ingest queue's visibility timeout).
 */

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eventline-graceful-'));
  await writeFile(
    join(dir, 'direct.config.mjs'),
    `export default ${JSON.stringify({
      routes: [{ id: 'iot', prefix: 'iot/', suffix: '.ndjson', format: 'ndjson', key: 'deviceId' }],
      trigger: { mode: 'direct' },
    })};\n`,
  );
  await writeFile(
    join(dir, 'eventline.config.mjs'),
    `export default ${JSON.stringify({
      routes: [{ id: 'iot', prefix: 'iot/', suffix: '.ndjson', format: 'ndjson', key: 'deviceId' }],
    })};\n`,
  );
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  url: string;
  output: { stdout: string; stderr: string };
  exited: Promise<number | null>;
}

/** `eventline start` in its own process group (a terminal's job), ready once its banner is out. */
async function start(name: string, grace: number, config = 'eventline.config.mjs'): Promise<Started> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      'bin/eventline.mjs',
      '-c',
      join(dir, config),
      'start',
      '--port',
      String(port),
      '--data-dir',
      join(dir, name),
      '--grace',
      String(grace),
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  for (let i = 0; i < 900 && !output.stdout.includes('eventline local stack'); i++) {
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(output.stdout, output.stderr).toContain('eventline local stack');
  return { child, url: `http://127.0.0.1:${port}`, output, exited };
}

/** Uploads `records` NDJSON lines and waits until a batch is being processed. */
async function uploadAndWaitForWork(url: string, key: string, records: number): Promise<void> {
  const s3 = new S3Client({
    endpoint: url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const body = `${Array.from({ length: records }, (_, i) => JSON.stringify({ deviceId: `d-${i}`, n: i })).join('\n')}\n`;
  await s3.send(new PutObjectCommand({ Bucket: 'eventline-local', Key: key, Body: body }));
  s3.destroy();
  for (let i = 0; i < 600; i++) {
    const runtime = (await (await fetch(`${url}/_eventline/runtime`)).json()) as {
      eventSource?: { batchesInFlight: number };
    };
    const feed = (await (await fetch(`${url}/_eventline/feed?limit=1000`)).json()) as {
      entries: Array<{ key: string; kind: string }>;
    };
    const stats = (await (await fetch(`${url}/_eventline/stats`)).json()) as { invoker: { running: number } };
    const received = feed.entries.some((e) => e.key === key && e.kind === 'received');
    // Queue mode: a batch of the event source; direct mode: an invocation of the invoker.
    if (received && ((runtime.eventSource?.batchesInFlight ?? 0) > 0 || stats.invoker.running > 0)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no batch for ${key} started`);
}

/** Ctrl-C as a terminal sends it: to the whole process group. */
function ctrlC(started: Started): void {
  process.kill(-(started.child.pid ?? 0), 'SIGINT');
}

describe('Ctrl-C on eventline start', () => {
  it('lets the running invocation finish within the grace period, then stops', {
    timeout: 240_000,
  }, async () => {
    // Prepare
    const started = await start('finish', 120);
    try {
      await uploadAndWaitForWork(started.url, 'iot/finish.ndjson', 30_000);

      // Act
      ctrlC(started);
      const code = await started.exited;

      // Assess: the file got its outcome after the Ctrl-C; nothing was cut
      expect(code, started.output.stderr).toBe(0);
      const after = started.output.stderr.slice(started.output.stderr.indexOf('SIGINT: '));
      expect(after).toContain(
        'SIGINT: stopped taking work from the queue; running invocations have up to 120 s to finish (Ctrl-C again to force)',
      );
      expect(started.output.stdout).toMatch(/✓ iot\/finish\.ndjson → 30000 records/);
      expect(after).toContain('stopped: no invocation was cut; anything still queued runs on the next start');
    } finally {
      if (started.child.exitCode === null) process.kill(-(started.child.pid ?? 0), 'SIGKILL');
    }
  });

  it('cuts what is still running after the grace period, and says what and when it comes back', {
    timeout: 240_000,
  }, async () => {
    // Prepare
    const started = await start('cut', 0);
    try {
      await uploadAndWaitForWork(started.url, 'iot/cut.ndjson', 200_000);

      // Act
      ctrlC(started);
      const code = await started.exited;

      // Assess
      expect(code, started.output.stderr).toBe(0);
      expect(started.output.stderr).toContain(
        'stopped: cut 1 message(s) still running after 0 s (iot/cut.ndjson); they come back on the ingest queue when its visibility timeout ends (360 s from their delivery) and run then on a running stack (npm start); a long file resumes from its last checkpoint',
      );
    } finally {
      if (started.child.exitCode === null) process.kill(-(started.child.pid ?? 0), 'SIGKILL');
    }
  });

  it('direct mode: says the invocations it cut run again from the journal on the next start', {
    timeout: 240_000,
  }, async () => {
    const started = await start('direct', 0, 'direct.config.mjs');
    try {
      await uploadAndWaitForWork(started.url, 'iot/direct.ndjson', 200_000);
      ctrlC(started);
      const code = await started.exited;
      expect(code, started.output.stderr).toBe(0);
      expect(started.output.stderr).toContain(
        'cut 1 invocation(s) still running after 0 s: their events stay in the journal and run again on the next start (npm start)',
      );
      expect(started.output.stderr).not.toContain('no invocation was cut');
    } finally {
      if (started.child.exitCode === null) process.kill(-(started.child.pid ?? 0), 'SIGKILL');
    }
  });
});
