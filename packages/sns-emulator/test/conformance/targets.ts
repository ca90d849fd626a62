import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { startSnsServer } from '../../src/index.ts';
import type { Target } from './cases.ts';

/** An endpoint to run the cases against, and how to stop it. */
export interface Endpoint {
  url: string;
  close(): Promise<void>;
}

export function targetFromEnv(): Target {
  const name = process.env.CONFORMANCE_TARGET ?? 'emulator';
  if (name !== 'emulator' && name !== 'moto') {
    throw new Error(`CONFORMANCE_TARGET: "${name}" is not one of emulator, moto`);
  }
  return name;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export async function startTarget(target: Target): Promise<Endpoint> {
  if (target === 'emulator') {
    const server = await startSnsServer({ region: 'us-east-1' });
    return { url: server.url, close: () => server.close() };
  }
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'pipe' });
  let output = '';
  for (const stream of [child.stdout, child.stderr])
    stream?.on('data', (d: Buffer) => {
      output = (output + d.toString()).slice(-20_000);
    });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`moto_server exited (${child.exitCode}): ${output.slice(-2000)}`);
    try {
      await fetch(`${url}/moto-api/`);
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop(child);
        throw new Error(`moto_server did not answer on ${url} within 60 s: ${output.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return { url, close: () => stop(child) };
}
