import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Real processes for the reliability suite: the local stack started by the real CLI
 * (`eventline start`) in a child process that a test can `kill -9`, and one-shot CLI commands
 * (`eventline dlq replay`, `eventline backfill`) run against a stack's endpoint.
 *
 * The child is `node --import tsx packages/cli/src/main.ts ...`: what `npx tsx packages/cli/src/main.ts` runs, minus
 * the npx and tsx wrapper processes, so that the pid a test kills is the stack itself (killing a
 * wrapper would leave the stack running as an orphan).
 */

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(repoRoot, 'packages', 'cli', 'src', 'main.ts');

/** A free loopback port: the test kit's, re-exported for the suites that take it from here. */
export { freePort } from '@eventline/test-kit';

/** Writes a config file the CLI can load with `-c` (plain data: no imports needed). */
export async function writeConfigFile(dir: string, config: Record<string, unknown>): Promise<string> {
  const file = join(dir, 'eventline.config.mjs');
  await writeFile(file, `export default ${JSON.stringify(config, null, 2)};\n`);
  return file;
}

export interface StackProcess {
  readonly pid: number;
  readonly url: string;
  /** Everything the process wrote (stdout and stderr), most recent last, capped. */
  output(): string;
  /** `kill -9`: no handler runs, nothing is flushed. Resolves once the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM (a graceful stop) and wait for the exit. */
  stop(): Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const MAX_OUTPUT = 256 * 1024;

export async function startStackProcess(options: {
  configFile: string;
  dataDir: string;
  port: number;
  timeoutMs?: number;
}): Promise<StackProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      cli,
      '-c',
      options.configFile,
      'start',
      '--port',
      String(options.port),
      '--data-dir',
      options.dataDir,
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_NO_WARNINGS: '1' } },
  );
  let output = '';
  const append = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > MAX_OUTPUT) output = output.slice(-MAX_OUTPUT / 2);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  while (true) {
    if (gone) throw new Error(`eventline start exited before it was ready:\n${output.slice(-4000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`eventline start was not ready after ${options.timeoutMs ?? 60_000} ms:\n${output}`);
    }
    // The banner is printed once the stack is started (recovery included).
    if (output.includes('eventline local stack')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    pid: child.pid ?? -1,
    url,
    output: () => output,
    exited,
    async kill9() {
      if (!gone) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!gone) child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI once (`eventline <args>`) and collects its output. */
export async function runCli(args: string[], options: { timeoutMs?: number } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString('utf8');
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString('utf8');
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const code = await new Promise<number | null>((done) => child.once('exit', (c) => done(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}
