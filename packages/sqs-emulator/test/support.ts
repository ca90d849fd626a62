import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createSqsEmulator } from '../src/index.ts';
import type { SqsEmulator, SqsEmulatorOptions, SqsListener } from '../src/types.ts';

export const REGION = 'us-east-1';
export const ACCOUNT = '000000000000';
export const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface Running {
  emulator: SqsEmulator;
  listener: SqsListener;
  url: string;
  dataDir: string;
  client: SQSClient;
  /** Stops the emulator (keeps the data directory). */
  stop(): Promise<void>;
}

export async function makeDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sqs-emulator-'));
}

export async function removeDataDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export async function startEmulator(
  dataDir: string,
  warnings: string[] = [],
  extra: Partial<SqsEmulatorOptions> = {},
): Promise<Running> {
  const emulator = createSqsEmulator({
    ...extra,
    dataDir,
    region: REGION,
    accountId: ACCOUNT,
    warn: (message) => warnings.push(message),
  });
  const listener = await emulator.listen(0);
  const client = new SQSClient({ endpoint: listener.url, region: REGION, credentials: CREDENTIALS });
  return {
    emulator,
    listener,
    url: listener.url,
    dataDir,
    client,
    async stop() {
      client.destroy();
      await emulator.close();
    },
  };
}

/** Calls `check` until it returns a value (not undefined), at most `attempts` times `everyMs` apart. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
  attempts = 100,
  everyMs = 100,
): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`gave up waiting for ${what} after ${attempts} attempts`);
}
