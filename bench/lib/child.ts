/**
 * The child-process side of the memory figures (3 and 10): a bundled worker script run by plain
 * `node`, alone in its process so that its peak RSS is the pipeline's (the emulators stay in the
 * parent). `runChild` starts one with its job as JSON in argv[2] and parses the JSON line it prints
 * last; `measure` (in the worker) times a run and reads its process's RSS and CPU around it.
 */
import { spawn } from 'node:child_process';

const MB = 1024 * 1024;

/** Runs `script` with `job`, resolving the last line it printed as JSON; `what` names it in errors. */
export function runChild<Result>(
  script: string,
  job: unknown,
  options: { what: string; nodeFlags?: readonly string[] },
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeFlags ?? []), script, JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${options.what} exited ${code}: ${stderr.trim()}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Result);
      } catch (error) {
        reject(new Error(`${options.what} printed no result: ${stdout}${stderr}`, { cause: error }));
      }
    });
  });
}

export interface Measured<T> {
  value: T;
  durationMs: number;
  /** RSS once everything is loaded and wired, before the file is read. */
  startRssMb: number;
  /** The process's high-water mark of RSS (getrusage maxrss). */
  peakRssMb: number;
  /** CPU time this process spent (user + system) while running. */
  cpuMs: number;
}

/** Runs `run` in this (worker) process, timing it and reading its RSS and CPU around it. */
export async function measure<T>(run: () => Promise<T>): Promise<Measured<T>> {
  const startRssMb = process.memoryUsage().rss / MB;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const value = await run();
  const durationMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return {
    value,
    durationMs,
    startRssMb,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    cpuMs: (used.user + used.system) / 1000,
  };
}
