import type { Command } from 'commander';
import { type Cli, positiveNumber } from '../context.ts';
import { routedObjects } from '../listing.ts';
import { emit } from '../output.ts';
import { eventsFor, senderFor } from '../redrive.ts';
import { Progress, Throttle } from '../throttle.ts';

/**
 * `backfill`: S3-shaped events for the objects already in the bucket under the routes, sent where S3
 * sends them (the ingest queue, or asynchronous invocations in direct mode), at a steady rate, with
 * progress on stderr. Idempotent: the ledger skips files already done.
 */
export function register(program: Command, cli: Cli): void {
  program
    .command('backfill')
    .description('process objects that were in the bucket before the pipeline ran (idempotent)')
    .option('--prefix <prefix>', 'only objects under this prefix (default: every route)')
    .option('--rate <n>', 'events per second at most', positiveNumber, 50)
    .option('--dry-run', 'count the objects, send nothing')
    .action(async (options: { prefix?: string; rate: number; dryRun?: boolean }) => {
      const target = await cli.target();
      const config = await cli.config();
      const out = cli.out;
      const sender = options.dryRun ? undefined : senderFor(target, 'backfill');
      const throttle = new Throttle(options.rate);
      const progress = new Progress(out.progress);
      let listed = 0;
      let sent = 0;
      let batch: Parameters<typeof eventsFor>[0] = [];
      const flush = async () => {
        if (batch.length === 0 || !sender) return;
        await throttle.take(batch.length);
        await sender.send(eventsFor(batch, 'backfill'));
        sent += batch.length;
        batch = [];
        progress.tick(() => `backfill: ${listed} listed, ${sent} sent to ${sender.describe}`);
      };
      // Batches of 10 (SQS's batch size), never more than a second's worth at once.
      const batchSize = Math.max(1, Math.min(10, Math.floor(options.rate)));
      for await (const object of routedObjects(target, config, options.prefix)) {
        listed += 1;
        if (!sender) continue;
        batch.push(object);
        if (batch.length >= batchSize) await flush();
      }
      await flush();
      progress.tick(
        () => `backfill: ${listed} listed, ${sent} sent${sender ? ` to ${sender.describe}` : ''}: done`,
        true,
      );
      emit(out, { listed, sent, to: sender?.describe ?? null }, () =>
        options.dryRun
          ? `${listed} object(s) under the routes; nothing sent (--dry-run)\n`
          : `sent ${sent} event(s) to ${sender?.describe}; watch them with: npx eventline files${cli.options.stack ? ` --stack ${cli.options.stack}` : ''}\n`,
      );
    });
}
