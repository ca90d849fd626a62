import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FunctionError,
  FunctionPool,
  type FunctionPoolOptions,
  type InvocationReport,
} from '../src/function-pool.ts';
import { lambdaNodeFlags } from '../src/node-flags.ts';

const HANDLER = fileURLToPath(new URL('./fixtures/handler.mjs', import.meta.url));
const BROKEN = fileURLToPath(new URL('./fixtures/broken.mjs', import.meta.url));

const pools: FunctionPool[] = [];
function pool(overrides: Partial<FunctionPoolOptions> = {}) {
  const created = new FunctionPool({
    functionName: 'eventline-handler',
    region: 'eu-west-1',
    accountId: '000000000000',
    handlerModule: () => HANDLER,
    memoryMb: 128,
    timeoutMs: 5_000,
    concurrency: 2,
    environment: { TABLE_NAME: 'events' },
    ...overrides,
  });
  pools.push(created);
  return created;
}

async function failure(promise: Promise<unknown>): Promise<FunctionError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FunctionError) return error;
    throw error;
  }
  throw new Error('expected the invocation to fail');
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe('function instances as worker processes', () => {
  it('runs the handler in another process with a Lambda-shaped context and the deployed environment', async () => {
    const functions = pool();
    const result = (await functions.invoke({ action: 'context' }, 'req-1')) as Record<string, unknown>;

    expect(result.pid).not.toBe(process.pid);
    expect(result).toMatchObject({
      awsRequestId: 'req-1',
      functionName: 'eventline-handler',
      memoryLimitInMB: '128',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:eventline-handler',
      env: {
        AWS_LAMBDA_FUNCTION_NAME: 'eventline-handler',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
        TABLE_NAME: 'events',
        AWS_REGION: 'eu-west-1',
        // Lambda does not set it (a SAM/LocalStack convention); the context is the way to the deadline.
        AWS_LAMBDA_FUNCTION_TIMEOUT: 'unset',
        _HANDLER: 'index.handler',
      },
    });
    expect(result.remaining).toBeGreaterThan(0);
    expect(result.remaining).toBeLessThanOrEqual(5_000);
  });

  it("starts an instance with the heap limits Lambda's Node.js runtime gives the function's memory size", async () => {
    const functions = pool({ memoryMb: 512 });
    const result = (await functions.invoke({ action: 'context' })) as { execArgv: string[]; gc: string };

    // Lambda's bootstrap: a tenth of the memory is new space (two semi-spaces), the rest old space.
    expect(lambdaNodeFlags(512)).toEqual([
      '--expose-gc',
      '--max-http-header-size=81920',
      '--max-semi-space-size=25',
      '--max-old-space-size=461',
    ]);
    expect(result.execArgv).toEqual(expect.arrayContaining(lambdaNodeFlags(512)));
    expect(result.gc).toBe('function');
  });

  it('reuses a warm instance: one cold start, then warm starts in the same process', async () => {
    const functions = pool({ concurrency: 1 });
    const reports: InvocationReport[] = [];
    functions.on('report', (report: InvocationReport) => reports.push(report));

    const first = (await functions.invoke({ action: 'context' })) as { pid: number; invocations: number };
    const second = (await functions.invoke({ action: 'context' })) as { pid: number; invocations: number };

    expect(second.pid).toBe(first.pid);
    expect(second.invocations).toBe(2);
    expect(reports.map((r) => r.cold)).toEqual([true, false]);
    expect(reports[0]?.initMs).toBeGreaterThan(0);
    expect(reports[1]?.initMs).toBeUndefined();
    expect(functions.stats).toMatchObject({ instances: 1, idle: 1, coldStarts: 1, invocations: 2 });
  });

  it('never runs more instances than the reserved concurrency; the rest wait', async () => {
    const functions = pool({ concurrency: 2 });
    let most = 0;
    functions.on('start', () => {
      most = Math.max(most, functions.stats.busy);
    });

    const results = (await Promise.all(
      Array.from({ length: 6 }, () => functions.invoke({ action: 'sleep', ms: 100 })),
    )) as Array<{ pid: number }>;

    expect(most).toBeLessThanOrEqual(2);
    expect(new Set(results.map((r) => r.pid)).size).toBe(2);
    expect(functions.stats.coldStarts).toBe(2);
  });

  it('stops an instance still running at the timeout, fails the invocation as Lambda does, and starts fresh', async () => {
    const functions = pool({ concurrency: 1, timeoutMs: 300 });
    const before = (await functions.invoke({ action: 'context' })) as { pid: number };

    const error = await failure(functions.invoke({ action: 'sleep', ms: 60_000 }, 'req-slow'));

    expect(error.errorType).toBe('Sandbox.Timedout');
    expect(error.message).toBe('RequestId: req-slow Error: Task timed out after 0.30 seconds');
    const after = (await functions.invoke({ action: 'context' })) as { pid: number; invocations: number };
    expect(after.pid).not.toBe(before.pid);
    expect(after.invocations).toBe(1);
  });

  it("reports a handler's error with its type and message, and keeps the instance", async () => {
    const functions = pool({ concurrency: 1 });
    const first = (await functions.invoke({ action: 'context' })) as { pid: number };

    const error = await failure(functions.invoke({ action: 'throw', message: 'no such field' }));

    expect(error.errorType).toBe('TypeError');
    expect(error.message).toBe('no such field');
    expect(error.trace.join('\n')).toContain('handler.mjs');
    const again = (await functions.invoke({ action: 'context' })) as { pid: number };
    expect(again.pid).toBe(first.pid);
  });

  it('replaces an instance that exits or runs out of memory, failing only its invocation', async () => {
    const functions = pool({ concurrency: 1, memoryMb: 64, timeoutMs: 30_000 });

    const exited = await failure(functions.invoke({ action: 'exit' }, 'req-exit'));
    const oom = await failure(functions.invoke({ action: 'hoard' }, 'req-oom'));

    expect(exited.errorType).toBe('Runtime.ExitError');
    expect(exited.message).toContain('exit status 3');
    expect(oom.errorType).toBe('Runtime.ExitError');
    expect(await functions.invoke({ action: 'echo' })).toMatchObject({ invocations: 1 });
  });

  it('fails invocations with the init error when the module cannot load, naming the cause', async () => {
    const functions = pool({ handlerModule: () => BROKEN });

    const error = await failure(functions.invoke({}));

    expect(error.errorType).toBe('Runtime.ImportModuleError');
    expect(error.message).toContain('TABLE_NAME: expected a DynamoDB table name');
  });

  it('moves new invocations to a new bundle; idle instances of the old one retire', async () => {
    let module = HANDLER;
    const functions = pool({ concurrency: 1, handlerModule: () => module });
    const old = (await functions.invoke({ action: 'context' })) as { pid: number };

    module = `${HANDLER}`; // the same file, as a rebuilt bundle at the same path would be
    functions.refresh();
    const fresh = (await functions.invoke({ action: 'context' })) as { pid: number; invocations: number };

    expect(fresh.pid).not.toBe(old.pid);
    expect(fresh.invocations).toBe(1);
  });

  it('forwards what the handler logs, line by line, with the instance it came from', async () => {
    const functions = pool({ concurrency: 1 });
    const lines: Array<{ instanceId: string; line: string }> = [];
    functions.on('log', (entry: { instanceId: string; line: string }) => lines.push(entry));

    await functions.invoke({ action: 'echo' });
    await functions.close();

    expect(functions.stats.instances).toBe(0);
    expect(lines).toEqual([
      {
        instanceId: expect.any(String),
        stream: 'stdout',
        line: '{"level":"INFO","message":"echo","invocation":1}',
      },
    ]);
  });

  it("has every line an invocation printed forwarded by the time it answers (the stack reads a batch's reasons there)", async () => {
    // No grace to speak of: an answer that did not wait for both markers would take 5 minutes.
    const functions = pool({ concurrency: 1, outputGraceMs: 300_000 });
    const lines: Array<{ stream: string; line: string }> = [];
    functions.on('log', (entry: { stream: string; line: string }) => lines.push(entry));

    for (let round = 0; round < 3; round++) {
      lines.length = 0;
      await functions.invoke({ action: 'chatter', lines: 2_000 });
      const out = lines.filter((l) => l.stream === 'stdout').map((l) => l.line);
      const err = lines.filter((l) => l.stream === 'stderr').map((l) => l.line);
      expect(out.length, `round ${round}`).toBe(2_001);
      expect(out.at(-2)).toMatch(/^out 1999 x+$/);
      expect(out.at(-1)).toBe('unterminated');
      expect(err.length).toBe(2_000);
      expect(err.at(-1)).toMatch(/^err 1999 y+$/);
      expect(lines.filter((l) => l.line.includes('eventline:end'))).toEqual([]);
    }
  });
});

describe('an instance whose stack dies without cleaning up', () => {
  it('goes too, even in the middle of an invocation that never yields (no orphan spinning on a laptop)', async () => {
    // Prepare: a stack (its own process) whose one instance spins in an invocation
    const parent = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./fixtures/orphan-parent.ts', import.meta.url))],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let pid = 0;
    try {
      pid = await new Promise<number>((resolve, reject) => {
        const lines = createInterface({ input: parent.stdout! });
        lines.on('line', (line) => resolve(Number(line)));
        parent.on('exit', (code) => reject(new Error(`the stack exited (${code}) before its instance spun`)));
      });
      expect(alive(pid)).toBe(true);

      // Act: the stack is killed outright (SIGKILL: no handler runs, the IPC channel just closes)
      parent.kill('SIGKILL');

      // Assess: the instance is gone within a bound (it would spin until someone kills it)
      for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
      expect(alive(pid), `instance ${pid} outlived its stack`).toBe(false);
    } finally {
      parent.kill('SIGKILL');
      if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});

/** Whether a process runs (a zombie not reaped yet counts as gone: it holds no port and no CPU). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}
