import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { freePort } from './ports.ts';

/**
 * moto_server, a second AWS emulator (S3, DynamoDB, SNS, SQS, CloudFormation, CloudWatch on one
 * endpoint), started for a test: on a free port of 127.0.0.1, waited for (bounded), stopped with its
 * whole process group (a pyenv shim starts Python as a child). A missing binary fails at once, with
 * how to install it, instead of a readiness wait that ends in ENOENT.
 */

/** How to get moto_server; what CI (`.ci/run`) does on a machine without it. */
export const MOTO_INSTALL =
  "pip install 'moto[server]' (on Debian's Python inside a virtual environment, as .ci/run does)";

export interface MotoOptions {
  /** The executable: a name looked up on the PATH of `env`, or a path. Default `moto_server`. */
  binary?: string;
  /** The child's environment, whose PATH the binary is looked up on. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** How long moto may take to answer its first request, in ms (Python's start-up). Default 30 s, within vitest's hook timeout. */
  readyTimeoutMs?: number;
}

export interface Moto {
  /** `http://127.0.0.1:<port>`: every service on the one endpoint. */
  url: string;
  port: number;
  /** The process id (the leader of its own process group). */
  pid: number;
  /** The last of what moto printed (stdout and stderr). */
  output(): string;
  /** Stops the process group and waits until moto is gone. Idempotent. */
  close(): Promise<void>;
}

/** moto_server cannot run here: the binary is not on the PATH (or not executable), or it would not start. */
export class MotoUnavailableError extends Error {
  override readonly name = 'MotoUnavailableError';
}

const MAX_OUTPUT = 20_000;
const STOP_GRACE_MS = 5_000;

/** The executable `binary` names: a path as given, or the first match on `path`; undefined when none is. */
export function findExecutable(binary: string, path = process.env.PATH ?? ''): string | undefined {
  const candidates = binary.includes('/')
    ? [resolve(binary)]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, binary));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here: the next directory
    }
  }
  return undefined;
}

export async function startMoto(options: MotoOptions = {}): Promise<Moto> {
  const binary = options.binary ?? 'moto_server';
  const env = options.env ?? process.env;
  const executable = findExecutable(binary, env.PATH ?? '');
  if (!executable) {
    const where = binary.includes('/') ? `at ${binary}` : `on the PATH (${env.PATH ?? 'unset'})`;
    throw new MotoUnavailableError(
      `${binary} is not installed: no executable ${where}. Install it: ${MOTO_INSTALL}`,
    );
  }

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(executable, ['-H', '127.0.0.1', '-p', String(port)], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-MAX_OUTPUT);
    });
  }
  const gone = new Promise<void>((done) => {
    child.once('exit', () => done());
    child.once('error', () => done());
  });
  const failed = new Promise<Error>((done) => {
    child.once('error', (error) =>
      done(
        new MotoUnavailableError(
          `${executable} could not be started (${error.message}). Install it: ${MOTO_INSTALL}`,
        ),
      ),
    );
    child.once('exit', (code, signal) =>
      done(
        new MotoUnavailableError(
          `${executable} exited (${code ?? signal}) before it answered on ${url}: ${output.slice(-2000).trim() || 'no output'}. If moto is not installed for this Python: ${MOTO_INSTALL}`,
        ),
      ),
    );
  });

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      signal(child, 'SIGTERM');
      const grace = setTimeout(() => signal(child, 'SIGKILL'), STOP_GRACE_MS);
      await gone;
      clearTimeout(grace);
    })();
    return closed;
  };

  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    const answered = await Promise.race([
      fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(5_000) }).then(
        async (response) => {
          await response.arrayBuffer();
          return true;
        },
        () => false,
      ),
      failed,
    ]);
    if (answered instanceof Error) {
      await close();
      throw answered;
    }
    if (answered) break;
    if (Date.now() > deadline) {
      await close();
      throw new Error(
        `${executable} did not answer on ${url} within ${readyTimeoutMs / 1000} s: ${output.slice(-2000).trim() || 'no output'}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, port, pid: child.pid as number, output: () => output, close };
}

/** Signals moto's whole process group (it leads one: `detached`), or the child alone if the group is gone. */
function signal(child: ChildProcess, name: NodeJS.Signals): void {
  try {
    process.kill(-(child.pid as number), name);
  } catch {
    child.kill(name);
  }
}
