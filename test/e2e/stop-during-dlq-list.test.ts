/**
 * A stop while the dead letters are being listed (the console polls them) must not hide them: a
 * listing takes the letters out of sight to read them and puts them back; a stop that cut it between
 * the two left them invisible for the listing's 30 s after the restart (a CI run saw the console's
 * Replay button missing for 20 s after a restart).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { parseConfig } from '@eventline/config';
import { LocalStack } from '@eventline/local';
import { afterAll, expect, it } from 'vitest';
import { s3Client } from '../reliability/support/harness.ts';

let dir: string | undefined;
let stack: LocalStack | undefined;

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('a stop in the middle of listing the dead letters leaves them in sight after the restart', async () => {
  // Prepare: one dead letter (a file that does not parse)
  dir = await mkdtemp(join(tmpdir(), 'eventline-stop-dlq-'));
  const dataDir = join(dir, 'data');
  const config = parseConfig({ local: { port: 0 } });
  stack = await LocalStack.start({ config, dataDir });
  const s3 = s3Client(stack.url);
  await s3.send(
    new PutObjectCommand({ Bucket: 'eventline-local', Key: 'incoming/broken.json', Body: '{"id": ' }),
  );
  s3.destroy();
  await stack.idle();
  expect(await stack.deadLetters.list()).toHaveLength(1);

  // Act: hold the listing's "put them back" call until the stop has begun, then stop
  let releasing!: () => void;
  const putBackStarted = new Promise<void>((resolve) => {
    releasing = resolve;
  });
  stack.clients.sqs.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'ChangeMessageVisibilityBatchCommand') {
        releasing();
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      return next(args);
    },
    { step: 'initialize', name: 'holdPutBack' },
  );
  const listing = stack.deadLetters.list().catch((error: unknown) => error);
  await putBackStarted;
  await stack.stop();
  await listing;
  stack = await LocalStack.start({ config, dataDir });

  // Assess: the letter is listed at once, not 30 s later
  const letters = await stack.deadLetters.list();
  expect(letters.map((l) => l.object?.key)).toEqual(['incoming/broken.json']);
});
