import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ConfigError } from '@eventline/config/errors.ts';
import { type EventlineConfig, loadConfig, withEnvironment } from '@eventline/config/index.ts';
import { errorMessage } from '@eventline/core/errors.ts';
import { matchRoute } from '@eventline/core/routing.ts';
import { consoleLogger, LocalStack } from '@eventline/local/stack.ts';
import { Command, InvalidArgumentError } from 'commander';
import { parse, stringify } from 'lossless-json';

/**
 * `eventline`: start the local stack and talk to it. Commands other than `start` talk to a running
 * stack through its endpoint (the S3 API and the stack's `/_eventline/` API), like any client.
 */

// The lockfile pins AWS SDK releases that run on Node 20; their notice about 2027 is not for users here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const program = new Command();

const port = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('a TCP port (0-65535)');
  return n;
};
const positive = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive whole number');
  return n;
};

program
  .name('eventline')
  .description('Event-driven file ingestion: S3 -> handler -> DynamoDB ledger -> SNS, locally and on AWS.')
  .option('-c, --config <file>', 'configuration file', 'eventline.config.ts')
  .option(
    '-e, --endpoint <url>',
    'endpoint of a running local stack (default: from the config, or EVENTLINE_ENDPOINT)',
  );

async function config(): Promise<EventlineConfig> {
  return withEnvironment(await loadConfig(program.opts<{ config: string }>().config));
}

async function endpoint(): Promise<string> {
  const explicit = program.opts<{ endpoint?: string }>().endpoint ?? process.env.EVENTLINE_ENDPOINT;
  if (explicit) return explicit.replace(/\/$/, '');
  const c = await config();
  return `http://${c.local.host}:${c.local.port}`;
}

async function api<T>(path: string, init?: { method?: string; body?: unknown }): Promise<T> {
  const base = await endpoint();
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method: init?.method ?? 'GET',
      ...(init?.body !== undefined
        ? { body: JSON.stringify(init.body), headers: { 'content-type': 'application/json' } }
        : {}),
    });
  } catch (error) {
    throw new Error(
      `no eventline stack answers at ${base} (${errorMessage(error)}). Start one with: npm start`,
    );
  }
  // Numbers come as exact decimal text (38 digits): parsed losslessly, printed as they came.
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  let body: (T & { error?: string }) | undefined;
  try {
    body = type.startsWith('application/json') ? (parse(text) as T & { error?: string }) : undefined;
  } catch {
    body = undefined;
  }
  if (typeof body !== 'object' || body === null) {
    const start = text.replace(/\s+/g, ' ').trim().slice(0, 40);
    throw new Error(
      `${base} is not an eventline stack: ${path} answered ${response.status} ${type || 'without a content type'}${start ? ` ("${start}${text.length > 40 ? '...' : ''}")` : ''}; point --endpoint or EVENTLINE_ENDPOINT at the endpoint \`npm start\` prints`,
    );
  }
  if (!response.ok) throw new Error(`${path}: ${body.error ?? response.statusText}`);
  return body;
}

/** JSON text with the numbers exactly as the stack sent them. */
const exact = (value: unknown): string => stringify(value) ?? '';

program
  .command('start')
  .description(
    'start the local stack (S3, DynamoDB and SNS on one loopback port) and process files as they land',
  )
  .option('-p, --port <port>', 'edge port (default: local.port, 4566)', port)
  .option('--host <address>', 'address to bind (default: local.host, 127.0.0.1)')
  .option('-d, --data-dir <dir>', 'data directory (default: local.dataDir, .eventline)')
  .action(async (options: { port?: number; host?: string; dataDir?: string }) => {
    const c = await config();
    const print = (line: string) => process.stdout.write(`${line}\n`);
    const stack = await LocalStack.start({
      config: c,
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.host ? { host: options.host } : {}),
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      print,
      logger: consoleLogger(),
      consolePage: await loadConsole(),
      // The dev loop: the function's bundle is rebuilt when a source changes; new instances load it.
      watchFunction: true,
    });
    print(stack.banner());
    let stopping = 0;
    const shutdown = async (signal: string) => {
      // One Ctrl-C can arrive twice (from the terminal and relayed by a wrapper): only a later one forces.
      if (stopping && Date.now() - stopping > 1000) {
        print('forced exit; queued events stay journaled and run on the next start');
        process.exit(130);
      }
      if (stopping) return;
      stopping = Date.now();
      print(`\n${signal}: finishing running work (Ctrl-C again to force)...`);
      await stack.stop();
      print('stopped; anything still queued is journaled and runs on the next start');
      process.exit(0);
    };
    process.on('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
  });

/** The console page is optional: the stack runs without it. */
async function loadConsole() {
  try {
    const page = '../local/console/index.ts';
    const module = (await import(page)) as {
      createConsolePage?: () => import('@eventline/local/admin.ts').ConsoleHandler;
    };
    return module.createConsolePage?.();
  } catch {
    return undefined;
  }
}

program
  .command('put')
  .description('upload a file to the local bucket (under the first route unless --key is given)')
  .argument('<file>', 'the file to upload')
  .option('-k, --key <key>', 'object key')
  .option('-w, --wait', 'wait until the file has its outcome and print it')
  .action(async (file: string, options: { key?: string; wait?: boolean }) => {
    const c = await config();
    const route = c.routes[0];
    const key = options.key ?? `${route?.prefix ?? ''}${basename(file)}`;
    await stat(file).catch(() => {
      throw new Error(`${file}: no such file`);
    });
    const s3 = new S3Client({
      endpoint: await endpoint(),
      region: c.local.region,
      forcePathStyle: true,
      credentials: { accessKeyId: c.local.accessKeyId, secretAccessKey: c.local.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    let eTag: string | undefined;
    try {
      const put = await s3.send(
        new PutObjectCommand({ Bucket: c.bucket.name, Key: key, Body: await readFile(file) }),
      );
      eTag = put.ETag?.replace(/"/g, '');
    } catch (error) {
      const missing = (error as { name?: string }).name === 'NoSuchBucket';
      const setting = process.env.BUCKET_NAME !== undefined ? 'BUCKET_NAME' : 'bucket.name';
      throw new Error(
        `upload of ${file} to s3://${c.bucket.name}/${key} failed: ${missing ? `the bucket "${c.bucket.name}" (${setting}) does not exist at ${await endpoint()}: ` : ''}${errorMessage(error)}`,
      );
    } finally {
      s3.destroy();
    }
    process.stdout.write(`uploaded s3://${c.bucket.name}/${key}\n`);
    if (!options.wait) return;
    if (!matchRoute(c.routes, key)) {
      process.stdout.write('ignored: the key is outside every route\n');
      return;
    }
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const detail = await api<{
        state: {
          status: string;
          eTag?: string;
          counts: { written: number };
          error?: { message: string };
        } | null;
      }>(`/_eventline/file?key=${encodeURIComponent(key)}`);
      // The outcome of this upload, not of an earlier version of the key.
      const s = detail.state;
      if (s && s.status !== 'PROCESSING' && (!eTag || !s.eTag || s.eTag === eTag)) {
        process.stdout.write(
          s.status === 'PROCESSED'
            ? `processed: ${s.counts.written} record(s)\n`
            : `failed: ${s.error?.message ?? '?'}\n`,
        );
        if (s.status !== 'PROCESSED') process.exitCode = 1;
        return;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${key}: no outcome after 60 s`);
  });

program
  .command('records')
  .description('list ledger records')
  .option('-n, --limit <n>', 'how many', positive, 20)
  .option('-q, --search <text>', 'only keys containing this text')
  .action(async (options: { limit: number; search?: string }) => {
    const q = options.search ? `&q=${encodeURIComponent(options.search)}` : '';
    const page = await api<{ items: Array<Record<string, unknown>> }>(
      `/_eventline/records?limit=${options.limit}${q}`,
    );
    for (const item of page.items) {
      const source = item.source as { key?: string } | undefined;
      process.stdout.write(`${String(item.pk)}\t${source?.key ?? ''}\t${exact(item.payload)}\n`);
    }
    if (page.items.length === 0) process.stdout.write('no records yet\n');
  });

program
  .command('files')
  .description('list file outcomes (processed, failed, in progress)')
  .option('-n, --limit <n>', 'how many', positive, 20)
  .action(async (options: { limit: number }) => {
    const page = await api<{
      items: Array<{
        state: { key: string; status: string; counts: { written: number }; error?: { message: string } };
      }>;
    }>(`/_eventline/files?limit=${options.limit}`);
    for (const { state } of page.items) {
      process.stdout.write(
        `${state.status.padEnd(10)} ${state.key}\t${state.counts.written} record(s)${state.error ? `\t${state.error.message}` : ''}\n`,
      );
    }
    if (page.items.length === 0) process.stdout.write('no files yet\n');
  });

program
  .command('notifications')
  .description('list published notifications and their deliveries')
  .option('-n, --limit <n>', 'how many', positive, 20)
  .action(async (options: { limit: number }) => {
    const { notifications } = await api<{ notifications: Array<Record<string, unknown>> }>(
      `/_eventline/notifications?limit=${options.limit}`,
    );
    for (const n of notifications) {
      process.stdout.write(
        `${String(n.timestamp ?? '')}\t${String(n.subject ?? '')}\t${String(n.messageId ?? '')}\n`,
      );
    }
    if (notifications.length === 0) process.stdout.write('no notifications yet\n');
  });

const dlq = program.command('dlq').description('the dead-letter queue: files that could not be processed');
dlq
  .command('list')
  .description('list dead letters with their reasons')
  .action(async () => {
    const { letters } = await api<{
      letters: Array<{ id: string; code: string; reason: string; object?: { key: string } }>;
    }>('/_eventline/dlq');
    for (const l of letters)
      process.stdout.write(`${l.id}\t${l.object?.key ?? '-'}\t${l.code}\t${l.reason}\n`);
    if (letters.length === 0) process.stdout.write('the dead-letter queue is empty\n');
  });
dlq
  .command('replay')
  .description('re-drive dead letters (all, or one by id) after a fix')
  .argument('[id]', 'one letter id (see dlq list)')
  .action(async (id?: string) => {
    const { results } = await api<{
      results: Array<{ id: string; key?: string; status: string; reason?: string }>;
    }>('/_eventline/dlq/replay', { method: 'POST', body: id ? { id } : {} });
    for (const r of results)
      process.stdout.write(`${r.id}\t${r.key ?? '-'}\t${r.status}${r.reason ? `\t${r.reason}` : ''}\n`);
    if (results.length === 0) process.stdout.write('nothing to replay\n');
    if (results.some((r) => r.status === 'failed' || r.status === 'error')) process.exitCode = 1;
  });

dlq
  .command('drop')
  .description('end one dead letter without replaying it (its file keeps its FAILED outcome)')
  .argument('<id>', 'the letter id (see dlq list)')
  .action(async (id: string) => {
    const { dropped } = await api<{ dropped: { id: string; key?: string; reason?: string } }>(
      '/_eventline/dlq/drop',
      { method: 'POST', body: { id } },
    );
    process.stdout.write(`dropped\t${dropped.id}\t${dropped.key ?? '-'}\t${dropped.reason ?? ''}\n`);
  });

program
  .command('backfill')
  .description('process objects that were in the bucket before the pipeline ran (idempotent)')
  .requiredOption('--prefix <prefix>', 'only objects under this prefix')
  .action(async (options: { prefix: string }) => {
    const result = await api<{ submitted: number }>('/_eventline/backfill', {
      method: 'POST',
      body: { prefix: options.prefix },
    });
    process.stdout.write(`submitted ${result.submitted} object(s); watch them with: npx eventline files\n`);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : `eventline: ${errorMessage(error)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
