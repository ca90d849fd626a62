import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { visibilityTimeoutSeconds } from '@eventline/config';
import { errorMessage, matchRoute } from '@eventline/core';
import type { PhoneMessage } from '@eventline/local';
import { consoleLogger, LocalStack } from '@eventline/local';
import type { Command } from 'commander';
import { type Cli, nonNegative, port, positive } from '../context.ts';
import { emit, table } from '../output.ts';
import { fileState, waitForOutcome } from '../progress.ts';

/** `start`, `put` and `sms`: the local stack only. */
export function register(program: Command, cli: Cli): void {
  program
    .command('sms')
    .description("list the SMS the local stack's sms subscribers received, as their phones show them")
    .option('-n, --limit <n>', 'how many notifications to look through (newest)', positive, 50)
    .action(async (options: { limit: number }) => {
      if (cli.options.stack) {
        throw new Error(
          'sms lists the local stack only (--stack given); on AWS, SNS keeps SMS delivery status in CloudWatch Logs once the account enables it (aws sns set-sms-attributes)',
        );
      }
      const { messages } = await cli.api<{ messages: PhoneMessage[] }>(
        `/_eventline/sms?limit=${options.limit}`,
      );
      emit(cli.out, { messages }, () =>
        messages.length === 0
          ? 'no SMS yet\n'
          : table(
              ['SENT', 'TO', 'FROM', 'PARTS', 'TEXT'],
              messages.map((m) => [m.timestamp, m.phoneNumber, m.sender ?? '', String(m.parts), m.text]),
            ),
      );
    });

  program
    .command('start')
    .description(
      'start the local stack (S3, DynamoDB and SNS on one loopback port) and process files as they land',
    )
    .option('-p, --port <port>', 'edge port (default: local.port, 4566)', port)
    .option('--host <address>', 'address to bind (default: local.host, 127.0.0.1)')
    .option('-d, --data-dir <dir>', 'data directory (default: local.dataDir, .eventline)')
    .option(
      '--grace <seconds>',
      'on Ctrl-C (SIGINT) or SIGTERM: how long running invocations may finish before they are cut',
      nonNegative,
      10,
    )
    .action(async (options: { port?: number; host?: string; dataDir?: string; grace?: number }) => {
      const c = await cli.config();
      const print = (line: string) => process.stdout.write(`${line}\n`);
      const stack = await LocalStack.start({
        config: c,
        // The function bundle takes the config's code (transforms, key functions) from this file.
        configFile: cli.options.config,
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
      const say = (line: string) => process.stderr.write(`${line}\n`);
      const graceMs = (options.grace ?? 10) * 1000;
      const shutdown = async (signal: string) => {
        // One Ctrl-C can arrive twice (from the terminal and relayed by a wrapper): only a later one forces.
        if (stopping && Date.now() - stopping > 1000) {
          say(
            `forced exit: running invocations are cut; their messages come back on the ingest queue when its visibility timeout ends (${visibilityTimeoutSeconds(c)} s), queued events run on the next start`,
          );
          process.exit(130);
        }
        if (stopping) return;
        stopping = Date.now();
        say(
          `\n${signal}: stopped taking work from the queue; running invocations have up to ${graceMs / 1000} s to finish (Ctrl-C again to force)`,
        );
        const report = await stack.stop(graceMs);
        if (report.journaled > 0) {
          say(
            `cut ${report.journaled} invocation(s) still running after ${graceMs / 1000} s: their events stay in the journal and run again on the next start (npm start)`,
          );
        }
        if (report.cut.length === 0 && report.journaled === 0) {
          say('stopped: no invocation was cut; anything still queued runs on the next start');
        } else if (report.cut.length > 0) {
          const files = [...new Set(report.cut)];
          say(
            `stopped: cut ${report.cut.length} message(s) still running after ${graceMs / 1000} s (${files.slice(0, 5).join(', ')}${files.length > 5 ? `, and ${files.length - 5} more` : ''}); they come back on the ingest queue when its visibility timeout ends (${report.visibilityTimeoutSeconds} s from their delivery) and run then on a running stack (npm start); a long file resumes from its last checkpoint`,
          );
        }
        process.exit(0);
      };
      process.on('SIGINT', () => void shutdown('SIGINT'));
      process.on('SIGTERM', () => void shutdown('SIGTERM'));
    });

  /** The console page is optional: the local stack runs without it. */
  async function loadConsole() {
    try {
      const page = '@eventline/local/console';
      const module = (await import(page)) as {
        createConsolePage?: () => import('@eventline/local').ConsoleHandler;
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
    .option(
      '-w, --wait',
      'wait until the file has its outcome and print it; a long file shows its progress on stderr',
    )
    .option(
      '--patience <seconds>',
      'with --wait: give up after this long without progress (default: function.timeoutSeconds + 60)',
      positive,
    )
    .action(async (file: string, options: { key?: string; wait?: boolean; patience?: number }) => {
      if (cli.options.stack) {
        throw new Error(
          'put uploads to the local stack only (--stack given); on a deployed stack upload with: aws s3 cp <file> s3://<BucketName>/<key>',
        );
      }
      const c = await cli.config();
      const route = c.routes[0];
      const key = options.key ?? `${route?.prefix ?? ''}${basename(file)}`;
      await stat(file).catch(() => {
        throw new Error(`${file}: no such file`);
      });
      const endpoint = await cli.endpoint();
      // Says which stack it uses (the target line), and fails in one line when none answers.
      const target = await cli.target();
      const s3 = new S3Client({
        endpoint,
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
          `upload of ${file} to s3://${c.bucket.name}/${key} failed: ${missing ? `the bucket "${c.bucket.name}" (${setting}) does not exist at ${await cli.endpoint()}: ` : ''}${errorMessage(error)}`,
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
      // Read by key from the ledger; waits as long as the file moves (a long file takes segments).
      const s = await waitForOutcome(() => fileState(target, c.bucket.name, key), {
        patienceMs: (options.patience ?? c.function.timeoutSeconds + 60) * 1000,
        // The outcome of this upload, not of an earlier version of the key.
        accept: (state) => !eTag || !state.eTag || state.eTag === eTag,
        progress: cli.out.progress,
      });
      process.stdout.write(
        s.status === 'PROCESSED'
          ? `processed: ${s.counts.written} record(s)\n`
          : `failed: ${s.error?.message ?? '?'}\n`,
      );
      if (s.status !== 'PROCESSED') process.exitCode = 1;
    });
}
