import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { lambdaNodeFlags } from './node-flags.ts';

/**
 * Function instances as worker processes, the way Lambda runs them: each instance is its own Node.js
 * process that loads the handler module once (init, a cold start) and then serves one invocation at a
 * time (warm starts). At most `concurrency` instances exist (the reserved concurrency); an invocation
 * waits for a free one. The timeout is enforced: an instance still running at the deadline is killed,
 * the invocation fails with "Task timed out after N seconds", and the next invocation gets a fresh
 * instance. Memory is capped as Lambda's runtime caps it (V8's semi-space and old-space limits from the
 * function's memory size, node-flags.ts); an instance
 * that dies (out of memory, process.exit, a crash) fails its invocation and is replaced.
 */
export interface FunctionPoolOptions {
  functionName: string;
  region: string;
  accountId: string;
  /** The module that exports the handler: the esbuild bundle the CDK app deploys. */
  handlerModule: () => string;
  handlerExport?: string;
  memoryMb: number;
  timeoutMs: number;
  concurrency: number;
  /** The environment the deployed function gets (names, endpoints, credentials, Powertools). */
  environment: Readonly<Record<string, string>>;
  /** The Node.js binary; defaults to the one running this process. */
  execPath?: string;
  /** How long a result waits for the output printed before it, should a marker never come (default 1 s). */
  outputGraceMs?: number;
}

export interface InvocationReport {
  requestId: string;
  instanceId: string;
  cold: boolean;
  initMs?: number;
  durationMs: number;
  billedMs: number;
  maxMemoryUsedMb?: number;
  outcome: 'ok' | 'error' | 'timeout' | 'crash';
}

export interface LambdaErrorShape {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

/** An invocation that did not return a value: the function threw, timed out or its instance died. */
export class FunctionError extends Error {
  override name = 'FunctionError';
  constructor(
    readonly errorType: string,
    message: string,
    readonly trace: readonly string[] = [],
  ) {
    super(message);
  }
}

export type InstanceState = 'initializing' | 'idle' | 'busy';

export interface InstanceInfo {
  id: string;
  pid: number | undefined;
  state: InstanceState;
  invocations: number;
  startedAt: number;
  module: string;
}

interface Instance extends InstanceInfo {
  child: ChildProcess;
  ready: Promise<number>;
  dead: boolean;
  /** The worker's end-of-output marker for an invocation, read on one of its streams. */
  outputEnded?: (requestId: string, stream: 'stdout' | 'stderr') => void;
}

/** What worker.mjs answers an invocation with. */
type RunResult =
  | { ok: true; value: unknown; durationMs: number; rssBytes: number }
  | { ok: false; error: LambdaErrorShape; durationMs: number; rssBytes: number };

interface Pending {
  resolve: (instance: Instance) => void;
}

const WORKER = fileURLToPath(new URL('./worker.mjs', import.meta.url));
const INIT_TIMEOUT_MS = 10_000;
/** The line worker.mjs ends an invocation's output with, on both streams, before its result. */
const END_MARKER = '\u001eeventline:end ';
const OUTPUT_GRACE_MS = 1_000;

export class FunctionPool extends EventEmitter {
  private readonly instances = new Set<Instance>();
  private readonly waiting: Pending[] = [];
  private closed = false;
  private coldStarts = 0;
  private invocations = 0;

  constructor(private readonly options: FunctionPoolOptions) {
    super();
  }

  get stats() {
    const all = [...this.instances];
    return {
      instances: all.length,
      busy: all.filter((i) => i.state === 'busy').length,
      idle: all.filter((i) => i.state === 'idle').length,
      initializing: all.filter((i) => i.state === 'initializing').length,
      waiting: this.waiting.length,
      coldStarts: this.coldStarts,
      invocations: this.invocations,
      concurrency: this.options.concurrency,
    };
  }

  list(): InstanceInfo[] {
    return [...this.instances].map(({ id, pid, state, invocations, startedAt, module }) => ({
      id,
      pid,
      state,
      invocations,
      startedAt,
      module,
    }));
  }

  /** Runs one invocation on a warm instance, or a new one; resolves with what the handler returned. */
  async invoke(event: unknown, requestId: string = randomUUID()): Promise<unknown> {
    if (this.closed) throw new FunctionError('Runtime.Closed', 'the function pool is closed');
    const instance = await this.acquire();
    const cold = instance.invocations === 0;
    let initMs: number | undefined;
    try {
      initMs = await instance.ready;
    } catch (error) {
      this.retire(instance);
      this.report({ requestId, instance, cold, durationMs: 0, outcome: 'crash' });
      throw error;
    }
    instance.state = 'busy';
    instance.invocations += 1;
    this.invocations += 1;
    const started = Date.now();
    const deadline = started + this.options.timeoutMs;
    this.emit('start', { requestId, instanceId: instance.id, cold });
    try {
      const result = await this.run(instance, requestId, event, deadline);
      this.report({
        requestId,
        instance,
        cold,
        initMs: cold ? initMs : undefined,
        durationMs: result.durationMs,
        maxMemoryUsedMb: result.rssBytes / 1024 / 1024,
        outcome: result.ok ? 'ok' : 'error',
      });
      if (!result.ok)
        throw new FunctionError(result.error.errorType, result.error.errorMessage, result.error.trace);
      return result.value;
    } catch (error) {
      if (
        error instanceof FunctionError &&
        (error.errorType === 'Sandbox.Timedout' || error.errorType === 'Runtime.ExitError')
      ) {
        this.report({
          requestId,
          instance,
          cold,
          initMs: cold ? initMs : undefined,
          durationMs: Date.now() - started,
          outcome: error.errorType === 'Sandbox.Timedout' ? 'timeout' : 'crash',
        });
      }
      throw error;
    } finally {
      this.release(instance);
    }
  }

  /** Retires idle instances (they load an older bundle); busy ones retire when they finish. */
  refresh(): void {
    for (const instance of this.instances) {
      if (instance.state === 'idle') this.retire(instance);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const exits = [...this.instances].map(
      (instance) =>
        new Promise<void>((resolve) => {
          if (instance.child.exitCode !== null || instance.child.signalCode !== null) return resolve();
          instance.child.once('exit', () => resolve());
          this.retire(instance);
        }),
    );
    await Promise.all(exits);
  }

  private acquire(): Promise<Instance> {
    const current = this.options.handlerModule();
    for (const instance of this.instances) {
      if (instance.state === 'idle' && instance.module === current) {
        instance.state = 'busy';
        return Promise.resolve(instance);
      }
    }
    if (this.instances.size < this.options.concurrency) return Promise.resolve(this.spawn(current));
    // Full: an idle instance of an older bundle gives its place to a new one.
    for (const instance of this.instances) {
      if (instance.state === 'idle') {
        this.retire(instance);
        return Promise.resolve(this.spawn(current));
      }
    }
    return new Promise((resolve) => this.waiting.push({ resolve }));
  }

  private release(instance: Instance): void {
    if (instance.dead) {
      this.handOff();
      return;
    }
    if (instance.module !== this.options.handlerModule()) {
      this.retire(instance);
      this.handOff();
      return;
    }
    const next = this.waiting.shift();
    if (next) {
      instance.state = 'busy';
      next.resolve(instance);
    } else {
      instance.state = 'idle';
    }
  }

  /** A place freed up (an instance died or retired): the next waiter gets a fresh instance. */
  private handOff(): void {
    if (this.closed) return;
    while (this.waiting.length > 0 && this.instances.size < this.options.concurrency) {
      this.waiting.shift()!.resolve(this.spawn(this.options.handlerModule()));
    }
  }

  private spawn(module: string): Instance {
    const id = randomUUID().slice(0, 8);
    this.coldStarts += 1;
    const { functionName, region, memoryMb } = this.options;
    const child = fork(WORKER, [], {
      execPath: this.options.execPath ?? process.execPath,
      // The heap limits Lambda's Node.js runtime gives a function of this memory size (node-flags.ts).
      execArgv: [...lambdaNodeFlags(memoryMb), '--enable-source-maps'],
      env: {
        PATH: process.env.PATH ?? '',
        ...this.options.environment,
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        AWS_LAMBDA_FUNCTION_NAME: functionName,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
        AWS_LAMBDA_LOG_STREAM_NAME: `local/[$LATEST]${id}`,
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
        _HANDLER: `index.${this.options.handlerExport ?? 'handler'}`,
        TZ: ':UTC',
        LANG: 'en_US.UTF-8',
        LAMBDA_TASK_ROOT: module.replace(/\/[^/]*$/, ''),
        EVENTLINE_HANDLER_MODULE: module,
        EVENTLINE_HANDLER_EXPORT: this.options.handlerExport ?? 'handler',
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
      // Its own process group: a terminal's Ctrl-C reaches the stack, which lets running invocations
      // finish (up to its grace period), not the instances, which would die mid-invocation. It
      // still goes with the stack: it exits when the IPC channel closes (worker.mjs).
      detached: true,
    });
    let markReady!: (initMs: number) => void;
    let failInit!: (error: Error) => void;
    const ready = new Promise<number>((resolve, reject) => {
      markReady = resolve;
      failInit = reject;
    });
    ready.catch(() => undefined);
    const instance: Instance = {
      id,
      pid: child.pid,
      state: 'initializing',
      invocations: 0,
      startedAt: Date.now(),
      module,
      child,
      ready,
      dead: false,
    };
    this.instances.add(instance);
    const initTimer = setTimeout(() => {
      failInit(new FunctionError('Runtime.InitTimeout', `init did not finish within ${INIT_TIMEOUT_MS} ms`));
      this.retire(instance);
    }, INIT_TIMEOUT_MS);
    initTimer.unref();
    child.on('message', (message: { type: string; initMs?: number; error?: LambdaErrorShape }) => {
      if (message.type === 'ready') {
        clearTimeout(initTimer);
        if (instance.state === 'initializing') instance.state = 'busy';
        markReady(message.initMs ?? 0);
      } else if (message.type === 'init-error') {
        clearTimeout(initTimer);
        const error = message.error!;
        failInit(new FunctionError(error.errorType, error.errorMessage, error.trace));
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(initTimer);
      instance.dead = true;
      this.instances.delete(instance);
      failInit(
        new FunctionError(
          'Runtime.ExitError',
          `Runtime exited ${signal ? `with signal: ${signal}` : `with error: exit status ${code}`}`,
        ),
      );
      this.emit('exit', { instanceId: id, code, signal });
      this.handOff();
    });
    for (const [stream, name] of [
      [child.stdout, 'stdout'],
      [child.stderr, 'stderr'],
    ] as const) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        const at = line.indexOf(END_MARKER);
        if (at === -1) return this.emit('log', { instanceId: id, stream: name, line });
        // After an unterminated line the marker shares its line: what comes before it is output.
        if (at > 0) this.emit('log', { instanceId: id, stream: name, line: line.slice(0, at) });
        instance.outputEnded?.(line.slice(at + END_MARKER.length), name);
      });
    }
    this.emit('instance', { instanceId: id, pid: child.pid, module });
    return instance;
  }

  private run(instance: Instance, requestId: string, event: unknown, deadline: number): Promise<RunResult> {
    const { child } = instance;
    const { functionName, region, accountId, memoryMb, timeoutMs } = this.options;
    return new Promise((resolve, reject) => {
      // The result is used once the output printed before it has been read (see worker.mjs).
      let result: RunResult | undefined;
      let grace: NodeJS.Timeout | undefined;
      const ended = new Set<string>();
      const streams = [child.stdout, child.stderr].filter((stream) => stream !== null).length;
      const settle = () => {
        if (result === undefined || ended.size < streams) return;
        cleanup();
        resolve(result);
      };
      instance.outputEnded = (id, stream) => {
        if (id !== requestId) return;
        ended.add(stream);
        settle();
      };
      const onMessage = (message: { type: string; requestId?: string }) => {
        if (message.type !== 'result' || message.requestId !== requestId) return;
        result = message as unknown as RunResult;
        // Only this ends the wait for the output early (a stream that never delivers its marker).
        grace = setTimeout(() => {
          ended.add('stdout').add('stderr');
          settle();
        }, this.options.outputGraceMs ?? OUTPUT_GRACE_MS);
        settle();
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        // It answered, then exited: the answer stands, once its output is read (the pipes outlive it).
        if (result !== undefined) return;
        cleanup();
        reject(
          new FunctionError(
            'Runtime.ExitError',
            `RequestId: ${requestId} Error: Runtime exited ${signal ? `with signal: ${signal}` : `with error: exit status ${code}`}`,
          ),
        );
      };
      const timer = setTimeout(
        () => {
          // It answered in time: its output is still being read.
          if (result !== undefined) return;
          cleanup();
          this.retire(instance);
          reject(
            new FunctionError(
              'Sandbox.Timedout',
              `RequestId: ${requestId} Error: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
            ),
          );
        },
        Math.max(0, deadline - Date.now()),
      );
      const cleanup = () => {
        clearTimeout(timer);
        clearTimeout(grace);
        instance.outputEnded = undefined;
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({
        type: 'invoke',
        requestId,
        event,
        deadline,
        context: {
          functionName,
          functionVersion: '$LATEST',
          invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
          memoryLimitInMB: String(memoryMb),
          logGroupName: `/aws/lambda/${functionName}`,
          logStreamName: `local/[$LATEST]${instance.id}`,
        },
      });
    });
  }

  private retire(instance: Instance): void {
    instance.dead = true;
    this.instances.delete(instance);
    if (instance.child.exitCode === null && instance.child.signalCode === null)
      instance.child.kill('SIGKILL');
  }

  private report(input: {
    requestId: string;
    instance: Instance;
    cold: boolean;
    initMs?: number | undefined;
    durationMs: number;
    maxMemoryUsedMb?: number;
    outcome: InvocationReport['outcome'];
  }): void {
    const report: InvocationReport = {
      requestId: input.requestId,
      instanceId: input.instance.id,
      cold: input.cold,
      durationMs: Math.round(input.durationMs * 100) / 100,
      billedMs: Math.ceil(input.durationMs),
      outcome: input.outcome,
      ...(input.initMs !== undefined ? { initMs: Math.round(input.initMs * 100) / 100 } : {}),
      ...(input.maxMemoryUsedMb !== undefined ? { maxMemoryUsedMb: Math.round(input.maxMemoryUsedMb) } : {}),
    };
    this.emit('report', report);
  }
}
